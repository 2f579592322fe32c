"""sync_ds on the sample DS answer: dry run, wet run, idempotence, checks, refusals."""

import base64
import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from calls.ds_mappings import CLACT_2024_GRAND_EST as CLACT_2024_MAPPING
from calls.intake import sync_answer
from calls.models import Dossier, DossierAction, DossierDocument, DossierState
from calls.signals import complements_filed
from tests.calls.factories import CampaignFactory
from tests.territories.factories import RegionFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "ds_clact_dossiers_sample.json"
BROKEN = 18739904  # 6 actions, 60 % asked of the ARS


@pytest.fixture
def campaign():
    return CampaignFactory(
        region=RegionFactory(code="44", name="Grand Est"),
        opened=True,
        ds_demarche_number=91234,
        ds_champ_mapping=CLACT_2024_MAPPING,
    )


@pytest.fixture
def answer():
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def nodes(answer):
    return answer["data"]["demarche"]["dossiers"]["nodes"]


def champ(node, stable_id):
    wanted = base64.b64encode(f"Champ-{stable_id}".encode()).decode()
    return next(c for c in node["champs"] if c["champDescriptorId"] == wanted)


def sync(*args):
    out = StringIO()
    call_command("sync_ds", *args, stdout=out)
    return out.getvalue()


class TestSyncCommand:
    def test_a_dry_run_reports_the_four_dossiers_and_writes_nothing(self, campaign):
        output = sync("--from-file", str(SAMPLE))
        assert "créés : 4" in output
        assert "simulation" in output
        assert Dossier.objects.count() == 0
        assert campaign.dossiers.count() == 0

    def test_a_wet_run_creates_the_dossiers_of_the_campaign_bound_to_the_demarche(self, campaign):
        sync("--from-file", str(SAMPLE), "--wet-run")
        assert set(campaign.dossiers.values_list("ds_number", flat=True)) == {
            18739904,
            18734521,
            18736077,
            18741236,
        }
        assert DossierAction.objects.count() == 6 + 4 + 2 + 3
        assert DossierDocument.objects.filter(kind="QUOTE").count() == 15
        breval = Dossier.objects.get(ds_number=18734521)
        assert breval.partners.count() == 2
        assert breval.profile.headcount is not None
        assert breval.applicant_finess == "510372832"
        assert AuditEvent.objects.filter(object_type="calls.Dossier").count() == 4

    def test_a_second_run_changes_nothing(self, campaign):
        sync("--from-file", str(SAMPLE), "--wet-run")
        events = AuditEvent.objects.count()
        before = list(Dossier.objects.order_by("pk").values())
        output = sync("--from-file", str(SAMPLE), "--wet-run")
        assert "inchangés : 4" in output
        assert list(Dossier.objects.order_by("pk").values()) == before
        assert AuditEvent.objects.count() == events

    def test_names_the_campaign_with_an_option(self, campaign):
        output = sync("--campaign", str(campaign.pk), "--from-file", str(SAMPLE))
        assert "créés : 4" in output

    def test_refuses_an_answer_no_campaign_reads(self, campaign):
        campaign.ds_demarche_number = 1
        campaign.save()
        with pytest.raises(CommandError, match="91234"):
            sync("--from-file", str(SAMPLE))

    def test_without_a_file_needs_a_token(self, campaign, monkeypatch):
        monkeypatch.delenv("DS_API_TOKEN", raising=False)
        with pytest.raises(CommandError, match="DS_API_TOKEN"):
            sync("--campaign", str(campaign.pk))


class TestChecks:
    def test_the_dossier_with_six_actions_and_sixty_percent_is_inadmissible_for_both(
        self, campaign, answer
    ):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        dossier = Dossier.objects.get(ds_number=BROKEN)
        assert dossier.state == DossierState.INADMISSIBLE
        failed = {r["code"]: r["message"] for r in dossier.check_results if r["outcome"] != "OK"}
        assert "6 action(s) pour 5 au plus" in failed["MAX_ACTIONS"]
        assert "Part ARS au-delà de 50 %" in failed["ARS_SHARE"]
        assert "action 1 : 10 800,00 € demandés pour un coût de 18 000,00 €" in failed[
            "ARS_SHARE"
        ].replace("\u202f", " ").replace("\xa0", " ")

    def test_the_others_are_admissible(self, campaign, answer):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        states = dict(campaign.dossiers.values_list("ds_number", "state"))
        assert states == {
            18739904: DossierState.INADMISSIBLE,
            18734521: DossierState.ADMISSIBLE,
            18736077: DossierState.ADMISSIBLE,
            18741236: DossierState.ADMISSIBLE,
        }

    def test_filed_one_second_after_the_paris_deadline_is_inadmissible(self, campaign, answer):
        nodes(answer)[1]["dateDepot"] = "2024-05-11T00:00:01+02:00"
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        dossier = Dossier.objects.get(ds_number=nodes(answer)[1]["number"])
        assert dossier.state == DossierState.INADMISSIBLE
        deadline = next(r for r in dossier.check_results if r["code"] == "DEADLINE")
        assert "irrecevable (non rejeté)" in deadline["message"]

    def test_filed_at_the_last_second_is_on_time(self, campaign, answer):
        nodes(answer)[1]["dateDepot"] = "2024-05-10T23:59:59+02:00"
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        dossier = Dossier.objects.get(ds_number=nodes(answer)[1]["number"])
        assert dossier.state == DossierState.ADMISSIBLE

    def test_a_missing_piece_makes_the_dossier_incomplete(self, campaign, answer):
        champ(nodes(answer)[1], "4120064")["files"] = []
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        dossier = Dossier.objects.get(ds_number=nodes(answer)[1]["number"])
        assert dossier.state == DossierState.INCOMPLETE
        assert any("Pièce manquante : RIB" in r["message"] for r in dossier.check_results)

    def test_an_invalid_finess_makes_the_dossier_incomplete(self, campaign, answer):
        champ(nodes(answer)[1], "4120003")["stringValue"] = "510372833"
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        dossier = Dossier.objects.get(ds_number=nodes(answer)[1]["number"])
        assert dossier.state == DossierState.INCOMPLETE

    def test_the_campaigns_frozen_figures_are_the_ones_applied(self, campaign, answer):
        campaign.parameters = {"clact_fir_share": "0.60", "clact_max_actions": "6"}
        campaign.save()
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        assert Dossier.objects.get(ds_number=BROKEN).state == DossierState.ADMISSIBLE


class TestIncrements:
    def test_a_changed_champ_updates_only_that_dossier(self, campaign, answer):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        later = copy.deepcopy(answer)
        node = nodes(later)[2]
        champ(node, "4120021")["stringValue"] = "Nouvel intitulé"
        node["dateDerniereModification"] = "2024-10-10T09:00:00+02:00"
        report = sync_answer(campaign=campaign, payload=later, wet_run=True)
        assert report.updated == [node["number"]]
        assert len(report.unchanged) == 3
        assert Dossier.objects.get(ds_number=node["number"]).project_title == "Nouvel intitulé"
        campaign.refresh_from_db()
        assert campaign.ds_synced_until.isoformat() == "2024-10-10T07:00:00+00:00"

    def test_a_dossier_deleted_on_ds_is_flagged(self, campaign, answer):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        later = copy.deepcopy(answer)
        nodes(later)[:] = []
        later["data"]["demarche"]["deletedDossiers"] = {
            "nodes": [
                {"id": "x", "number": BROKEN, "state": "en_construction", "reason": "user_request"}
            ]
        }
        report = sync_answer(campaign=campaign, payload=later, wet_run=True)
        assert report.deleted == [BROKEN]
        assert Dossier.objects.get(ds_number=BROKEN).is_deleted


class TestAllOrNothing:
    def test_one_unreadable_champ_writes_nothing_and_names_the_dossier_and_champ(
        self, campaign, answer
    ):
        node = nodes(answer)[3]
        champ(node, "4120006")["stringValue"] = "beaucoup"
        report = sync_answer(campaign=campaign, payload=answer, wet_run=True)
        assert Dossier.objects.count() == 0
        assert report.problems == [
            f"Dossier {node['number']}, champ 4120006 « Effectif total du personnel "
            "(personnes physiques) » : nombre entier attendu, reçu « beaucoup »."
        ]

    def test_two_dossiers_of_one_applicant_are_refused(self, campaign, answer):
        nodes(answer)[1]["demandeur"]["siret"] = nodes(answer)[0]["demandeur"]["siret"]
        report = sync_answer(campaign=campaign, payload=answer, wet_run=True)
        assert Dossier.objects.count() == 0
        assert "un seul dossier par établissement" in report.problems[0]

    def test_a_draft_campaign_reads_nothing(self, answer):
        draft = CampaignFactory(ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_MAPPING)
        report = sync_answer(campaign=draft, payload=answer, wet_run=True)
        assert "n'est pas ouverte" in report.problems[0]
        assert Dossier.objects.count() == 0


class TestSeedWindowsOnSync:
    def test_every_sync_checks_the_windows_from_the_notification_date(self, campaign, answer):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        tilleuls = Dossier.objects.get(ds_number=18736077)
        codes = {r["code"]: r for r in tilleuls.check_results}
        assert codes["START_WINDOW"]["outcome"] == "OK"
        assert codes["COMPLETION_WINDOW"]["outcome"] == "OK"
        assert "09/10/2024" in codes["START_WINDOW"]["message"]

    def test_the_subscription_of_the_broken_dossier_is_a_possible_recurring_cost(
        self, campaign, answer
    ):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        broken = Dossier.objects.get(ds_number=BROKEN)
        excluded = next(r for r in broken.check_results if r["code"] == "EXCLUDED_EXPENSES")
        assert excluded["outcome"] == "WARNING"
        assert "action 1 : dépenses courantes ou pérennes" in excluded["message"]


class TestJournal:
    def test_a_changed_champ_is_journaled_with_its_value_before_and_after(self, campaign, answer):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        later = copy.deepcopy(answer)
        node = nodes(later)[2]
        before = champ(node, "4120021")["stringValue"]
        champ(node, "4120021")["stringValue"] = "Nouvel intitulé"
        sync_answer(campaign=campaign, payload=later, wet_run=True)
        dossier = Dossier.objects.get(ds_number=node["number"])
        event = AuditEvent.objects.filter(object_id=str(dossier.pk)).latest("sequence")
        assert event.action == "CHANGE"
        assert event.changes == {"project_title": {"before": before, "after": "Nouvel intitulé"}}

    def test_a_changed_action_is_journaled_as_the_list_before_and_after(self, campaign, answer):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        later = copy.deepcopy(answer)
        node = nodes(later)[0]
        rows = champ(node, "4120031")["rows"]
        rows.pop()  # the sixth action is withdrawn
        sync_answer(campaign=campaign, payload=later, wet_run=True)
        dossier = Dossier.objects.get(ds_number=BROKEN)
        event = AuditEvent.objects.filter(object_id=str(dossier.pk)).latest("sequence")
        assert len(event.changes["actions"]["before"]) == 6
        assert len(event.changes["actions"]["after"]) == 5
        assert event.changes["actions"]["before"][:5] == event.changes["actions"]["after"]

    def test_the_command_names_the_flagged_dossier_with_both_reasons(self, campaign):
        output = sync("--from-file", str(SAMPLE))
        flagged = output[output.index(f"Dossier {BROKEN} :") :]
        assert "6 action(s) pour 5 au plus" in flagged
        assert "Part ARS au-delà de 50 %" in flagged


class TestAfterTheInstructorActs:
    def test_a_later_sync_keeps_the_state_the_instructor_and_committee_gave(self, campaign, answer):
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        dossier = Dossier.objects.get(ds_number=18734521)
        dossier.state = DossierState.SELECTED
        dossier.save(update_fields=["state"])
        nodes(answer)[1]["dateDerniereModification"] = "2025-01-02T10:00:00+01:00"
        champ(nodes(answer)[1], "4120021")["stringValue"] += " (modifié)"
        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        dossier.refresh_from_db()
        assert dossier.project_title.endswith("(modifié)")
        assert dossier.state == DossierState.SELECTED

    def test_a_dossier_changed_while_complements_are_asked_is_reported_answered(
        self, campaign, answer
    ):
        received = []

        def on_filed(sender, dossier, **kwargs):
            received.append(dossier.ds_number)

        sync_answer(campaign=campaign, payload=answer, wet_run=True)
        Dossier.objects.filter(ds_number=18734521).update(state=DossierState.COMPLEMENT_REQUESTED)
        champ(nodes(answer)[1], "4120021")["stringValue"] += " (complété)"
        complements_filed.connect(on_filed)
        try:
            sync_answer(campaign=campaign, payload=answer, wet_run=True)
        finally:
            complements_filed.disconnect(on_filed)
        assert received == [18734521]
        assert Dossier.objects.get(ds_number=18734521).state == DossierState.COMPLEMENT_REQUESTED
