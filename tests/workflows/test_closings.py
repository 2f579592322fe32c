"""One open closing per line and year: from the page, and from two schedulers at once."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from contracts.models import FundingLine
from workflows import scheduling
from workflows.flows import ConsumptionClosingFlow
from workflows.models import ContractProcess

from . import scenarios
from .helpers import client_for, start


@pytest.mark.django_db
class TestASecondClosingFromThePage:
    def test_is_refused_with_a_french_message(self):
        contract = scenarios.active_demo_contract()
        allocation = scenarios.delegated_allocation(contract)
        response, first = start(
            client_for("manager"), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
        )
        assert response.status_code == 302

        response, second = start(
            client_for("manager2"), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
        )

        assert response.status_code == 400
        assert "est déjà en cours" in response.content.decode()
        assert second is None
        assert ContractProcess.objects.filter(allocation=allocation).count() == 1

    def test_is_accepted_once_the_first_is_finished(self):
        contract = scenarios.active_demo_contract()
        allocation = scenarios.delegated_allocation(contract)
        _, first = start(
            client_for("manager"), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
        )
        first.coerced.flow_class.instance.cancel(first)

        response, second = start(
            client_for("manager2"), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
        )

        assert response.status_code == 302
        assert second is not None


def allocations_due(today):
    """Return a delegated allocation of the demo contract whose line is due ``today``."""
    contract = scenarios.active_demo_contract()
    allocation = scenarios.delegated_allocation(contract)
    FundingLine.objects.filter(pk=allocation.funding_line_id).update(
        consumption_deadline_date=today
    )
    return allocation


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestTwoSchedulersAtTheSameMoment:
    def test_open_each_closing_once(self, monkeypatch):
        today = timezone.localdate()
        allocation = allocations_due(today)
        due = scheduling.YearlyAllocation.objects.filter(
            funding_line__consumption_deadline_date__lte=today, delegated_amount__gt=0
        ).count()
        barrier = threading.Barrier(2, timeout=30)
        run = ConsumptionClosingFlow.start_at_deadline.run
        waited = threading.local()

        def run_after_both_selected(**kwargs):
            # Both workers have read the allocations due before either inserts.
            if not getattr(waited, "done", False):
                waited.done = True
                barrier.wait()
            return run(**kwargs)

        monkeypatch.setattr(
            ConsumptionClosingFlow.start_at_deadline, "run", run_after_both_selected
        )
        opened, errors = [], []

        def open_due():
            try:
                output = io.StringIO()
                call_command("open_due_processes", stdout=output)
                opened.append(int(output.getvalue().split(", ")[1].split(" ")[0]))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=open_due) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert sum(opened) == due
        per_allocation = (
            ContractProcess.objects.filter(flow_class=ConsumptionClosingFlow)
            .values("allocation")
            .annotate(n=Count("pk"))
        )
        assert {row["n"] for row in per_allocation} == {1}
        assert ContractProcess.objects.filter(allocation=allocation).count() == 1
