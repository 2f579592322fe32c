"""Editing a draft's structure through the services: axes, lines, milestones; journaled."""

from datetime import date
from decimal import Decimal as D

import pytest

from audit.journal import AuditEvent
from contracts import services
from contracts.exceptions import BusinessRuleError
from contracts.models import ContractStatus, FundingLine, Milestone, StrategicAxis
from contracts.selectors import submission_blockers

from .factories import ContractFactory, FundingLineFactory, StrategicAxisFactory

pytestmark = pytest.mark.django_db


def last_event():
    return AuditEvent.objects.order_by("-id").first()


def titles(contract):
    return list(contract.axes.order_by("number").values_list("title", flat=True))


class TestAxes:
    def test_add_change_move_and_remove_are_journaled(self, contract, manager):
        axis = services.add_axis(actor=manager, contract=contract, title="Attractivité")
        assert axis.number == 3
        assert last_event().changes["title"] == {"before": None, "after": "Attractivité"}

        services.change_axis(actor=manager, axis=axis, title="Fidélisation")
        assert last_event().changes["title"] == {"before": "Attractivité", "after": "Fidélisation"}

        services.move_axis(actor=manager, axis=axis, direction=-1)
        assert titles(contract)[1] == "Fidélisation"
        assert last_event().changes["axe « Fidélisation »"] == {"before": 3, "after": 2}

        services.remove_axis(actor=manager, axis=StrategicAxis.objects.get(pk=axis.pk))
        assert last_event().summary == "Axes renumérotés"
        assert list(contract.axes.order_by("number").values_list("number", flat=True)) == [1, 2]
        assert "Fidélisation" not in titles(contract)

    def test_an_axis_with_lines_is_not_removed(self, contract, manager):
        axis = contract.axes.get(number=1)
        with pytest.raises(BusinessRuleError, match="Retirez d'abord"):
            services.remove_axis(actor=manager, axis=axis)

    def test_the_first_axis_does_not_move_up(self, contract, manager):
        with pytest.raises(BusinessRuleError, match="extrémité"):
            services.move_axis(actor=manager, axis=contract.axes.get(number=1), direction=-1)

    def test_a_signed_contract_keeps_its_axes(self, manager):
        contract = ContractFactory(signed=True, with_lines=True)
        count = AuditEvent.objects.count()
        with pytest.raises(BusinessRuleError, match="Impossible"):
            services.add_axis(actor=manager, contract=contract, title="Nouveau")
        with pytest.raises(BusinessRuleError, match="Impossible"):
            services.move_axis(actor=manager, axis=contract.axes.get(number=2), direction=-1)
        assert AuditEvent.objects.count() == count


class TestLinesAndMilestones:
    def test_removing_a_line_journals_its_amounts(self, contract, manager):
        line = FundingLine.objects.filter(axis__contract=contract).first()
        services.remove_funding_line(actor=manager, line=line)
        assert not FundingLine.objects.filter(pk=line.pk).exists()
        event = last_event()
        assert event.action == "DELETE"
        assert event.changes[f"{line.code} 2025"] == {"before": "30000.00", "after": None}

    def test_a_milestone_changes_within_the_period_only(self, contract, manager):
        milestone = Milestone.objects.filter(axis__contract=contract).first()
        with pytest.raises(BusinessRuleError, match="période du contrat"):
            services.change_milestone(actor=manager, milestone=milestone, due_date=date(2030, 1, 1))
        services.change_milestone(
            actor=manager, milestone=milestone, target_value=D("12"), indicator_unit="ETP"
        )
        changes = last_event().changes
        assert changes["target_value"] == {"before": "10.00", "after": "12"}
        assert changes["indicator_unit"] == {"before": "personnes", "after": "ETP"}

    def test_removing_a_milestone_is_journaled(self, contract, manager):
        milestone = Milestone.objects.filter(axis__contract=contract).first()
        services.remove_milestone(actor=manager, milestone=milestone)
        assert last_event().changes["title"] == {"before": milestone.title, "after": None}
        assert not Milestone.objects.filter(pk=milestone.pk).exists()


class TestSubmissionBlockers:
    def messages(self, contract):
        return [blocker.message for blocker in submission_blockers(contract)]

    def test_an_empty_draft_lacks_axes(self):
        contract = ContractFactory()
        assert self.messages(contract) == ["Le contrat n'a aucun axe stratégique."]

    def test_each_missing_piece_is_listed(self):
        contract = ContractFactory(envelope_amount=D("1000.00"))
        empty = StrategicAxisFactory(contract=contract, number=1, title="Vide")
        axis = StrategicAxisFactory(contract=contract, number=2)
        FundingLineFactory(axis=axis, code="L-SANS", amounts={})
        FundingLineFactory(axis=axis, code="IPA-1", scheme="IPA", amounts={2025: D("500.00")})
        messages = self.messages(contract)
        assert f"L'axe 1 « {empty.title} » n'a aucune ligne de financement." in messages
        assert "La ligne L-SANS (axe 2) n'a aucun montant annuel." in messages
        assert any(m.startswith("IPA-1 : ") and "students" in m for m in messages)
        assert any("diffère de l'enveloppe" in m for m in messages)
        assert "Le contrat n'a aucun jalon." in messages

    def test_a_complete_draft_is_ready_and_submits(self, manager):
        contract = ContractFactory(with_lines=True, envelope_amount=D("180000.00"))
        assert self.messages(contract) == []
        services.submit_contract(actor=manager, contract=contract)
        assert contract.__class__.objects.get(pk=contract.pk).status == ContractStatus.SUBMITTED

    def test_submission_is_refused_while_something_blocks(self, manager):
        contract = ContractFactory(with_lines=True)  # 180,000 EUR of lines, 300,000 envelope
        milestone_count = Milestone.objects.count()
        with pytest.raises(BusinessRuleError, match="diffère de l'enveloppe"):
            services.submit_contract(actor=manager, contract=contract)
        assert contract.__class__.objects.get(pk=contract.pk).status == ContractStatus.DRAFT
        assert Milestone.objects.count() == milestone_count
