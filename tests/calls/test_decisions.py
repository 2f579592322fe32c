"""The decision services on a dossier: completeness, instruction, committee, notification.

Seed 001's figures: the ARS pays at most 50 % of each action's cost, rounded down; the
sum granted never exceeds the campaign's envelope; the instructor never decides.
"""

import datetime
import io
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from pypdf import PdfReader

from audit.models import AuditEvent
from calls import ds_writes
from calls import services_decisions as services
from calls.models import (
    CommitteeDecision,
    DossierState,
    DsWriteBack,
    Opinion,
    WriteBackStatus,
)
from contracts.exceptions import BusinessRuleError, FourEyesError
from territories.access import Role
from tests.calls.factories import CampaignFactory, DossierActionFactory, DossierFactory, paris
from tests.contracts.factories import user_with_role
from tests.territories.factories import RegionFactory

pytestmark = pytest.mark.django_db

NOW = paris(2025, 9, 15, 10, 0)
SCORES = {
    "score_mutualisation": 3,
    "score_agents": 2,
    "score_priority": 2,
    "score_innovation": 1,
    "score_timeline": 3,
}


@pytest.fixture
def region():
    return RegionFactory(code="44", name="Grand Est")


@pytest.fixture
def instructor(region):
    return user_with_role(Role.ARS_MANAGER, region=region, username="instructrice")


@pytest.fixture
def decider(region):
    return user_with_role(Role.ARS_VALIDATOR, region=region, username="decideur")


@pytest.fixture
def campaign(region):
    return CampaignFactory(region=region, opened=True)


def filed_dossier(campaign, *, costs=("9000.00", "3000.00")):
    dossier = DossierFactory(campaign=campaign, state=DossierState.ADMISSIBLE)
    for rank, cost in enumerate(costs, start=1):
        cost = Decimal(cost)
        asked = Decimal("0.6") * cost if rank == 1 else (cost / 2).quantize(Decimal("0.01"))
        asked = asked.quantize(Decimal("0.01"))
        DossierActionFactory(
            dossier=dossier,
            rank=rank,
            cost_amount=cost,
            ars_requested_amount=asked,
            establishment_share_amount=cost - asked,
        )
    return dossier


def caps(dossier):
    return {a.pk: services.action_cap(a, dossier.campaign) for a in dossier.actions.all()}


def instructed(dossier, instructor, **extra):
    services.accept_completeness(actor=instructor, dossier=dossier)
    review = services.instruct_dossier(
        actor=instructor,
        dossier=dossier,
        opinion=Opinion.FAVORABLE,
        comment="Projet solide.",
        scores=SCORES,
        proposed_by_action=caps(dossier),
        now=NOW,
        **extra,
    )
    dossier.refresh_from_db()
    return review


def committee_of(campaign, actor, day=datetime.date(2025, 9, 15)):
    return services.create_committee(
        actor=actor,
        campaign=campaign,
        session_date=day,
        members="DOS, DRH",
        external_partners="CARSAT Nord-Est",
    )


class TestInstruction:
    def test_caps_each_action_at_half_its_cost_and_at_what_was_asked(self, campaign, instructor):
        dossier = filed_dossier(campaign)
        first, second = dossier.actions.order_by("rank")
        # 60 % asked of 9,000: the cap is 50 % (4,500); half of 3,000 asked: 1,500.
        assert caps(dossier) == {first.pk: Decimal("4500.00"), second.pk: Decimal("1500.00")}
        second.ars_requested_amount = Decimal("1000.00")
        second.establishment_share_amount = Decimal("2000.00")
        second.save()
        assert services.action_cap(second, campaign) == Decimal("1000.00")

    def test_rounds_half_the_cost_down_to_the_cent(self, campaign):
        action = SimpleNamespace(
            cost_amount=Decimal("3000.01"), ars_requested_amount=Decimal("2000.00")
        )
        # seeds/001: the establishment keeps at least half (1,500.01 of 3,000.01).
        assert services.action_cap(action, campaign) == Decimal("1500.00")

    def test_refuses_a_proposed_amount_above_the_cap_and_writes_nothing(self, campaign, instructor):
        dossier = filed_dossier(campaign)
        services.accept_completeness(actor=instructor, dossier=dossier)
        first = dossier.actions.get(rank=1)
        with pytest.raises(BusinessRuleError, match="dépasse le plafond"):
            services.instruct_dossier(
                actor=instructor,
                dossier=dossier,
                opinion=Opinion.FAVORABLE,
                comment="Trop demandé.",
                scores=SCORES,
                proposed_by_action={first.pk: Decimal("4500.01")},
                now=NOW,
            )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.UNDER_REVIEW
        assert not hasattr(dossier, "review") or dossier.review is None

    def test_records_scores_amounts_and_goes_to_the_committee(self, campaign, instructor):
        dossier = filed_dossier(campaign)
        review = instructed(dossier, instructor)
        assert review.total_score == 11
        assert review.proposed_amount == Decimal("6000.00")
        assert dossier.state == DossierState.SUBMITTED_TO_COMMITTEE
        assert AuditEvent.objects.filter(
            object_type="calls.Dossier", object_id=str(dossier.pk), actor=instructor
        ).exists()

    def test_on_hold_needs_the_unexecuted_past_actions_described(self, campaign, instructor):
        dossier = filed_dossier(campaign)
        services.accept_completeness(actor=instructor, dossier=dossier)
        with pytest.raises(BusinessRuleError, match="plus de 2 ans"):
            services.instruct_dossier(
                actor=instructor,
                dossier=dossier,
                opinion=Opinion.ON_HOLD,
                comment="Conventions 2021 non exécutées.",
                scores=SCORES,
                proposed_by_action={},
                now=NOW,
            )
        review = services.instruct_dossier(
            actor=instructor,
            dossier=dossier,
            opinion=Opinion.ON_HOLD,
            comment="Conventions 2021 non exécutées.",
            scores=SCORES,
            proposed_by_action={},
            previous_conventions="CLACT 2021 : 2 actions sur 3 non réalisées, sans explication.",
            has_unexecuted_past_actions=True,
            now=NOW,
        )
        assert review.has_unexecuted_past_actions

    def test_a_manager_of_another_region_cannot_instruct(self, campaign):
        other = user_with_role(Role.ARS_MANAGER, region=RegionFactory(code="52"))
        dossier = filed_dossier(campaign)
        with pytest.raises(BusinessRuleError, match="de la région"):
            services.accept_completeness(actor=other, dossier=dossier)


class TestCommittee:
    def test_the_instructor_never_decides_even_with_the_deciding_role(
        self, campaign, instructor, region
    ):
        dossier = filed_dossier(campaign)
        instructed(dossier, instructor)
        instructor.groups.add(*user_with_role(Role.ARS_VALIDATOR, region=region).groups.all())
        committee = committee_of(campaign, instructor)
        with pytest.raises(FourEyesError, match="quatre yeux"):
            services.decide_dossier(
                actor=instructor,
                dossier=dossier,
                committee=committee,
                outcome="SELECTED",
                granted_by_action=caps(dossier),
                reasons="Retenu.",
                now=NOW,
            )
        assert not CommitteeDecision.objects.exists()

    def test_the_database_refuses_a_decision_by_its_instructor(self, campaign, instructor):
        dossier = filed_dossier(campaign)
        instructed(dossier, instructor)
        committee = committee_of(campaign, instructor)
        with pytest.raises(IntegrityError), transaction.atomic():
            CommitteeDecision.objects.create(
                committee=committee,
                dossier=dossier,
                outcome="NOT_SELECTED",
                granted_amount=0,
                reasons="x",
                instructed_by=instructor,
                decided_by=instructor,
                decided_at=NOW,
            )

    def test_the_sum_granted_never_exceeds_the_envelope(self, campaign, instructor, decider):
        campaign.envelope_amount = Decimal("8000.00")
        campaign.save()
        first, second = filed_dossier(campaign), filed_dossier(campaign)
        instructed(first, instructor)
        instructed(second, instructor)
        committee = committee_of(campaign, decider)
        services.decide_dossier(
            actor=decider,
            dossier=first,
            committee=committee,
            outcome="SELECTED",
            granted_by_action=caps(first),
            reasons="Retenu.",
            now=NOW,
        )
        with pytest.raises(BusinessRuleError, match="enveloppe"):
            services.decide_dossier(
                actor=decider,
                dossier=second,
                committee=committee,
                outcome="SELECTED",
                granted_by_action=caps(second),
                reasons="Retenu.",
                now=NOW,
            )
        # A partial grant within what is left passes: 8,000 − 6,000 = 2,000.
        first_action = second.actions.get(rank=1)
        services.decide_dossier(
            actor=decider,
            dossier=second,
            committee=committee,
            outcome="PARTIAL",
            granted_by_action={first_action.pk: Decimal("2000.00")},
            reasons="Retenu pour sa première action.",
            now=NOW,
        )
        assert services.granted_in_campaign(campaign) == Decimal("8000.00")

    def test_no_decision_before_the_session(self, campaign, instructor, decider):
        dossier = filed_dossier(campaign)
        instructed(dossier, instructor)
        committee = committee_of(campaign, decider, day=datetime.date(2025, 9, 30))
        with pytest.raises(BusinessRuleError, match="avant sa séance"):
            services.decide_dossier(
                actor=decider,
                dossier=dossier,
                committee=committee,
                outcome="NOT_SELECTED",
                granted_by_action={},
                reasons="Non prioritaire.",
                now=NOW,
            )


def decided(campaign, instructor, decider, outcome="SELECTED"):
    dossier = filed_dossier(campaign)
    instructed(dossier, instructor)
    services.decide_dossier(
        actor=decider,
        dossier=dossier,
        committee=committee_of(campaign, decider),
        outcome=outcome,
        granted_by_action=caps(dossier) if outcome == "SELECTED" else {},
        reasons="Conforme aux priorités régionales.",
        now=NOW,
    )
    dossier.refresh_from_db()
    return dossier


class TestNotification:
    def test_no_letter_before_the_campaign_notification_date(self, campaign, instructor, decider):
        dossier = decided(campaign, instructor, decider)
        with pytest.raises(BusinessRuleError, match="09/10/2024"):
            services.notify_decision(
                actor=instructor, dossier=dossier, today=datetime.date(2024, 10, 8), now=NOW
            )
        assert not dossier.letters.exists()

    def test_the_letter_is_a_french_pdf_with_the_amounts_and_ds_is_told(
        self, campaign, instructor, decider, settings
    ):
        settings.DS_WRITE_BACK = False
        dossier = decided(campaign, instructor, decider)
        letter = services.notify_decision(
            actor=instructor, dossier=dossier, today=datetime.date(2025, 9, 16), now=NOW
        )
        with letter.file.open("rb") as stored:
            reader = PdfReader(io.BytesIO(stored.read()))
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        assert "Le 16 septembre 2025" in text
        assert "a retenu" in text
        assert "6 000,00" in text
        dossier.refresh_from_db()
        assert dossier.state == DossierState.NOTIFIED
        write = DsWriteBack.objects.get(dossier=dossier, kind="ACCEPT")
        assert write.status == WriteBackStatus.DISABLED


class TestDsWrites:
    def test_a_failed_write_is_kept_and_journaled_and_the_decision_stands(
        self, campaign, instructor, settings, monkeypatch
    ):
        settings.DS_WRITE_BACK = True
        settings.DS_API_URL = "http://127.0.0.1:9/api/v2/graphql"  # nothing listens there
        dossier = filed_dossier(campaign)
        with transaction.atomic():
            write = ds_writes.queue(dossier=dossier, kind="MESSAGE", body="Bonjour", actor=None)
        write = ds_writes.send(write.pk)
        assert write.status == WriteBackStatus.FAILED
        assert write.error
        assert AuditEvent.objects.filter(summary__contains="Démarches simplifiées").exists()


class TestComplements:
    def test_the_deadline_must_be_ahead_and_the_rejection_waits_for_it(self, campaign, instructor):
        dossier = filed_dossier(campaign)
        with pytest.raises(BusinessRuleError, match="à venir"):
            services.request_complements(
                actor=instructor,
                dossier=dossier,
                message="Le RIB manque.",
                deadline_date=datetime.date(2025, 9, 15),
                now=NOW,
            )
        request = services.request_complements(
            actor=instructor,
            dossier=dossier,
            message="Le RIB manque.",
            deadline_date=datetime.date(2025, 9, 20),
            now=NOW,
        )
        assert not request.is_overdue(datetime.date(2025, 9, 20))
        assert request.is_overdue(datetime.date(2025, 9, 21))
        with pytest.raises(BusinessRuleError, match="pas passée"):
            services.reject_incomplete(dossier=dossier, now=paris(2025, 9, 20, 23, 59))
        services.reject_incomplete(dossier=dossier, now=paris(2025, 9, 21, 0, 1))
        dossier.refresh_from_db()
        assert dossier.state == DossierState.REJECTED_INCOMPLETE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sessions_deciding_at_once_never_exceed_the_envelope(region):
    """Two deciders grant 6,000 each on an envelope of 8,000: one of them is refused."""
    instructor = user_with_role(Role.ARS_MANAGER, region=region, username="i")
    deciders = [
        user_with_role(Role.ARS_VALIDATOR, region=region, username=f"d{n}") for n in range(2)
    ]
    campaign = CampaignFactory(region=region, opened=True, envelope_amount=Decimal("8000.00"))
    dossiers = [filed_dossier(campaign), filed_dossier(campaign)]
    for dossier in dossiers:
        instructed(dossier, instructor)
    committee = committee_of(campaign, deciders[0])
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(decider, dossier):
        try:
            barrier.wait()
            services.decide_dossier(
                actor=decider,
                dossier=dossier,
                committee=committee,
                outcome="SELECTED",
                granted_by_action=caps(dossier),
                reasons="Retenu.",
                now=NOW,
            )
            outcomes.append("ok")
        except BusinessRuleError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(decider, dossier))
        for decider, dossier in zip(deciders, dossiers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert services.granted_in_campaign(campaign) == Decimal("6000.00")
