"""Out-of-scope and missing objects answer alike, so no page tells that an id exists.

Every page of the Site that takes an object id (processes, tasks, contracts, progress and
history pages) is found by walking the URL resolver; an outsider asks it once with the
ids of GHT A's objects and once with ids that exist nowhere: the answers must match.
"""

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from contracts.models import Contract, FundingLine, Milestone
from workflows.models import ContractProcess

from . import test_scope
from .helpers import client_for
from .test_scope import flow_namespace, site_url_names

pytestmark = pytest.mark.django_db

world = test_scope.world

MISSING = 10**9
# Extra parameters some pages take: a value each accepts.
OTHER_PARAMS = {"kind": "lines", "file_format": "csv", "direction": "up"}


def contract_page_urls(contract, missing: bool):
    """Yield ``(name, url)`` of every page about one contract, with real or missing ids."""
    line = FundingLine.objects.filter(axis__contract=contract).first()
    milestone = Milestone.objects.filter(axis__contract=contract).first()
    ids = {
        "pk": MISSING if missing else contract.pk,
        "line_pk": MISSING if missing else line.pk,
        "milestone_pk": MISSING if missing else milestone.pk,
        "axis_pk": MISSING if missing else line.axis_id,
        # The world files no document: a document id is missing in both cases (the download
        # views' own scope tests are in tests/contracts/test_documents.py).
        "document_pk": MISSING,
        # Likewise an import file (tests/contracts/test_import_jobs.py checks its owner).
        "token": "00000000-0000-4000-8000-000000000000",
    }
    for prefix in ("contracts:", "progress:", "audit:"):
        for name, params in site_url_names(prefix):
            if "pk" not in params:
                continue
            values = {**ids, **OTHER_PARAMS}
            yield name, reverse(name, kwargs={param: values[param] for param in params})


def process_page_urls(process, missing: bool):
    """Yield ``(name, url)`` of every page of ``process`` and its tasks."""
    namespace = flow_namespace(process.flow_class)
    process_pk = MISSING if missing else process.pk
    for name, params in site_url_names(namespace):
        if params == ("process_pk",):
            yield name, reverse(name, args=[process_pk])
        elif params == ("process_pk", "task_pk"):
            node_name = name.removeprefix(namespace).split(":")[0]
            for task in Task.objects.filter(process=process, flow_task__endswith=node_name):
                if task.flow_task.name == node_name:
                    task_pk = MISSING if missing else task.pk
                    yield name, reverse(name, args=[process_pk, task_pk])


def answers(client, urls) -> list:
    result = []
    for name, url in urls:
        get = client.get(url).status_code
        post = client.post(url, {"decision": "APPROVED"}).status_code
        result.append((name, get, post))
    return result


# The ARS manager of another region holds the most permissions of the outsiders: the
# pages get furthest before refusing. The scope tests walk the others.
@pytest.mark.parametrize("outsider", ["manager_other_region"])
class TestAnOutsider:
    def test_gets_the_same_404_for_a_process_of_ght_a_and_a_missing_one(self, world, outsider):
        client = client_for(world["users"][outsider].username)
        checked = 0
        one_per_flow = {p.flow_class: p for p in world["processes"]}.values()
        for process in ContractProcess.objects.filter(pk__in=[p.pk for p in one_per_flow]):
            out_of_scope = answers(client, process_page_urls(process, missing=False))
            missing = answers(client, process_page_urls(process, missing=True))
            assert out_of_scope == missing
            assert {status for _, get, post in out_of_scope for status in (get, post)} == {404}
            checked += len(out_of_scope)
        assert checked > 50

    def test_gets_the_same_answer_for_a_contract_of_ght_a_and_a_missing_one(self, world, outsider):
        client = client_for(world["users"][outsider].username)
        # The active demo contract: it has lines and milestones for every page's ids.
        for contract in Contract.objects.filter(pk=world["contracts"][0].pk):
            out_of_scope = answers(client, contract_page_urls(contract, missing=False))
            missing = answers(client, contract_page_urls(contract, missing=True))
            assert out_of_scope == missing
            assert len(out_of_scope) >= 10
            assert {status for _, get, post in out_of_scope for status in (get, post)} <= {
                403,
                404,
                405,
            }
