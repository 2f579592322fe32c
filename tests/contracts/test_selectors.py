import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.models import MilestoneStatus, YearlyAllocation
from contracts.money import ZERO
from contracts.selectors import (
    MoneyFigures,
    contract_figures,
    contract_overview,
    contract_snapshot,
    figures_by_contract,
    visible_contracts,
)
from territories.access import Role

from .factories import (
    ContractFactory,
    FundingLineFactory,
    MilestoneFactory,
    StrategicAxisFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

D = Decimal
YEARS = [2025, 2026, 2027]

MAX_CENTS = 5_000_000


@st.composite
def allocation_rows(draw):
    """Draw (axis, line, year, allocated, delegated, consumed, recovered) rows that hold."""
    rows = []
    for axis in range(1, draw(st.integers(1, 3)) + 1):
        for line in range(draw(st.integers(1, 3))):
            for year in draw(st.lists(st.sampled_from(YEARS), min_size=1, unique=True)):
                # Draw cents, delegated within allocated: no filtering, no rejected inputs.
                allocated_cents = draw(st.integers(0, MAX_CENTS))
                allocated = D(allocated_cents) / 100
                delegated = D(draw(st.integers(0, allocated_cents))) / 100
                consumed = draw(
                    st.sampled_from([ZERO, delegated, (delegated / 3).quantize(D("0.01"))])
                )
                recovered = draw(st.sampled_from([ZERO, delegated - consumed, delegated]))
                rows.append((axis, line, year, allocated, delegated, consumed, recovered))
    return rows


def build(rows):
    contract = ContractFactory(envelope_amount=D("999999999.99"))
    axes, lines = {}, {}
    for axis_number, line_number, year, allocated, delegated, consumed, recovered in rows:
        if axis_number not in axes:
            axes[axis_number] = StrategicAxisFactory(contract=contract, number=axis_number)
        key = (axis_number, line_number)
        if key not in lines:
            lines[key] = FundingLineFactory(
                axis=axes[axis_number], code=f"{axis_number}.{line_number}"
            )
        YearlyAllocation.objects.create(
            funding_line=lines[key],
            year=year,
            allocated_amount=allocated,
            delegated_amount=delegated,
            consumed_amount=consumed,
            recovered_amount=recovered,
        )
    return contract


class TestContractFigures:
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(rows=allocation_rows())
    def test_add_up_at_every_level(self, rows):
        contract = build(rows)
        figures = contract_figures(contract)
        total = figures.total
        assert total.allocated == sum((row[3] for row in rows), ZERO)
        assert total.delegated == sum((row[4] for row in rows), ZERO)
        for breakdown in (figures.by_axis, figures.by_line, figures.by_year, figures.by_scheme):
            assert MoneyFigures.total(breakdown.values()) == total
        assert MoneyFigures.total(figures.by_line_and_year.values()) == total
        assert figures_by_contract([contract.pk])[contract.pk] == total
        for level in (total, *figures.by_line_and_year.values()):
            assert level.to_delegate == level.allocated - level.delegated
            assert ZERO <= level.remaining <= level.allocated

    def test_count_non_compliant_spending_once_in_what_remains(self):
        figures = MoneyFigures.of_allocation(
            allocated=D("100.00"), delegated=D("100.00"), consumed=D("100.00"), recovered=D("20")
        )
        assert figures.settled == D("100.00")
        assert figures.remaining == D("0.00")

    def test_keep_undelegated_and_unspent_money_in_what_remains(self):
        figures = MoneyFigures.of_allocation(
            allocated=D("100.00"), delegated=D("50.00"), consumed=D("30.00"), recovered=ZERO
        )
        assert (figures.to_delegate, figures.remaining) == (D("50.00"), D("70.00"))

    def test_take_one_query_whatever_the_size(self, django_assert_num_queries):
        contract = ContractFactory(with_lines=True)
        with django_assert_num_queries(1):
            contract_figures(contract)
        other = ContractFactory(with_lines=True)
        with django_assert_num_queries(1):
            figures_by_contract([contract.pk, other.pk])


class TestContractOverview:
    def test_flag_late_milestones_on_the_day_given(self):
        contract = ContractFactory(with_lines=True)
        axis = contract.axes.get(number=1)
        due = MilestoneFactory(axis=axis, due_date=datetime.date(2026, 2, 28))
        done = MilestoneFactory(
            axis=axis,
            due_date=datetime.date(2026, 2, 28),
            status=MilestoneStatus.VALIDATED,
            actual_value=D(1),
        )

        def late(today):
            overview = contract_overview(contract, today=today)
            return {
                entry.milestone.pk: entry.is_late
                for item in overview.axes
                for entry in item.milestones
            }

        assert late(datetime.date(2026, 2, 28))[due.pk] is False
        assert late(datetime.date(2026, 3, 1))[due.pk] is True
        assert late(datetime.date(2026, 3, 1))[done.pk] is False

    def test_show_each_line_with_its_amount_per_year(self):
        contract = ContractFactory(with_lines=True)
        overview = contract_overview(contract, today=datetime.date(2025, 1, 1))
        assert overview.years == [2025, 2026, 2027]
        row = overview.axes[0].lines[0]
        assert [cell.figures.allocated for cell in row.years] == [D("30000.00")] * 3
        assert overview.axes[0].figures.allocated == D("90000.00")


class TestContractSnapshot:
    def test_is_plain_json_in_a_stable_order(self):
        import json

        contract = ContractFactory(with_lines=True)
        snapshot = contract_snapshot(contract)
        assert json.loads(json.dumps(snapshot)) == snapshot
        assert [axis["number"] for axis in snapshot["axes"]] == [1, 2]
        line = snapshot["axes"][0]["lines"][0]
        assert line["allocations"]["2025"]["allocated"] == "30000.00"
        assert snapshot["axes"][0]["milestones"][0]["due_date"] == "2025-06-30"
        assert snapshot == contract_snapshot(contract)


class TestVisibleContracts:
    def test_show_a_ght_director_their_own_ght_only(self):
        mine = ContractFactory()
        ContractFactory()
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=mine.hospital_group)
        assert list(visible_contracts(director)) == [mine]
