import datetime
from decimal import Decimal

import pytest
import time_machine

from contracts.models import Milestone, MilestoneStatus
from contracts.schemes import SchemeCode
from reporting import selectors
from reporting.selectors import OverviewFilters

from .conftest import TODAY, add_milestones, contracts_in, move_money, open_review

pytestmark = pytest.mark.django_db
D = Decimal


def milestone(**kwargs) -> Milestone:
    defaults = {
        "due_date": datetime.date(2026, 6, 30),
        "status": MilestoneStatus.PLANNED,
        "baseline_value": D("0"),
        "target_value": D("20"),
        "actual_value": None,
    }
    return Milestone(**{**defaults, **kwargs})


class TestMilestoneState:
    def test_is_done_once_validated_even_past_due(self):
        done = milestone(status=MilestoneStatus.VALIDATED, actual_value=D("20"))
        assert selectors.milestone_state(done, today=datetime.date(2027, 1, 1)) == "DONE"

    def test_is_late_the_day_after_the_due_date_unless_validated(self):
        item = milestone(status=MilestoneStatus.SUBMITTED, actual_value=D("3"))
        assert selectors.milestone_state(item, today=datetime.date(2026, 6, 30)) == "SUBMITTED"
        assert selectors.milestone_state(item, today=datetime.date(2026, 7, 1)) == "LATE"
        assert selectors.milestone_state(milestone(), today=TODAY) == "DUE"


class TestIndicatorPercent:
    def test_measure_from_the_baseline_to_the_target(self):
        assert selectors.indicator_percent(milestone(actual_value=D("15"))) == D("75.0")
        item = milestone(baseline_value=D("10"), target_value=D("30"), actual_value=D("15"))
        assert selectors.indicator_percent(item) == D("25.0")
        assert selectors.indicator_percent(milestone(actual_value=D("26"))) == D("130.0")

    def test_is_unknown_until_reported_and_all_or_nothing_on_a_flat_target(self):
        assert selectors.indicator_percent(milestone()) is None
        flat = milestone(baseline_value=D("5"), target_value=D("5"), actual_value=D("5"))
        assert selectors.indicator_percent(flat) == D("100")


class TestContractProgress:
    def test_split_money_per_axis_year_and_scheme_so_that_it_adds_up(self, contract, manager):
        move_money(contract, year=2025, delegated="30000.00", consumed="12000.00", recovered="1000")
        progress = selectors.contract_progress(contract, user=manager, today=TODAY)
        assert [axis.axis.number for axis in progress.axes] == [1, 2]
        axis = progress.axes[0]
        assert [cell.year for cell in axis.years] == [2025, 2026, 2027]
        first_year = axis.years[0].figures
        assert (first_year.allocated, first_year.delegated, first_year.consumed) == (
            D("30000.00"),
            D("30000.00"),
            D("12000.00"),
        )
        assert first_year.remaining == D("17000.00")
        assert axis.figures.allocated == D("90000.00")
        assert [scheme.scheme for scheme in axis.schemes] == [SchemeCode.OTHER]
        assert sum(a.figures.allocated for a in progress.axes) == progress.total.allocated
        assert progress.consumed_of_delegated == D("40.0")
        assert progress.consumed_of_allocated == D("13.3")

    def test_count_milestones_done_due_and_late_per_axis(self, contract, manager):
        first = Milestone.objects.filter(axis__number=1, axis__contract=contract)
        first.filter(due_date__year=2025).update(
            status=MilestoneStatus.VALIDATED, actual_value=D("10")
        )
        progress = selectors.contract_progress(contract, user=manager, today=TODAY)
        axis_1, axis_2 = progress.axes
        assert (axis_1.done_count, axis_1.due_count, axis_1.late_count) == (1, 2, 0)
        assert (axis_2.done_count, axis_2.due_count, axis_2.late_count) == (0, 2, 1)
        assert axis_1.milestones[0].percent == D("100.0")
        assert progress.late_count == 1

    def test_list_the_open_tasks_of_the_contract_as_pending_decisions(
        self, contract, manager, other_contract
    ):
        with time_machine.travel(datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)):
            open_review(Milestone.objects.filter(axis__contract=contract).first())
        open_review(Milestone.objects.filter(axis__contract=other_contract).first())
        progress = selectors.contract_progress(contract, user=manager, today=TODAY)
        assert [(p.title, p.created_date) for p in progress.pending] == [
            ("Déclarer l'avancement", datetime.date(2026, 3, 1))
        ]

    def test_take_five_queries_whatever_the_size(
        self, contract, manager, django_assert_num_queries
    ):
        selectors.contract_progress(contract, user=manager, today=TODAY)  # caches permissions
        add_milestones(contract, 20)
        open_review(Milestone.objects.filter(axis__contract=contract).first())
        with django_assert_num_queries(5):
            selectors.contract_progress(contract, user=manager, today=TODAY)


class TestOverviewRows:
    def test_rate_consumption_count_late_milestones_and_pending_decisions(
        self, contract, manager, other_contract
    ):
        second = contracts_in(contract.region, 1)[0]
        move_money(contract, year=2025, delegated="30000.00", consumed="15000.00")
        open_review(Milestone.objects.filter(axis__contract=second).first())
        rows = selectors.overview_rows(manager, today=TODAY, filters=OverviewFilters())
        by_contract = {row.contract: row for row in rows}
        assert set(by_contract) == {contract, second}
        assert by_contract[contract].consumed_of_delegated == D("50.0")
        assert by_contract[contract].consumed_of_allocated == D("16.7")
        assert by_contract[second].consumed_of_delegated is None
        assert by_contract[contract].late_count == 2  # the two milestones of 30/06/2025
        assert (by_contract[contract].pending_count, by_contract[second].pending_count) == (0, 1)

    def test_restrict_money_and_late_milestones_to_the_axis_and_year_filtered(
        self, contract, manager
    ):
        filters = OverviewFilters(axis_number=2, year=2025)
        (row,) = selectors.overview_rows(manager, today=TODAY, filters=filters)
        assert row.figures.allocated == D("30000.00")
        assert row.late_count == 1
        assert (
            selectors.overview_rows(manager, today=TODAY, filters=OverviewFilters(axis_number=3))
            == []
        )
        assert (
            selectors.overview_rows(
                manager, today=TODAY, filters=OverviewFilters(scheme=SchemeCode.IPA)
            )
            == []
        )

    def test_sort_by_rate_with_unknown_rates_last(self, contract, manager):
        second, third = contracts_in(contract.region, 2)
        move_money(contract, year=2025, delegated="30000.00", consumed="3000.00")
        move_money(second, year=2025, delegated="30000.00", consumed="27000.00")
        rows = selectors.overview_rows(
            manager, today=TODAY, filters=OverviewFilters(), sort="-delegated_rate"
        )
        assert [row.contract for row in rows] == [second, contract, third]
        rows = selectors.overview_rows(
            manager, today=TODAY, filters=OverviewFilters(), sort="delegated_rate"
        )
        assert [row.contract for row in rows] == [contract, second, third]


class TestDeadlines:
    def test_put_late_ones_first_then_upcoming_ones(self, contract, director, other_contract):
        open_review(Milestone.objects.filter(axis__contract=contract).first())
        entries = selectors.deadlines(director, today=TODAY)
        assert {entry.contract_id for entry in entries} == {contract.pk}
        late = [entry for entry in entries if entry.is_late]
        upcoming = [entry for entry in entries if not entry.is_late]
        assert entries == late + upcoming
        assert [entry.day for entry in late] == sorted(entry.day for entry in late)
        assert [entry.day for entry in upcoming] == sorted(entry.day for entry in upcoming)
        kinds = {entry.kind for entry in entries}
        assert kinds == {"MILESTONE", "CONTRACT_END", "DECISION"}
        assert upcoming[-1].kind == "CONTRACT_END"

    def test_drop_validated_milestones_and_settled_consumption_deadlines(self, contract, manager):
        Milestone.objects.filter(axis__contract=contract).update(
            status=MilestoneStatus.VALIDATED, actual_value=D("1")
        )
        lines = contract.axes.get(number=1).lines
        lines.update(consumption_deadline_date=datetime.date(2025, 12, 31))
        contract.axes.get(number=2).lines.update(
            consumption_deadline_date=datetime.date(2026, 12, 31)
        )
        move_money(contract, year=2025, delegated="30000.00", consumed="30000.00")
        entries = selectors.deadlines(manager, today=TODAY)
        assert [(entry.kind, entry.day, entry.is_late) for entry in entries] == [
            ("CONSUMPTION", datetime.date(2026, 12, 31), False),
            ("CONTRACT_END", datetime.date(2027, 12, 31), False),
        ]
        move_money(contract, year=2025, delegated="30000.00", consumed="20000.00")
        entries = selectors.deadlines(manager, today=TODAY)
        assert entries[0].kind == "CONSUMPTION" and entries[0].is_late

    def test_take_four_queries_whatever_the_size(
        self, contract, manager, django_assert_num_queries
    ):
        selectors.deadlines(manager, today=TODAY)  # caches permissions
        contracts_in(contract.region, 3)
        with django_assert_num_queries(4):
            selectors.deadlines(manager, today=TODAY)


class TestHasRegionalView:
    def test_is_for_ars_staff_and_auditors_not_ght_directors(
        self, manager, validator, auditor, director
    ):
        assert selectors.has_regional_view(manager)
        assert selectors.has_regional_view(validator)
        assert selectors.has_regional_view(auditor)
        assert not selectors.has_regional_view(director)
