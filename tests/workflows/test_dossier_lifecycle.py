"""The CLACT 2024 campaign from the DS sample to money, through the pages and the timers.

The DS sample is read through the intake from a stub DS on 127.0.0.1 (which also answers
the write-back mutations); the dossier of CH de Breval-sur-Marne, a member of the Aube et
Sézannais GHT, is asked for complements, answers them on DS, is instructed by one person,
selected by the committee recorded by another, notified, and becomes a line of the Aube
contract by an amendment. The Tilleuls association never answers its complements request:
the timer rejects it. Haut-Mortagne is instructed and not selected.
"""

import base64
import copy
import datetime
import io
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from pypdf import PdfReader
from viewflow.workflow.status import PROCESS, STATUS

from calls.ds_mappings import CLACT_2024_GRAND_EST as CLACT_2024_MAPPING
from calls.models import (
    CommitteeDecision,
    DecisionLetter,
    Dossier,
    DossierState,
    DsWriteBack,
    SelectionCommittee,
    WriteBackStatus,
)
from contracts.models import Amendment, DecisionStatus, FundingLine, YearlyAllocation
from territories.access import Role
from tests.calls.factories import CampaignFactory
from tests.calls.test_ds_client import TOKEN, StubDs
from tests.territories.factories import EstablishmentFactory, HospitalGroupMembershipFactory
from workflows.flows import AmendmentFlow, DossierCompletenessFlow, DossierDecisionFlow
from workflows.models import ContractProcess, DossierProcess

from .helpers import client_for, complete, open_task
from .scenarios import active_demo_contract, give_role, user

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
BREVAL, TILLEULS, MORTAGNE, COTEAUX = 18734521, 18736077, 18741236, 18739904


def at(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


class StubDsWithWrites(StubDs):
    """The stub DS, which also gives a dossier's id and records the mutations."""

    def __init__(self):
        super().__init__()
        self.mutations = []

    def answer(self, query, variables):
        if "dossierId" in query and "dossier(number" in query:
            return {"data": {"dossier": {"id": f"RG9zc2llci0{variables['number']}"}}}
        if query.startswith("mutation"):
            name = query.split("{", 2)[1].split("(")[0].strip()
            self.mutations.append((name, variables["input"]))
            return {"data": {name: {"errors": []}}}
        return super().answer(query, variables)


def sync(campaign):
    call_command("sync_ds", "--campaign", str(campaign.pk), "--wet-run", stdout=StringIO())


def check_form(**data):
    return {"outcome": "COMPLETE", "message": "", "deadline_date": "", **data}


def instruct_form(dossier, **data):
    form = {
        "opinion": "FAVORABLE",
        "comment": "Projet mutualisé, diagnostic solide.",
        "previous_conventions": "",
        "score_mutualisation": "3",
        "score_agents": "2",
        "score_priority": "3",
        "score_innovation": "1",
        "score_timeline": "2",
    }
    for action in dossier.actions.all():
        form[f"action_{action.pk}"] = str(
            min(action.ars_requested_amount, (action.cost_amount / 2).quantize(Decimal("0.01")))
        )
    form.update(data)
    return form


def decide_form(dossier, committee, outcome="SELECTED", **data):
    form = {"committee": committee.pk, "outcome": outcome, "reasons": "Conforme aux priorités."}
    for action in dossier.actions.all():
        form[f"action_{action.pk}"] = str(
            action.ars_proposed_amount if outcome in ("SELECTED", "PARTIAL") else "0"
        )
    form.update(data)
    return form


def process_of(dossier, kind):
    return DossierProcess.objects.get(dossier=dossier, kind=kind)


@pytest.fixture
def world(settings, monkeypatch):
    contract = active_demo_contract()
    region = contract.region
    breval = EstablishmentFactory(
        finess="510372832", name="Centre hospitalier de Breval-sur-Marne", department__region=region
    )
    HospitalGroupMembershipFactory(hospital_group=contract.hospital_group, establishment=breval)
    campaign = CampaignFactory(
        region=region,
        opened=True,
        ds_demarche_number=91234,
        ds_champ_mapping=CLACT_2024_MAPPING,
    )
    give_role("manager", Role.ARS_VALIDATOR)  # the instructor also holds the deciding role
    settings.DS_WRITE_BACK = True
    settings.DS_INSTRUCTEUR_ID = "SW5zdHJ1Y3RldXItMQ=="
    monkeypatch.setenv("DS_API_TOKEN", TOKEN)
    return {"contract": contract, "campaign": campaign, "breval": breval}


def test_the_clact_2024_campaign_goes_from_ds_to_a_line_of_the_aube_contract(
    world, settings, django_capture_on_commit_callbacks
):
    contract, campaign = world["contract"], world["campaign"]
    manager, validator = client_for("manager"), client_for("validator")
    with StubDsWithWrites() as stub:
        settings.DS_API_URL = stub.url

        # Intake: the four dossiers of the sample, through the DS client.
        with time_machine.travel(at(2025, 9, 1, 9), tick=False):
            sync(campaign)
            assert campaign.dossiers.count() == 4
            assert Dossier.objects.get(ds_number=COTEAUX).state == DossierState.INADMISSIBLE
            call_command("open_due_processes", stdout=StringIO())
        breval = Dossier.objects.get(ds_number=BREVAL)
        tilleuls = Dossier.objects.get(ds_number=TILLEULS)
        mortagne = Dossier.objects.get(ds_number=MORTAGNE)
        assert breval.carrier_establishment == world["breval"]
        assert not DossierProcess.objects.filter(dossier__ds_number=COTEAUX).exists()
        checks = {d: process_of(d, "COMPLETENESS") for d in (breval, tilleuls, mortagne)}

        # Completeness: complements asked of Breval and of the Tilleuls (a DS message each).
        with time_machine.travel(at(2025, 9, 2, 10), tick=True):
            for dossier, deadline in ((breval, "2025-09-15"), (tilleuls, "2025-09-12")):
                with django_capture_on_commit_callbacks(execute=True):
                    response = complete(
                        manager,
                        checks[dossier],
                        DossierCompletenessFlow.check,
                        check_form(
                            outcome="INCOMPLETE",
                            message="Merci de joindre le diagnostic préalable signé.",
                            deadline_date=deadline,
                        ),
                    )
                assert response.status_code == 302, response.content.decode()[:3000]
                dossier.refresh_from_db()
                assert dossier.state == DossierState.COMPLEMENT_REQUESTED
            response = complete(
                manager, checks[mortagne], DossierCompletenessFlow.check, check_form()
            )
            assert response.status_code == 302
        messages = [m for m in stub.mutations if m[0] == "dossierEnvoyerMessage"]
        assert len(messages) == 2
        assert "diagnostic préalable" in messages[0][1]["body"]
        assert messages[0][1]["instructeurId"] == settings.DS_INSTRUCTEUR_ID

        # Breval answers on DS: the next sync closes the wait, the instructor checks again.
        node = next(n for n in stub.nodes if n["number"] == BREVAL)
        answered = copy.deepcopy(node)
        answered["dateDerniereModification"] = "2025-09-10T09:00:00+02:00"
        title = base64.b64encode(b"Champ-4120021").decode()
        for champ in answered["champs"]:
            if champ["champDescriptorId"] == title:
                champ["stringValue"] += " (diagnostic préalable joint)"
                champ["value"] = champ["stringValue"]
        stub.nodes = [answered if n["number"] == BREVAL else n for n in stub.nodes]
        with time_machine.travel(at(2025, 9, 10, 12), tick=False):
            sync(campaign)
        breval.refresh_from_db()
        assert breval.state == DossierState.FILED
        assert breval.complement_requests.get().answered_at is not None
        with time_machine.travel(at(2025, 9, 11, 9), tick=True):
            response = complete(
                manager, checks[breval], DossierCompletenessFlow.check, check_form()
            )
            assert response.status_code == 302

        # The Tilleuls never answer: the timer rejects the dossier after its deadline.
        with time_machine.travel(at(2025, 9, 12, 18), tick=False):
            call_command("workflow_timers", stdout=StringIO())
        tilleuls.refresh_from_db()
        assert tilleuls.state == DossierState.COMPLEMENT_REQUESTED
        with (
            time_machine.travel(at(2025, 9, 13, 0, 5), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            call_command("workflow_timers", stdout=StringIO())
        tilleuls.refresh_from_db()
        assert tilleuls.state == DossierState.REJECTED_INCOMPLETE
        assert checks[tilleuls].__class__.objects.get(pk=checks[tilleuls].pk).status == PROCESS.DONE
        assert ("dossierRefuser", stub.mutations[-1][1]) == stub.mutations[-1]

        # Instruction by the manager; committee decisions by the validator.
        with time_machine.travel(at(2025, 9, 15, 9), tick=True):
            for dossier in (breval, mortagne):
                process = process_of(dossier, "DECISION")
                response = complete(
                    manager, process, DossierDecisionFlow.instruct, instruct_form(dossier)
                )
                assert response.status_code == 302, response.content.decode()[:3000]
                dossier.refresh_from_db()
                assert dossier.state == DossierState.SUBMITTED_TO_COMMITTEE
            committee_page = manager.post(
                f"/calls/{campaign.pk}/comite/",
                {
                    "session_date": "2025-09-15",
                    "members": "DOS, DRH de l'ARS",
                    "external_partners": "CARSAT Nord-Est",
                    "minutes": "",
                },
            )
            assert committee_page.status_code == 302, committee_page.content.decode()[:2000]
            committee = SelectionCommittee.objects.get(campaign=campaign)

            # The instructor holds the deciding role but cannot take the decision (four-eyes).
            breval_decision = process_of(breval, "DECISION")
            task = open_task(breval_decision, DossierDecisionFlow.decide)
            assert not DossierDecisionFlow.decide.can_assign(user("manager"), task)
            refused = manager.post(
                DossierDecisionFlow.decide.reverse("assign", args=[breval_decision.pk, task.pk])
            )
            assert refused.status_code in (302, 403)
            task.refresh_from_db()
            assert task.owner_id is None

            response = complete(
                validator,
                breval_decision,
                DossierDecisionFlow.decide,
                decide_form(breval, committee),
            )
            assert response.status_code == 302, response.content.decode()[:3000]
            response = complete(
                validator,
                process_of(mortagne, "DECISION"),
                DossierDecisionFlow.decide,
                decide_form(mortagne, committee, outcome="NOT_SELECTED"),
            )
            assert response.status_code == 302, response.content.decode()[:3000]
        breval.refresh_from_db()
        decision = CommitteeDecision.objects.get(dossier=breval)
        assert decision.decided_by == user("validator")
        assert decision.instructed_by == user("manager")
        assert breval.state == DossierState.SELECTED
        granted = breval.granted_amount
        assert granted == sum(a.ars_granted_amount for a in breval.actions.all()) > 0
        assert Dossier.objects.get(ds_number=MORTAGNE).state == DossierState.NOT_SELECTED

        # Notification: one French letter per dossier, the decision written back to DS.
        with time_machine.travel(at(2025, 9, 16, 9), tick=True):
            for dossier in (breval, mortagne):
                with django_capture_on_commit_callbacks(execute=True):
                    response = complete(
                        manager,
                        process_of(dossier, "DECISION"),
                        DossierDecisionFlow.notify,
                        {"confirm": "on"},
                    )
                assert response.status_code == 302, response.content.decode()[:3000]
        letter = DecisionLetter.objects.get(dossier=breval)
        with letter.file.open("rb") as stored:
            text = " ".join(
                " ".join(
                    page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages
                ).split()
            )
        assert "Centre hospitalier de Bréval-sur-Marne" in text
        assert "Le comité de sélection du 15 septembre 2025 a retenu" in text
        assert f"dossier n° {BREVAL}" in text
        assert "Madame, Monsieur" in text
        refusal = DecisionLetter.objects.get(dossier__ds_number=MORTAGNE)
        with refusal.file.open("rb") as stored:
            assert "n'a pas retenu" in "".join(
                page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages
            )
        assert [m[0] for m in stub.mutations[-2:]] == ["dossierAccepter", "dossierRefuser"]
        assert not DsWriteBack.objects.exclude(status=WriteBackStatus.SENT).exists()
        assert process_of(mortagne, "DECISION").status == PROCESS.DONE

        # Funding: the granted dossier becomes a line of the Aube contract by an amendment.
        axis = contract.axes.order_by("number").last()
        envelope_before = contract.envelope_amount
        with time_machine.travel(at(2025, 9, 20, 9), tick=True):
            response = complete(
                manager,
                process_of(breval, "DECISION"),
                DossierDecisionFlow.fund,
                {
                    "instrument": "CONTRACT_AMENDMENT",
                    "contract": contract.pk,
                    "axis": axis.pk,
                    "code": f"{axis.number}.9",
                    "indicator_label": "Taux d'absentéisme",
                    "baseline_value": "9.20",
                    "target_value": "7.50",
                    "due_date": "2026-12-31",
                },
            )
            assert response.status_code == 302, response.content.decode()[:3000]
            assert process_of(breval, "DECISION").status == PROCESS.DONE
            amendment = Amendment.objects.get(contract=contract, status=DecisionStatus.PREPARED)
            approval = ContractProcess.objects.get(amendment=amendment)
            response = complete(
                validator, approval, AmendmentFlow.approve, {"decision": "APPROVED", "reason": ""}
            )
            assert response.status_code == 302, response.content.decode()[:3000]
    breval.refresh_from_db()
    contract.refresh_from_db()
    line = FundingLine.objects.get(axis=axis, code=f"{axis.number}.9")
    assert breval.state == DossierState.CONTRACTED
    assert breval.contract_line == line
    assert line.beneficiary == world["breval"]
    assert YearlyAllocation.objects.get(funding_line=line, year=2025).allocated_amount == granted
    assert len(line.details["actions"]) == breval.actions.filter(ars_granted_amount__gt=0).count()
    assert axis.milestones.filter(indicator_label="Taux d'absentéisme").exists()
    assert contract.envelope_amount == envelope_before + granted

    # The envelope holds; the journal verifies; every open dossier task is done.
    total = sum(
        d.granted_amount for d in CommitteeDecision.objects.filter(dossier__campaign=campaign)
    )
    assert total <= campaign.envelope_amount
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "vérifié(s)" in out.getvalue()  # a broken chain raises CommandError
    assert not DossierProcess.objects.filter(
        dossier__campaign=campaign, task__status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()
