"""The words ARS staff use (../shared/TERMS.md): labels only, node names unchanged."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from contracts.models import ContractStatus, YearlyAllocation
from territories.access import ROLE_GROUP_NAMES, Role, sync_roles
from workflows.flows import ALL_FLOWS as FLOWS
from workflows.flows import AmendmentFlow, ContractApprovalFlow, MilestoneReviewFlow

OLD_WORDS = ["escalad", "revue", "approuv", "approbation", "allocation"]


def labels():
    for flow_class in FLOWS:
        yield str(flow_class.process_title)
        for node in flow_class.instance.nodes():
            yield str(node.task_title or "")
            yield str(getattr(node, "task_description", "") or "")


def test_flow_labels_use_the_terms_of_ars_staff():
    text = " ".join(labels()).lower()
    for word in OLD_WORDS:
        assert word not in text, word
    assert ContractApprovalFlow.approve.task_title == "Valider le contrat"
    assert AmendmentFlow.approve.task_title == "Valider l'avenant"
    assert MilestoneReviewFlow.process_title == "Suivi du jalon"
    assert MilestoneReviewFlow.escalate.task_title == "Signaler au chargé de mission"


def test_node_names_stay_the_permission_codenames():
    assert ContractApprovalFlow.approve.name == "approve"
    assert MilestoneReviewFlow.escalate.name == "escalate"


def test_statuses_and_verbose_names():
    assert ContractStatus.APPROVED.label == "Validé, en attente de signature"
    assert YearlyAllocation._meta.verbose_name == "tranche annuelle"
    assert Role.GHT_DIRECTOR.label == "Directeur de l'établissement support (GHT)"


@pytest.mark.django_db
def test_sync_roles_renames_the_former_director_group_instead_of_adding_one():
    sync_roles()
    group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.GHT_DIRECTOR])
    group.name = "Directeur de GHT"
    group.save()
    member = get_user_model().objects.create_user("directrice")
    member.groups.add(group)

    sync_roles()

    assert not Group.objects.filter(name="Directeur de GHT").exists()
    renamed = Group.objects.get(name="Directeur de l'établissement support (GHT)")
    assert renamed.pk == group.pk
    assert list(renamed.user_set.all()) == [member]
    assert Group.objects.filter(name__startswith="Directeur").count() == 1


def test_the_journal_shows_status_codes_in_words():
    from reporting.history.selectors import parse_changes

    [change] = parse_changes(
        '{"status": {"before": "SUBMITTED", "after": "APPROVED"}}', "contracts.Contract"
    )
    assert change.after == "Validé, en attente de signature"
    assert "APPROVED" not in change.before + change.after
    [decision] = parse_changes(
        '{"status": {"before": "PREPARED", "after": "APPROVED"}}', "contracts.CreditDelegation"
    )
    assert decision.after == "Validée"


def test_the_product_catalogue_rewords_viewflow():
    """``locale/`` (LOCALE_PATHS) wins over viewflow's own French."""
    from django.utils import translation

    with translation.override("fr"):
        assert translation.gettext("Execute") == "Enregistrer"
        assert translation.gettext("Task {task} has been assigned.") == (
            "La tâche {task} vous est attribuée."
        )


def test_the_scripts_speak_french(client):
    """viewflow's scripts ask ``gettext`` (selection counts, month names): the page loads
    the French catalogue, and a browser keeps it a day."""
    import json

    response = client.get("/jsi18n/")
    assert response.status_code == 200
    assert "max-age=86400" in response["Cache-Control"]
    body = response.content.decode()
    start = body.index("const newcatalog = ") + len("const newcatalog = ")
    catalogue = json.loads(body[start : body.index("};", start) + 1])
    assert catalogue["%(sel)s of %(cnt)s selected"][0] == "%(sel)s sur %(cnt)s sélectionnée(s)"
    assert catalogue["%(sel)s selected"] == "%(sel)s sélectionnée(s)"
    assert catalogue["three letter May\u0004May"] == "mai"
    assert catalogue["September"] == "septembre"
