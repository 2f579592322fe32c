import io

import pytest
from django.contrib.auth import get_user_model
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.journal import AuditEvent
from audit.verify import verify_journal
from benchmarks.management.commands.benchmark_national import Command as BenchmarkNational
from benchmarks.national import generate, sizes
from contracts.models import Contract
from territories.access import visible_hospital_groups
from territories.models import HospitalGroup, Region
from workflows.flows import FLOWS
from workflows.lists import queue_for
from workflows.models import ContractProcess

pytestmark = pytest.mark.django_db

SCALE = 0.01  # 2 regions, 2 GHTs, 20 contracts, 1,000 processes, 10,000 events


@pytest.fixture
def country():
    return generate(SCALE, lambda line: None)


class TestGenerateNational:
    def test_builds_a_tenth_of_a_tenth_of_the_country(self, country):
        size = sizes(SCALE)
        assert Region.objects.filter(code__startswith="N").count() == size["regions"]
        assert HospitalGroup.objects.filter(code__startswith="N").count() == size["hospital_groups"]
        assert Contract.objects.count() == size["contracts"]
        assert ContractProcess.objects.count() == 50 * size["contracts"]
        assert Task.objects.count() == 100 * size["contracts"]
        assert Task.objects.filter(finished__isnull=True).count() == 5 * size["contracts"]
        assert AuditEvent.objects.filter(contract_id__isnull=False).count() == 500 * 20

    def test_writes_a_journal_that_verifies(self, country):
        assert verify_journal().is_valid

    def test_grants_scopes_as_the_app_does(self, country):
        users = get_user_model().objects
        region = country.regions[0]
        manager = users.get(username="n-manager-0")
        director = users.get(username="n-director-0")
        assert set(visible_hospital_groups(manager)) == set(region.hospital_groups.all())
        assert list(visible_hospital_groups(director)) == [country.hospital_groups[0]]

    def test_fills_the_queue_of_a_validator_but_not_with_what_they_prepared(self, country):
        validator = get_user_model().objects.get(username="n-validator-0")
        queue = list(queue_for(validator, FLOWS))
        assert queue
        assert all(task.status == STATUS.NEW for task in queue)
        assert all(task.data.get("prepared_by") != validator.pk for task in queue)


class TestVerdict:
    """The command's verdict names every missed target, the transition's included."""

    def verdict(self, transition):
        out = io.StringIO()
        command = BenchmarkNational(stdout=out)
        page = {"p95_ms": 20.0, "queries": 5, "status": 200}
        command.verdict({"inbox/manager": page}, {"inbox/manager": 1.1}, transition)
        return out.getvalue()

    def test_names_a_transition_over_its_target(self):
        report = self.verdict({"services": {"ratio": 1.2}, "pages": {"ratio": 1.36}})
        assert "MANQUÉS" in report
        assert "transition (pages) ×1.36 > ×1.3" in report
        assert "transition (services)" not in report

    def test_a_transition_within_its_target_misses_nothing(self):
        assert "atteints" in self.verdict({"services": {"ratio": 1.2}, "pages": {"ratio": 1.3}})

    def test_a_run_without_the_transition_judges_the_pages(self):
        assert "atteints" in self.verdict(None)
