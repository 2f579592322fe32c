"""Read-only roles create nothing: every POST an auditor can address writes no row.

Every page of the Site is found by walking the URL resolver and posted to with the ids
of real objects in the auditor's scope (the auditor sees the whole country), so a POST
endpoint added later is covered too. The GHT director is posted to on every page that is
not one of its own tasks (those are its job: report a milestone, submit a statement).
"""

import uuid

import pytest
from django.apps import apps
from django.urls import NoReverseMatch, reverse
from viewflow.workflow.models import Task

from contracts.models import FundingLine, Milestone
from reporting.models import ExportJob
from workflows.flows import ConsumptionClosingFlow, MilestoneReviewFlow

from . import test_scope
from .helpers import client_for
from .test_scope import site_url_names

pytestmark = pytest.mark.django_db

world = test_scope.world

# Rows a POST may write whoever sends it: the session of the logged-in client.
NOT_DATA = {"sessions.session"}
# The director's own tasks: posting to them is its work, not a read-only role's.
DIRECTOR_NODES = {
    MilestoneReviewFlow.report,
    ConsumptionClosingFlow.declare,
}
POST_DATA = {"decision": "APPROVED", "reason": "test", "contract": "", "pk": []}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in NOT_DATA and model._meta.managed
    }


def task_states():
    return list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id"))


def every_url(world, skip_nodes=frozenset()):
    """Yield every URL of the Site, with the ids of real objects wherever it takes some."""
    contract = world["contracts"][0]
    values = {
        "pk": contract.pk,
        "line_pk": FundingLine.objects.filter(axis__contract=contract).first().pk,
        "milestone_pk": Milestone.objects.filter(axis__contract=contract).first().pk,
        "kind": "lines",
        "file_format": "csv",
        "token": uuid.uuid4(),
    }
    for name, params in site_url_names(prefix=""):
        if name.startswith(("admin:", "login", "logout")) or not name:
            continue
        if "process_pk" in params:
            for process in world["processes"]:
                if not name.startswith(test_scope.flow_namespace(process.flow_class)):
                    continue
                if "task_pk" not in params:
                    yield reverse(name, args=[process.pk])
                    continue
                node_name = name.split(":")[-2]
                for task in Task.objects.filter(process=process):
                    if task.flow_task.name == node_name and task.flow_task not in skip_nodes:
                        yield reverse(name, args=[process.pk, task.pk])
            continue
        try:
            yield reverse(name, kwargs={param: values[param] for param in params})
        except (KeyError, NoReverseMatch):
            # A regex route of the API router (its own read-only tests: tests/api).
            continue


def post_everywhere(client, urls) -> list[tuple[str, int]]:
    return [(url, client.post(url, POST_DATA).status_code) for url in urls]


class TestAnAuditor:
    def test_writes_nothing_whatever_it_posts(self, world):
        auditor = client_for("auditor")
        before, tasks_before = row_counts(), task_states()

        answers = post_everywhere(auditor, every_url(world))

        assert len(answers) > 100
        assert row_counts() == before
        assert task_states() == tasks_before
        # Refused, redirected, or a form shown again (invalid): never an error page.
        assert [answer for answer in answers if answer[1] >= 500] == []

    def test_cannot_ask_for_a_region_export(self, world):
        response = client_for("auditor").post(reverse("progress:region_export"))
        assert response.status_code == 403
        assert not ExportJob.objects.exists()

    def test_sees_the_export_page_without_its_button(self, world):
        response = client_for("auditor").get(reverse("progress:region_export"))
        assert response.status_code == 200
        assert "Lancer l'export" not in response.content.decode()
        assert "lecture seule" in response.content.decode()


class TestAGhtDirector:
    def test_writes_nothing_outside_its_own_tasks(self, world):
        director = client_for("director")
        before, tasks_before = row_counts(), task_states()

        post_everywhere(director, every_url(world, skip_nodes=DIRECTOR_NODES))

        assert row_counts() == before
        assert task_states() == tasks_before

    def test_cannot_ask_for_a_region_export(self, world):
        assert client_for("director").post(reverse("progress:region_export")).status_code == 403
        assert not ExportJob.objects.exists()


class TestAnArsManager:
    def test_still_asks_for_a_region_export(self, world, django_capture_on_commit_callbacks):
        response = client_for("manager").post(reverse("progress:region_export"))
        assert response.status_code == 302
        assert ExportJob.objects.count() == 1
