"""Calls for applications through the API: campaigns and dossiers read in scope, the dossier
steps in the task list (region, ARS staff, four-eyes) and each step acted on through the
same flow step and service as its page."""

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from calls.models import (
    CommitteeDecision,
    ComplementRequest,
    DecisionLetter,
    DossierReview,
    DossierState,
    FundingInstrument,
)
from calls.services_decisions import create_committee
from contracts.models import Contract, ContractKind, ContractStatus
from territories.access import Role
from territories.models import Establishment
from tests.api.conftest import token_client
from tests.calls.factories import CampaignFactory, DossierActionFactory, DossierFactory
from tests.contracts.factories import user_with_role
from tests.territories.factories import RegionFactory
from tests.workflows.helpers import client_for, complete, open_task
from tests.workflows.scenarios import give_role, user
from tests.workflows.world import MEMBERS, build_world
from workflows.flows import DossierCompletenessFlow, DossierDecisionFlow
from workflows.models import DossierProcess

pytestmark = pytest.mark.django_db

FOUR_EYES = (
    "Contrôle à quatre yeux : vous avez préparé ce que cette étape décide ; "
    "une autre personne doit la faire."
)
PARIS = ZoneInfo("Europe/Paris")
SCORES = {"mutualisation": 3, "agents": 2, "priority": 3, "innovation": 1, "timeline": 2}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world():
    world = build_world()
    other = RegionFactory(code="52", name="Pays de la Loire")
    user_with_role(Role.ARS_MANAGER, region=other, username="ailleurs")
    return {
        **world,
        "campaign": CampaignFactory(region=world["region"], opened=True),
        "other_campaign": CampaignFactory(region=other, opened=True),
    }


def api(username: str):
    return token_client(user(username))


def dossier_in(campaign, *, state=DossierState.ADMISSIBLE, actions=1):
    dossier = DossierFactory(campaign=campaign, state=state)
    for rank in range(1, actions + 1):
        DossierActionFactory(dossier=dossier, rank=rank)
    return dossier


def checked(campaign):
    """Return a dossier waiting for its completeness check."""
    dossier = dossier_in(campaign)
    DossierCompletenessFlow.start.run(dossier=dossier)
    return dossier


def under_review(campaign):
    """Return a dossier declared complete, waiting for its instruction."""
    dossier = dossier_in(campaign, state=DossierState.UNDER_REVIEW)
    DossierDecisionFlow.start.run(dossier=dossier)
    return dossier


def instruct_body(dossier, **data):
    return {
        "opinion": "FAVORABLE",
        "comment": "Projet mutualisé, diagnostic solide.",
        "scores": SCORES,
        "amounts": [{"action": a.pk, "amount": "4500.00"} for a in dossier.actions.all()],
        **data,
    }


def instruct_page_form(dossier):
    form = {
        "opinion": "FAVORABLE",
        "comment": "Projet mutualisé, diagnostic solide.",
        "previous_conventions": "",
        **{f"score_{name}": str(value) for name, value in SCORES.items()},
    }
    form.update({f"action_{a.pk}": "4500.00" for a in dossier.actions.all()})
    return form


def committee_of(campaign):
    return create_committee(
        actor=user("validator"),
        campaign=campaign,
        session_date=datetime.date(2025, 9, 1),
        members="DOS, DSP",
    )


def instructed(campaign, by="manager"):
    """Return a dossier instructed by ``by`` through the API, waiting for the committee."""
    dossier = under_review(campaign)
    response = api(by).post(
        f"/api/v1/dossiers/{dossier.pk}/instruction/", instruct_body(dossier), format="json"
    )
    assert response.status_code == 200, response.content
    return dossier


def tasks_of(username: str) -> list[dict]:
    response = api(username).get("/api/v1/tasks/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def open_nodes(dossier) -> set[str]:
    return {
        task.flow_task.name
        for task in Task.objects.filter(
            process__dossierprocess__dossier=dossier, status__in=["NEW", "ASSIGNED"]
        )
    }


def api_events(dossier):
    return AuditEvent.objects.filter(
        object_type="calls.Dossier", object_id=str(dossier.pk), changes__channel="api"
    )


# The task list ------------------------------------------------------------------------------


class TestTaskList:
    def test_a_manager_gets_the_checks_of_their_region_with_the_dossier(self, world):
        dossier = checked(world["campaign"])
        elsewhere = checked(world["other_campaign"])
        rows = tasks_of("manager")
        assert [(r["node"], r["title"], r["contract"]) for r in rows] == [
            ("check", "Vérifier les pièces", None)
        ]
        assert rows[0]["flow"] == "Complétude d'un dossier de candidature"
        assert rows[0]["dossier"] == {
            "id": dossier.pk,
            "number": dossier.ds_number,
            "applicant": dossier.applicant_name,
            "campaign": world["campaign"].pk,
            "campaign_title": "Appel à candidatures CLACT 2024",
            "url": f"/api/v1/dossiers/{dossier.pk}/",
        }
        assert rows[0]["action"] == f"/api/v1/dossiers/{dossier.pk}/completeness/"
        assert api("manager").get(rows[0]["dossier"]["url"]).status_code == 200
        assert [r["dossier"]["id"] for r in tasks_of("ailleurs")] == [elsewhere.pk]

    def test_ght_directors_auditors_and_other_regions_never_get_them(self, world):
        checked(world["campaign"])
        instructed(world["campaign"])
        assert tasks_of("director") == []
        assert tasks_of("auditor") == []
        assert all(
            r["dossier"] is None or r["dossier"]["campaign"] != world["campaign"].pk
            for r in tasks_of("ailleurs")
        )

    def test_the_contract_tasks_keep_their_shape(self, world):
        checked(world["campaign"])
        rows = tasks_of("manager")
        assert {"contract", "dossier", "action", "title", "node"} <= set(rows[0])

    def test_a_task_taken_on_the_page_is_listed_as_the_users(self, world):
        dossier = checked(world["campaign"])
        process = DossierProcess.objects.get(dossier=dossier)
        task = open_task(process, DossierCompletenessFlow.check)
        page = client_for("manager")
        page.post(DossierCompletenessFlow.check.reverse("assign", args=[process.pk, task.pk]))
        rows = tasks_of("manager")
        assert [(r["id"], r["owner"], r["dossier"]["id"]) for r in rows] == [
            (task.pk, "manager", dossier.pk)
        ]
        assert tasks_of("manager2") == []

    def test_the_instructor_is_not_offered_the_decision_the_validator_is(self, world):
        give_role("manager", Role.ARS_VALIDATOR)
        dossier = instructed(world["campaign"])
        assert [r["node"] for r in tasks_of("manager")] == []
        rows = tasks_of("validator")
        assert [(r["node"], r["title"], r["action"]) for r in rows] == [
            (
                "decide",
                "Enregistrer la décision du comité",
                f"/api/v1/dossiers/{dossier.pk}/decision/",
            )
        ]

    def test_the_list_costs_the_same_queries_for_1_and_20_dossier_tasks(self, world):
        client = api("manager")
        checked(world["campaign"])
        client.get("/api/v1/tasks/")  # the token's last use is written once a minute
        with CaptureQueriesContext(connection) as one:
            response = client.get("/api/v1/tasks/")
        assert response.json()["count"] == 1
        for _ in range(19):
            checked(world["campaign"])
        under_review(world["campaign"])
        with CaptureQueriesContext(connection) as many:
            response = client.get("/api/v1/tasks/")
        assert response.json()["count"] == 21
        assert len(many) == len(one), [q["sql"] for q in many.captured_queries]


# Reads --------------------------------------------------------------------------------------


class TestReads:
    def test_campaigns_are_those_of_the_users_region(self, world):
        committee_of(world["campaign"])
        checked(world["campaign"])
        body = api("manager").get("/api/v1/campaigns/").json()
        assert [(c["id"], c["dossier_count"]) for c in body["results"]] == [
            (world["campaign"].pk, 1)
        ]
        assert body["results"][0]["committees"][0]["session_date"] == "2025-09-01"
        other = world["other_campaign"].pk
        assert api("manager").get(f"/api/v1/campaigns/{other}/").status_code == 404
        auditor = api("auditor").get("/api/v1/campaigns/").json()
        assert auditor["count"] == 2

    def test_a_ght_director_gets_403_on_campaigns_and_dossiers(self, world):
        dossier = checked(world["campaign"])
        client = api("director")
        for url in ("/api/v1/campaigns/", "/api/v1/dossiers/", f"/api/v1/dossiers/{dossier.pk}/"):
            response = client.get(url)
            assert response.status_code == 403
            assert response["Content-Type"] == "application/problem+json"

    def test_the_dossier_shows_its_caps_and_its_open_step(self, world):
        dossier = checked(world["campaign"])
        elsewhere = checked(world["other_campaign"])
        body = api("manager").get(f"/api/v1/dossiers/{dossier.pk}/").json()
        assert body["number"] == dossier.ds_number
        assert [(a["rank"], a["ars_cap_amount"]) for a in body["actions"]] == [(1, "4500.00")]
        assert [(s["node"], s["action"]) for s in body["steps"]] == [
            ("check", f"/api/v1/dossiers/{dossier.pk}/completeness/")
        ]
        assert body["review"] is None and body["committee_decision"] is None
        assert api("manager").get(f"/api/v1/dossiers/{elsewhere.pk}/").status_code == 404
        listed = api("manager").get("/api/v1/dossiers/").json()["results"]
        assert [d["id"] for d in listed] == [dossier.pk]

    @pytest.mark.parametrize("url", ["/api/v1/dossiers/", "/api/v1/campaigns/"])
    def test_the_lists_cost_the_same_queries_for_1_and_20_rows(self, world, url):
        client = api("manager")
        committee_of(world["campaign"])
        checked(world["campaign"])
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        for year in range(2000, 2019):
            campaign = CampaignFactory(region=world["region"], opened=True, year=year)
            committee_of(campaign)
            checked(campaign)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.json()["count"] == 20
        assert len(many) == len(one)


# Completeness -------------------------------------------------------------------------------


class TestCompleteness:
    def test_complete_matches_the_page(self, world):
        by_page, by_api = checked(world["campaign"]), checked(world["campaign"])
        response = complete(
            client_for("manager"),
            DossierProcess.objects.get(dossier=by_page),
            DossierCompletenessFlow.check,
            {"outcome": "COMPLETE", "message": "", "deadline_date": ""},
        )
        assert response.status_code == 302
        response = api("manager").post(
            f"/api/v1/dossiers/{by_api.pk}/completeness/", {"outcome": "COMPLETE"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["detail"] == "L'étape « Vérifier les pièces » est terminée."
        for dossier in (by_page, by_api):
            dossier.refresh_from_db()
        assert by_api.state == by_page.state == DossierState.UNDER_REVIEW
        assert open_nodes(by_api) == open_nodes(by_page) == {"instruct"}
        assert [e.actor_name for e in api_events(by_api)] == ["manager"]

    def test_complements_need_a_message_and_a_deadline(self, world):
        dossier = checked(world["campaign"])
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/completeness/",
            {"outcome": "INCOMPLETE"},
            format="json",
        )
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {"field": "message", "message": "Écrivez au porteur les pièces attendues."},
            {"field": "deadline_date", "message": "Indiquez la date limite des compléments."},
        ]
        dossier.refresh_from_db()
        assert dossier.state == DossierState.ADMISSIBLE
        assert open_nodes(dossier) == {"check"}

    def test_a_deadline_beyond_2099_is_a_400_naming_the_field(self, world):
        dossier = checked(world["campaign"])
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/completeness/",
            {"outcome": "INCOMPLETE", "message": "Pièces ?", "deadline_date": "9999-12-31"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "deadline_date", "message": "Indiquez une date avant le 31/12/2099."}
        ]

    def test_complements_asked_then_received(self, world):
        dossier = checked(world["campaign"])
        client = api("manager")
        deadline = datetime.date.today() + datetime.timedelta(days=10)
        response = client.post(
            f"/api/v1/dossiers/{dossier.pk}/completeness/",
            {
                "outcome": "INCOMPLETE",
                "message": "Joindre le diagnostic préalable.",
                "deadline_date": deadline.isoformat(),
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        dossier.refresh_from_db()
        assert dossier.state == DossierState.COMPLEMENT_REQUESTED
        request = ComplementRequest.objects.get(dossier=dossier)
        assert (request.deadline_date, request.requested_by) == (deadline, user("manager"))
        assert [r["action"] for r in tasks_of("manager")] == [
            f"/api/v1/dossiers/{dossier.pk}/complements-received/"
        ]
        response = client.post(f"/api/v1/dossiers/{dossier.pk}/complements-received/")
        assert response.status_code == 200, response.content
        dossier.refresh_from_db()
        assert dossier.state == DossierState.FILED
        assert open_nodes(dossier) == {"check"}

    def test_a_past_deadline_is_a_422_and_changes_nothing(self, world):
        dossier = checked(world["campaign"])
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/completeness/",
            {"outcome": "INCOMPLETE", "message": "Pièces ?", "deadline_date": "2020-01-01"},
            format="json",
        )
        assert response.status_code == 422
        assert response.json()["detail"] == "La date limite des compléments doit être à venir."
        dossier.refresh_from_db()
        assert dossier.state == DossierState.ADMISSIBLE

    def test_a_step_already_done_is_a_409(self, world):
        dossier = checked(world["campaign"])
        client = api("manager")
        url = f"/api/v1/dossiers/{dossier.pk}/completeness/"
        assert client.post(url, {"outcome": "COMPLETE"}, format="json").status_code == 200
        response = client.post(url, {"outcome": "COMPLETE"}, format="json")
        assert response.status_code == 409
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == (
            "Aucune étape « Vérifier les pièces » n'est ouverte pour cet objet."
        )

    def test_a_validator_or_an_auditor_may_not_check(self, world):
        dossier = checked(world["campaign"])
        for username in ("validator", "auditor"):
            response = api(username).post(
                f"/api/v1/dossiers/{dossier.pk}/completeness/",
                {"outcome": "COMPLETE"},
                format="json",
            )
            assert response.status_code == 403
            assert response.json()["detail"] == (
                "Votre rôle ou votre périmètre ne permet pas de faire cette étape."
            )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.ADMISSIBLE

    def test_another_regions_manager_gets_404(self, world):
        dossier = checked(world["campaign"])
        response = api("ailleurs").post(
            f"/api/v1/dossiers/{dossier.pk}/completeness/", {"outcome": "COMPLETE"}, format="json"
        )
        assert response.status_code == 404


# Instruction --------------------------------------------------------------------------------


class TestInstruction:
    def test_the_instruction_matches_the_page(self, world):
        by_page, by_api = under_review(world["campaign"]), under_review(world["campaign"])
        response = complete(
            client_for("manager"),
            DossierProcess.objects.get(dossier=by_page),
            DossierDecisionFlow.instruct,
            instruct_page_form(by_page),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        response = api("manager").post(
            f"/api/v1/dossiers/{by_api.pk}/instruction/", instruct_body(by_api), format="json"
        )
        assert response.status_code == 200, response.content
        reviews = [DossierReview.objects.get(dossier=d) for d in (by_page, by_api)]
        shown = [
            (r.opinion, r.total_score, r.proposed_amount, r.prepared_by.username) for r in reviews
        ]
        assert shown[0] == shown[1] == ("FAVORABLE", 11, Decimal("4500.00"), "manager")
        for dossier in (by_page, by_api):
            dossier.refresh_from_db()
        assert by_api.state == by_page.state == DossierState.SUBMITTED_TO_COMMITTEE
        assert open_nodes(by_api) == open_nodes(by_page) == {"decide"}

    def test_an_action_not_named_gets_its_cap_as_the_page_proposes(self, world):
        dossier = under_review(world["campaign"])
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/instruction/",
            instruct_body(dossier, amounts=[]),
            format="json",
        )
        assert response.status_code == 200, response.content
        assert dossier.actions.get().ars_proposed_amount == Decimal("4500.00")

    def test_an_amount_above_the_cap_is_a_422_with_the_services_words(self, world):
        dossier = under_review(world["campaign"])
        action = dossier.actions.get()
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/instruction/",
            instruct_body(dossier, amounts=[{"action": action.pk, "amount": "4500.01"}]),
            format="json",
        )
        assert response.status_code == 422
        assert "dépasse le plafond" in response.json()["detail"]
        dossier.refresh_from_db()
        assert dossier.state == DossierState.UNDER_REVIEW
        assert not DossierReview.objects.filter(dossier=dossier).exists()

    def test_bad_input_names_the_fields(self, world):
        dossier = under_review(world["campaign"])
        body = instruct_body(
            dossier,
            scores={**SCORES, "agents": 4},
            amounts=[{"action": 999999, "amount": "1.00"}],
        )
        del body["comment"]
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/instruction/", body, format="json"
        )
        assert response.status_code == 400
        assert {e["field"] for e in response.json()["errors"]} == {"comment", "scores.agents"}
        body = instruct_body(dossier, amounts=[{"action": 999999, "amount": "1.00"}])
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/instruction/", body, format="json"
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {
                "field": "amounts[0].action",
                "message": "Aucune action de ce dossier ne porte cet identifiant.",
            }
        ]


# Committee decision and notification --------------------------------------------------------


class TestDecision:
    def decide(self, username, dossier, committee, **data):
        body = {"committee": committee.pk, "outcome": "SELECTED", "reasons": "Retenu.", **data}
        return api(username).post(f"/api/v1/dossiers/{dossier.pk}/decision/", body, format="json")

    def test_the_instructor_cannot_decide_even_with_the_validator_role(self, world):
        give_role("manager", Role.ARS_VALIDATOR)
        dossier = instructed(world["campaign"])
        response = self.decide("manager", dossier, committee_of(world["campaign"]))
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == FOUR_EYES
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUBMITTED_TO_COMMITTEE
        assert not CommitteeDecision.objects.filter(dossier=dossier).exists()

    def test_the_decision_matches_the_page_then_is_notified(self, world):
        committee = committee_of(world["campaign"])
        by_page, by_api = instructed(world["campaign"]), instructed(world["campaign"])
        form = {"committee": committee.pk, "outcome": "SELECTED", "reasons": "Retenu."}
        form.update({f"action_{a.pk}": "4500.00" for a in by_page.actions.all()})
        response = complete(
            client_for("validator"),
            DossierProcess.objects.get(dossier=by_page, kind="DECISION"),
            DossierDecisionFlow.decide,
            form,
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        response = self.decide("validator", by_api, committee)
        assert response.status_code == 200, response.content
        decisions = [CommitteeDecision.objects.get(dossier=d) for d in (by_page, by_api)]
        shown = [(d.outcome, d.granted_amount, d.decided_by.username) for d in decisions]
        assert shown[0] == shown[1] == ("SELECTED", Decimal("4500.00"), "validator")
        for dossier in (by_page, by_api):
            dossier.refresh_from_db()
        assert by_api.state == by_page.state == DossierState.SELECTED
        assert open_nodes(by_api) == open_nodes(by_page) == {"notify"}
        # The instructor notifies: the letter is written.
        response = api("manager").post(f"/api/v1/dossiers/{by_api.pk}/notification/")
        assert response.status_code == 200, response.content
        assert DecisionLetter.objects.filter(dossier=by_api).count() == 1
        by_api.refresh_from_db()
        assert by_api.state == DossierState.NOTIFIED
        # Deciding again: the step is over.
        response = self.decide("validator", by_api, committee)
        assert response.status_code == 409
        assert response["Content-Type"] == "application/problem+json"

    def test_a_session_of_another_campaign_is_a_400(self, world):
        dossier = instructed(world["campaign"])
        other = CampaignFactory(region=world["region"], opened=True, year=2025)
        response = self.decide("validator", dossier, committee_of(other))
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["committee"]

    def test_an_action_without_proposal_must_be_named(self, world):
        dossier = instructed(world["campaign"])
        action = dossier.actions.get()
        action.ars_proposed_amount = None
        action.save()
        response = self.decide("validator", dossier, committee_of(world["campaign"]))
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "amounts", "message": "Ce champ est obligatoire."}
        ]

    def test_not_selected_grants_nothing(self, world):
        dossier = instructed(world["campaign"])
        response = self.decide(
            "validator",
            dossier,
            committee_of(world["campaign"]),
            outcome="NOT_SELECTED",
            reasons="Hors priorités.",
        )
        assert response.status_code == 200, response.content
        dossier.refresh_from_db()
        assert (dossier.state, dossier.granted_amount) == (DossierState.NOT_SELECTED, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_committee_decisions_give_one_200_and_one_409(world):
    committee = committee_of(world["campaign"])
    dossier = instructed(world["campaign"])
    second = user_with_role(Role.ARS_VALIDATOR, region=world["region"], username="lea")
    clients = [api("validator"), token_client(second)]
    body = {"committee": committee.pk, "outcome": "SELECTED", "reasons": "Retenu."}
    barrier = threading.Barrier(2)
    statuses = []

    def call(client):
        try:
            barrier.wait()
            response = client.post(f"/api/v1/dossiers/{dossier.pk}/decision/", body, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    assert CommitteeDecision.objects.filter(dossier=dossier).count() == 1
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SELECTED


class TestFunding:
    """``POST dossiers/{id}/funding/``: the funding page's form and step, through the API."""

    @pytest.fixture
    def notified(self, world):
        from tests.workflows.test_funding_convention import notified_at_fund

        carrier = Establishment.objects.get(name=MEMBERS[0])
        return notified_at_fund({**world, "carrier": carrier})

    def body(self, **data):
        return {
            "instrument": "FUNDING_CONVENTION",
            "indicator_label": "Taux d'absentéisme",
            "baseline_value": "9.20",
            "target_value": "7.50",
            "due_date": "2026-12-31",
            **data,
        }

    def test_the_step_is_offered_to_the_instructor_with_its_address(self, notified):
        dossier, _process = notified
        (task,) = [t for t in tasks_of("manager") if t["dossier"]]
        assert task["action"] == f"/api/v1/dossiers/{dossier.pk}/funding/"

    def test_a_convention_is_drafted_and_submitted_to_another_validator(self, notified):
        dossier, _process = notified
        with time_machine.travel(datetime.datetime(2025, 10, 1, 9, tzinfo=PARIS), tick=True):
            response = api("manager").post(
                f"/api/v1/dossiers/{dossier.pk}/funding/", self.body(), format="json"
            )
        assert response.status_code == 200, response.content
        dossier.refresh_from_db()
        convention = Contract.objects.get(kind=ContractKind.FUNDING_CONVENTION)
        assert dossier.funding_instrument == FundingInstrument.FUNDING_CONVENTION
        assert dossier.contract_line.axis.contract == convention
        assert convention.status == ContractStatus.SUBMITTED
        assert convention.envelope_amount == dossier.granted_amount
        # The convention waits for a validator; the instructor is never offered it.
        assert not any(t["contract"] == convention.pk for t in tasks_of("manager"))
        assert any(t["contract"] == convention.pk for t in tasks_of("validator"))
        assert not open_nodes(dossier)

    def test_an_amendment_without_contract_names_the_fields_and_writes_nothing(self, notified):
        dossier, _process = notified
        response = api("manager").post(
            f"/api/v1/dossiers/{dossier.pk}/funding/",
            self.body(instrument="CONTRACT_AMENDMENT", code="4.9"),
            format="json",
        )
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        fields = {error["field"] for error in response.json()["errors"]}
        assert fields == {"contract", "axis"}
        dossier.refresh_from_db()
        assert dossier.funding_instrument == ""
        assert open_nodes(dossier) == {"fund"}

    def test_another_regions_manager_gets_404_and_a_validator_403(self, notified):
        dossier, _process = notified
        url = f"/api/v1/dossiers/{dossier.pk}/funding/"
        assert api("ailleurs").post(url, self.body(), format="json").status_code == 404
        assert api("validator").post(url, self.body(), format="json").status_code == 403
        assert not Contract.objects.filter(kind=ContractKind.FUNDING_CONVENTION).exists()
