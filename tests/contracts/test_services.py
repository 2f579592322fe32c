import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from audit.journal import AuditAction, AuditEvent
from contracts import services, signals
from contracts.exceptions import BusinessRuleError, FourEyesError
from contracts.models import (
    Amendment,
    ConsumptionStatement,
    ContractStatus,
    CreditDelegation,
    DecisionStatus,
    FundingLine,
    Milestone,
    MilestoneStatus,
    Recovery,
    RecoveryMode,
    YearlyAllocation,
)
from contracts.money import format_euros
from contracts.schemes import SchemeCode
from contracts.selectors import contract_figures
from territories.access import Role, grant_hospital_group_scope, grant_region_scope

from .factories import ContractFactory, hospital_group_with_support, make_ready, user_with_role

pytestmark = pytest.mark.django_db

D = Decimal


def state(contract) -> tuple:
    """Return everything a refused write must leave as it was."""
    return (
        list(
            YearlyAllocation.objects.filter(funding_line__axis__contract=contract)
            .order_by("pk")
            .values_list(
                "allocated_amount", "delegated_amount", "consumed_amount", "recovered_amount"
            )
        ),
        list(Milestone.objects.order_by("pk").values_list("due_date", "status", "target_value")),
        FundingLine.objects.count(),
        CreditDelegation.objects.filter(status=DecisionStatus.APPROVED).count(),
        ConsumptionStatement.objects.filter(status=DecisionStatus.APPROVED).count(),
        Recovery.objects.filter(status=DecisionStatus.APPROVED).count(),
        Amendment.objects.filter(status=DecisionStatus.APPROVED).count(),
        type(contract)
        .objects.values_list("status", "envelope_amount", "version")
        .get(pk=contract.pk),
        AuditEvent.objects.count(),
    )


def refused(call, contract, *, match: str | None = None, error=BusinessRuleError) -> str:
    """Run ``call``, assert it is refused and changed nothing; return the message."""
    before = state(contract)
    with pytest.raises(error) as raised:
        call()
    assert state(contract) == before
    message = " ".join(raised.value.messages)
    if match is not None:
        assert match in message
    return message


def allocation(contract, year=2025, axis=1) -> YearlyAllocation:
    return YearlyAllocation.objects.get(
        funding_line__axis__contract=contract, funding_line__axis__number=axis, year=year
    )


@pytest.fixture
def active_contract(db):
    return ContractFactory(with_lines=True, signed=True)


@pytest.fixture
def delegated(active_contract, manager, validator):
    """The active contract with its 2025 delegation approved (30,000 EUR per line)."""
    delegation = services.prepare_credit_delegation(
        actor=manager, contract=active_contract, year=2025
    )
    services.approve_credit_delegation(
        actor=validator,
        delegation=delegation,
        decision_reference="DEL-2025-001",
        decision_date=datetime.date(2025, 3, 1),
    )
    return active_contract


@pytest.fixture
def manager(active_contract):
    return user_with_role(Role.ARS_MANAGER, region=active_contract.region)


@pytest.fixture
def validator(active_contract):
    return user_with_role(Role.ARS_VALIDATOR, region=active_contract.region)


@pytest.fixture
def director(active_contract):
    return user_with_role(Role.GHT_DIRECTOR, hospital_group=active_contract.hospital_group)


class TestAllocatedWithinEnvelope:
    def test_refuses_a_line_that_would_exceed_the_envelope(self, manager):
        contract = ContractFactory(with_lines=True)  # 180,000 of 300,000 allocated
        axis = contract.axes.get(number=1)
        message = refused(
            lambda: services.add_funding_line(
                actor=manager,
                axis=axis,
                code="X",
                scheme=SchemeCode.OTHER,
                label="Mesure de trop",
                beneficiary=contract.carrier_establishment,
                amounts_by_year={2025: D("60000.00"), 2026: D("60000.01")},
            ),
            contract,
            match="enveloppe",
        )
        assert format_euros(D("300000.01")) in message
        assert format_euros(D("300000.00")) in message

    def test_accepts_a_line_that_fills_the_envelope_exactly(self, manager):
        contract = ContractFactory(with_lines=True)
        services.add_funding_line(
            actor=manager,
            axis=contract.axes.get(number=1),
            code="X",
            scheme=SchemeCode.OTHER,
            label="Dernière mesure",
            beneficiary=contract.carrier_establishment,
            amounts_by_year={2025: D("60000.00"), 2026: D("60000.00")},
        )
        assert contract_figures(contract).total.allocated == contract.envelope_amount

    def test_refuses_an_envelope_cut_under_the_allocations(self, manager):
        contract = ContractFactory(with_lines=True)
        refused(
            lambda: services.change_contract(
                actor=manager, contract=contract, envelope_amount=D("179999.99")
            ),
            contract,
            match="enveloppe",
        )


class TestDelegatedWithinAllocated:
    def test_refuses_a_delegation_above_the_allocation(self, active_contract, manager):
        target = allocation(active_contract)
        message = refused(
            lambda: services.prepare_credit_delegation(
                actor=manager,
                contract=active_contract,
                year=2025,
                amounts={target.pk: D("30000.01")},
            ),
            active_contract,
        )
        assert "le délégué ne peut pas dépasser l'alloué" in message
        assert format_euros(D("30000.00")) in message

    def test_refuses_an_allocation_cut_under_what_was_delegated(self, delegated, manager):
        line = allocation(delegated).funding_line
        refused(
            lambda: services.change_funding_line(
                actor=manager,
                line=line,
                amounts_by_year={2025: D("29999.99")},
                allow_signed=True,
            ),
            delegated,
            match="montant déjà délégué",
        )

    def test_is_a_database_constraint(self, delegated):
        target = allocation(delegated)
        with pytest.raises(IntegrityError), transaction.atomic():
            YearlyAllocation.objects.filter(pk=target.pk).update(
                delegated_amount=F("allocated_amount") + D("0.01")
            )
        target.refresh_from_db()
        assert target.delegated_amount == D("30000.00")


class TestConsumedWithinDelegated:
    def test_refuses_a_statement_above_the_delegation(self, delegated, director):
        message = refused(
            lambda: services.submit_consumption_statement(
                actor=director, allocation=allocation(delegated), consumed_amount=D("30000.01")
            ),
            delegated,
            match="dépasse le montant délégué",
        )
        assert format_euros(D("30000.01")) in message

    def test_is_a_database_constraint(self, delegated):
        target = allocation(delegated, year=2026)  # nothing delegated yet
        with pytest.raises(IntegrityError), transaction.atomic():
            YearlyAllocation.objects.filter(pk=target.pk).update(consumed_amount=D("0.01"))


class TestRecoveredWithinDelegated:
    def test_refuses_a_second_recovery_of_the_same_credits(self, delegated, manager, validator):
        target = allocation(delegated)
        first = services.prepare_recovery(actor=manager, allocation=target, mode="RECOVER")
        refused(
            lambda: services.prepare_recovery(actor=manager, allocation=target, mode="RECOVER"),
            delegated,
            match="attend déjà son approbation",
        )
        services.approve_recovery(actor=validator, recovery=first)
        refused(
            lambda: services.prepare_recovery(actor=manager, allocation=target, mode="RECOVER"),
            delegated,
            match="Aucun crédit à reprendre",
        )

    def test_is_a_database_constraint(self, delegated):
        target = allocation(delegated)
        with pytest.raises(IntegrityError), transaction.atomic():
            YearlyAllocation.objects.filter(pk=target.pk).update(
                recovered_amount=F("delegated_amount") + D("0.01")
            )


class TestSchemeRules:
    def add_line(self, manager, contract, *, scheme, amount, details):
        return services.add_funding_line(
            actor=manager,
            axis=contract.axes.get(number=1),
            code=f"{scheme}-1",
            scheme=scheme,
            label=f"Ligne {scheme}",
            beneficiary=contract.carrier_establishment,
            amounts_by_year={2025: amount},
            details=details,
        )

    def test_refuses_an_ipa_line_above_70000_per_student(self, manager):
        contract = ContractFactory(with_lines=True)
        refused(
            lambda: self.add_line(
                manager,
                contract,
                scheme=SchemeCode.IPA,
                amount=D("70000.01"),
                details={"students": 1},
            ),
            contract,
            match=format_euros(D("70000.00")),
        )
        self.add_line(
            manager, contract, scheme=SchemeCode.IPA, amount=D("70000.00"), details={"students": 1}
        )

    def test_refuses_a_change_of_ipa_students_that_breaks_the_cap(self, manager):
        contract = ContractFactory(with_lines=True)
        line = self.add_line(
            manager, contract, scheme=SchemeCode.IPA, amount=D("100000.00"), details={"students": 2}
        )
        refused(
            lambda: services.change_funding_line(actor=manager, line=line, details={"students": 1}),
            contract,
            match="IPA",
        )

    def test_refuses_a_sixth_clact_action(self, manager):
        contract = ContractFactory(with_lines=True)
        refused(
            lambda: self.add_line(
                manager,
                contract,
                scheme=SchemeCode.CLACT,
                amount=D("10000.00"),
                details={"actions": 6, "project_cost": "100000.00"},
            ),
            contract,
            match="6 actions",
        )
        self.add_line(
            manager,
            contract,
            scheme=SchemeCode.CLACT,
            amount=D("10000.00"),
            details={"actions": 5, "project_cost": "100000.00"},
        )

    @pytest.mark.parametrize(
        ("half_days", "other_sites", "monthly"),
        [("1", 1, "250.00"), ("2", 1, "450.00"), ("3.5", 1, "700.00"), ("4", 2, "1000.00")],
    )
    def test_holds_a_pet_line_to_the_grid(self, manager, half_days, other_sites, monthly):
        contract = ContractFactory(with_lines=True)
        details = {
            "half_days": half_days,
            "other_sites": other_sites,
            "months": 12,
            "distance_km": "30",
        }
        ceiling = D(monthly) * 12
        refused(
            lambda: self.add_line(
                manager,
                contract,
                scheme=SchemeCode.PET,
                amount=ceiling + D("0.01"),
                details=details,
            ),
            contract,
            match="grille de la prime d'exercice territorial",
        )
        self.add_line(manager, contract, scheme=SchemeCode.PET, amount=ceiling, details=details)

    def test_refuses_a_pet_site_closer_than_20_km(self, manager):
        contract = ContractFactory(with_lines=True)
        refused(
            lambda: self.add_line(
                manager,
                contract,
                scheme=SchemeCode.PET,
                amount=D("100.00"),
                details={"half_days": "2", "months": 1, "distance_km": "12"},
            ),
            contract,
            match="20",
        )


class TestFourEyes:
    def test_refuses_a_contract_approved_by_its_submitter(self, manager):
        contract = make_ready(ContractFactory(with_lines=True))
        services.submit_contract(actor=manager, contract=contract)
        refused(
            lambda: services.approve_contract(actor=manager, contract=contract),
            contract,
            error=FourEyesError,
            match="quatre yeux",
        )

    def test_refuses_a_delegation_approved_by_its_preparer(self, active_contract, manager):
        delegation = services.prepare_credit_delegation(
            actor=manager, contract=active_contract, year=2025
        )
        refused(
            lambda: services.approve_credit_delegation(
                actor=manager,
                delegation=delegation,
                decision_reference="DEL-1",
                decision_date=datetime.date(2025, 3, 1),
            ),
            active_contract,
            error=FourEyesError,
        )

    def test_refuses_a_statement_checked_by_its_submitter(self, delegated, director):
        statement = services.submit_consumption_statement(
            actor=director, allocation=allocation(delegated), consumed_amount=D("1000.00")
        )
        refused(
            lambda: services.check_consumption_statement(actor=director, statement=statement),
            delegated,
            error=FourEyesError,
        )

    def test_refuses_a_recovery_approved_by_its_preparer(self, delegated, manager):
        recovery = services.prepare_recovery(
            actor=manager, allocation=allocation(delegated), mode=RecoveryMode.RECOVER
        )
        refused(
            lambda: services.approve_recovery(actor=manager, recovery=recovery),
            delegated,
            error=FourEyesError,
        )

    def test_refuses_an_amendment_approved_by_its_author(self, active_contract, manager):
        amendment = services.draft_amendment(
            actor=manager,
            contract=active_contract,
            reason="Report",
            proposal=services.AmendmentProposal(envelope_amount=D("310000.00")),
        )
        refused(
            lambda: services.approve_amendment(actor=manager, amendment=amendment),
            active_contract,
            error=FourEyesError,
        )

    def test_refuses_a_milestone_validated_by_its_declarant(self, active_contract, manager):
        milestone = Milestone.objects.filter(axis__contract=active_contract).first()
        services.submit_milestone_progress(actor=manager, milestone=milestone, actual_value=D(3))
        refused(
            lambda: services.validate_milestone(actor=manager, milestone=milestone),
            active_contract,
            error=FourEyesError,
        )


class TestRejections:
    def test_need_a_reason(self, active_contract, manager, validator):
        draft = make_ready(
            ContractFactory(with_lines=True, hospital_group=active_contract.hospital_group)
        )
        services.submit_contract(actor=manager, contract=draft)
        refused(
            lambda: services.return_contract(actor=validator, contract=draft, reason="  "),
            draft,
            match="motif",
        )
        delegation = services.prepare_credit_delegation(
            actor=manager, contract=active_contract, year=2025
        )
        refused(
            lambda: services.reject_credit_delegation(
                actor=validator, delegation=delegation, reason=""
            ),
            active_contract,
            match="motif",
        )
        amendment = services.draft_amendment(
            actor=manager,
            contract=active_contract,
            reason="Report",
            proposal=services.AmendmentProposal(envelope_amount=D("310000.00")),
        )
        refused(
            lambda: services.reject_amendment(actor=validator, amendment=amendment, reason=""),
            active_contract,
            match="motif",
        )
        milestone = Milestone.objects.filter(axis__contract=active_contract).first()
        services.submit_milestone_progress(actor=manager, milestone=milestone, actual_value=D(1))
        refused(
            lambda: services.request_milestone_changes(
                actor=validator, milestone=milestone, reason=""
            ),
            active_contract,
            match="motif",
        )

    def test_of_an_amendment_journal_its_status_and_reason(
        self, active_contract, manager, validator
    ):
        amendment = services.draft_amendment(
            actor=manager,
            contract=active_contract,
            reason="Report",
            proposal=services.AmendmentProposal(envelope_amount=D("310000.00")),
        )
        services.reject_amendment(actor=validator, amendment=amendment, reason="Chiffres faux")
        amendment.refresh_from_db()
        assert amendment.status == DecisionStatus.REJECTED
        event = AuditEvent.objects.order_by("-id").first()
        assert (event.action, event.reason, event.actor_id) == (
            AuditAction.TRANSITION,
            "Chiffres faux",
            validator.pk,
        )
        assert event.changes["status"] == {"before": "PREPARED", "after": "REJECTED"}

    def test_with_a_reason_send_the_contract_back_to_draft(self, manager, validator):
        contract = make_ready(ContractFactory(with_lines=True))
        services.submit_contract(actor=manager, contract=contract)
        services.return_contract(actor=validator, contract=contract, reason="Axe 2 à revoir")
        contract.refresh_from_db()
        assert contract.status == ContractStatus.DRAFT
        assert AuditEvent.objects.last().reason == "Axe 2 à revoir"


class TestLifecycle:
    def last_event(self, action: str, object_type: str) -> AuditEvent:
        event = AuditEvent.objects.order_by("-id").first()
        assert (event.action, event.object_type) == (action, object_type)
        return event

    def test_moves_the_money_from_draft_to_next_years_offset(self, manager, validator, director):
        hospital_group = hospital_group_with_support()
        grant_region_scope(user=manager, region=hospital_group.region)
        grant_region_scope(user=validator, region=hospital_group.region)
        grant_hospital_group_scope(user=director, hospital_group=hospital_group)
        events = AuditEvent.objects.count()

        contract = services.create_contract(
            actor=manager,
            reference="CAT-CYCLE",
            title="Contrat du cycle complet",
            hospital_group=hospital_group,
            start_date=datetime.date(2025, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            envelope_amount=D("100000"),
            axes=[services.AxisInput(1, "Marque employeur")],
        )
        event = self.last_event(AuditAction.CREATE, "contracts.Contract")
        assert event.changes["envelope_amount"] == {"before": None, "after": "100000.00"}
        line = services.add_funding_line(
            actor=manager,
            axis=contract.axes.get(),
            code="1.1",
            scheme=SchemeCode.OTHER,
            label="Cellule de recrutement",
            beneficiary=contract.carrier_establishment,
            amounts_by_year={2025: D("40000.00"), 2026: D("40000.00")},
        )
        event = self.last_event(AuditAction.CREATE, "contracts.FundingLine")
        assert event.changes["1.1 2025"] == {"before": None, "after": "40000.00"}
        assert contract_figures(contract).total.allocated == D("80000.00")

        services.submit_contract(actor=manager, contract=make_ready(contract))
        self.last_event(AuditAction.TRANSITION, "contracts.Contract")
        services.approve_contract(
            actor=validator,
            contract=contract,
            at=datetime.datetime(2024, 12, 10, 9, tzinfo=datetime.UTC),
        )
        event = self.last_event(AuditAction.TRANSITION, "contracts.Contract")
        assert event.changes["status"] == {"before": "SUBMITTED", "after": "APPROVED"}
        services.record_signature(
            actor=manager,
            contract=contract,
            signature_date=datetime.date(2024, 12, 20),
            signatories="ARS ; GHT",
        )
        event = self.last_event(AuditAction.TRANSITION, "contracts.Contract")
        assert event.changes["status"]["after"] == "ACTIVE"

        delegation = services.prepare_credit_delegation(actor=manager, contract=contract, year=2025)
        self.last_event(AuditAction.CREATE, "contracts.CreditDelegation")
        assert contract_figures(contract).total.delegated == D("0.00")
        services.approve_credit_delegation(
            actor=validator,
            delegation=delegation,
            decision_reference="DEL-2025-01",
            decision_date=datetime.date(2025, 2, 1),
        )
        event = self.last_event(AuditAction.TRANSITION, "contracts.CreditDelegation")
        assert event.changes["1.1 2025 délégué"] == {"before": "0.00", "after": "40000.00"}
        figures = contract_figures(contract)
        assert (figures.total.delegated, figures.total.to_delegate) == (
            D("40000.00"),
            D("40000.00"),
        )

        alloc_2025 = line.allocations.get(year=2025)
        statement = services.submit_consumption_statement(
            actor=director,
            allocation=alloc_2025,
            consumed_amount=D("30000.00"),
            non_compliant_amount=D("2000.00"),
        )
        self.last_event(AuditAction.CREATE, "contracts.ConsumptionStatement")
        assert contract_figures(contract).total.consumed == D("0.00")  # not checked yet
        services.check_consumption_statement(actor=manager, statement=statement)
        event = self.last_event(AuditAction.TRANSITION, "contracts.ConsumptionStatement")
        assert event.changes["consumed_amount"] == {"before": "0.00", "after": "30000.00"}
        assert contract_figures(contract).total.consumed == D("30000.00")

        recovery = services.prepare_recovery(
            actor=manager, allocation=alloc_2025, mode=RecoveryMode.OFFSET
        )
        assert (recovery.unused_amount, recovery.non_compliant_amount, recovery.amount) == (
            D("10000.00"),
            D("2000.00"),
            D("12000.00"),
        )
        assert recovery.offset_year == 2026
        self.last_event(AuditAction.CREATE, "contracts.Recovery")
        services.approve_recovery(actor=validator, recovery=recovery)
        event = self.last_event(AuditAction.TRANSITION, "contracts.Recovery")
        assert event.changes["recovered_amount"] == {"before": "0.00", "after": "12000.00"}
        figures = contract_figures(contract)
        assert figures.total.recovered == D("12000.00")
        # 2025 is settled: 30,000 spent (2,000 of it non-compliant) + 10,000 unused = 40,000.
        assert figures.by_year[2025].remaining == D("0.00")
        assert figures.total.remaining == D("40000.00")

        proposal = services.proposed_delegation_amounts(contract, 2026)
        assert proposal == {line.allocations.get(year=2026).pk: D("28000.00")}
        # 11 writes, 11 events.
        assert AuditEvent.objects.count() == events + 11


class TestAmendment:
    def test_moves_allocations_and_milestone_dates_and_signals_the_reschedule(
        self, active_contract, manager, validator
    ):
        line = FundingLine.objects.filter(axis__contract=active_contract).first()
        milestone = Milestone.objects.filter(axis__contract=active_contract).first()
        received = []

        def receiver(sender, milestone, **kwargs):
            received.append((milestone.pk, milestone.due_date))

        signals.milestone_rescheduled.connect(receiver)
        try:
            amendment = services.draft_amendment(
                actor=manager,
                contract=active_contract,
                reason="Report du recrutement",
                proposal=services.AmendmentProposal(
                    allocations={line.pk: {2026: D("10000.00"), 2027: D("50000.00")}},
                    milestones={milestone.pk: {"due_date": datetime.date(2026, 9, 30)}},
                ),
            )
            events = AuditEvent.objects.count()
            services.approve_amendment(actor=validator, amendment=amendment)
        finally:
            signals.milestone_rescheduled.disconnect(receiver)

        amounts = dict(line.allocations.values_list("year", "allocated_amount"))
        assert amounts == {2025: D("30000.00"), 2026: D("10000.00"), 2027: D("50000.00")}
        milestone.refresh_from_db()
        assert milestone.due_date == datetime.date(2026, 9, 30)
        assert received == [(milestone.pk, datetime.date(2026, 9, 30))]
        active_contract.refresh_from_db()
        assert active_contract.version == 2
        assert AuditEvent.objects.count() == events + 1
        event = AuditEvent.objects.last()
        assert event.action == AuditAction.TRANSITION
        assert event.changes[f"{line.code} 2026"] == {"before": "30000.00", "after": "10000.00"}
        assert event.changes[f"jalon {milestone.pk} due_date"]["after"] == "2026-09-30"

    def test_refuses_to_cut_an_allocation_under_what_was_delegated(
        self, delegated, manager, validator
    ):
        line = allocation(delegated).funding_line
        amendment = services.draft_amendment(
            actor=manager,
            contract=delegated,
            reason="Baisse",
            proposal=services.AmendmentProposal(allocations={line.pk: {2025: D("1000.00")}}),
        )
        refused(
            lambda: services.approve_amendment(actor=validator, amendment=amendment),
            delegated,
            match="montant déjà délégué",
        )


class TestMilestones:
    def test_validation_is_journaled(self, active_contract, director, manager):
        milestone = Milestone.objects.filter(axis__contract=active_contract).first()
        services.submit_milestone_progress(actor=director, milestone=milestone, actual_value=D(4))
        events = AuditEvent.objects.count()
        services.validate_milestone(actor=manager, milestone=milestone)
        milestone.refresh_from_db()
        assert milestone.status == MilestoneStatus.VALIDATED
        assert AuditEvent.objects.count() == events + 1
        assert AuditEvent.objects.last().changes["status"] == {
            "before": "SUBMITTED",
            "after": "VALIDATED",
        }


class TestAddMilestoneToASignedContract:
    def test_is_refused_outside_an_amendment_and_nothing_is_written(self, active_contract, manager):
        axis = active_contract.axes.first()
        before = Milestone.objects.count()
        with pytest.raises(BusinessRuleError, match="ajouter un jalon"):
            services.add_milestone(
                actor=manager,
                axis=axis,
                title="Nouveau jalon",
                due_date=active_contract.start_date,
                indicator_label="Recrutements",
                target_value=Decimal("2"),
            )
        assert Milestone.objects.count() == before

    def test_is_allowed_for_an_amendment(self, active_contract, manager):
        milestone = services.add_milestone(
            actor=manager,
            axis=active_contract.axes.first(),
            title="Nouveau jalon",
            due_date=active_contract.start_date,
            indicator_label="Recrutements",
            target_value=Decimal("2"),
            allow_signed=True,
        )
        assert milestone.axis.contract == active_contract
