"""The CLACT consumption deadline of a line opens the consumption closing of that line.

Seeds/001: « La consommation de la subvention … doit être réalisée au plus tard le
31/12/2026 » ; the demo line 5.1 (CLACT) carries its deadline as ``consumption_deadline_date``.
"""

import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command

from contracts.models import FundingLine, YearlyAllocation
from workflows.flows import ConsumptionClosingFlow
from workflows.models import ContractProcess

from . import scenarios

pytestmark = pytest.mark.django_db


def open_due_processes_on(day: date) -> str:
    out = io.StringIO()
    with time_machine.travel(datetime(day.year, day.month, day.day, 6, tzinfo=UTC), tick=False):
        call_command("open_due_processes", stdout=out)
    return out.getvalue()


def closings_of(allocation) -> list[ContractProcess]:
    return list(
        ContractProcess.objects.filter(allocation=allocation, flow_class=ConsumptionClosingFlow)
    )


@pytest.fixture
def clact_allocation():
    """The delegated 2026 allocation of the CLACT line 5.1, its deadline 31 December 2026."""
    contract = scenarios.active_demo_contract()
    FundingLine.objects.filter(axis__contract=contract, code="5.1").update(
        consumption_deadline_date=date(2026, 12, 31)
    )
    return scenarios.delegated_allocation(contract, code="5.1", year=2026)


class TestTheClactConsumptionDeadline:
    def test_opens_nothing_the_day_before(self, clact_allocation):
        open_due_processes_on(date(2026, 12, 30))
        assert closings_of(clact_allocation) == []

    def test_opens_the_closing_of_the_line_on_the_deadline(self, clact_allocation):
        output = open_due_processes_on(date(2026, 12, 31))
        [closing] = closings_of(clact_allocation)
        assert closing.year == 2026
        assert closing.contract_id == clact_allocation.funding_line.axis.contract_id
        assert "1 clôture(s) ouverte(s)" in output
        [task] = closing.task_set.filter(flow_task=ConsumptionClosingFlow.declare)
        assert task.status == "NEW"

    def test_opens_it_once_when_run_again(self, clact_allocation):
        open_due_processes_on(date(2026, 12, 31))
        output = open_due_processes_on(date(2027, 1, 1))
        assert len(closings_of(clact_allocation)) == 1
        assert "0 clôture(s) ouverte(s)" in output

    def test_a_line_not_delegated_is_not_closed(self, clact_allocation):
        other_year = YearlyAllocation.objects.get(
            funding_line=clact_allocation.funding_line, year=2027
        )
        open_due_processes_on(date(2026, 12, 31))
        assert closings_of(other_year) == []
