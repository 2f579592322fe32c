"""Nobody outside a GHT's scope gets anything of its processes, on any workflow page.

GHT A is the demo GHT (Grand Est) with a process of every flow, open and finished tasks.
The outsiders: the director of another GHT of the same region, the director of a GHT of
another region, and the ARS manager of that other region. Every page of the Site is
found by walking the URL resolver, so a page added later is covered too.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contracts.models import Contract, Milestone
from territories.access import Role
from territories.models import Region
from tests.contracts.factories import (
    ContractFactory,
    hospital_group_with_support,
    make_ready,
    user_with_role,
)
from tests.workflows.world import REGION_CODE as GRAND_EST_CODE
from workflows.flows import FLOWS, ContractApprovalFlow, MilestoneReviewFlow
from workflows.models import ContractProcess

from . import scenarios
from .helpers import client_for, complete, open_task, start
from .test_guards import copy_contract

pytestmark = pytest.mark.django_db

OUTSIDERS = ["director_same_region", "director_other_region", "manager_other_region"]


def site_url_names(prefix="workflow:"):
    """Yield ``(name, parameters)`` of every URL under ``prefix``, from the resolver."""

    def walk(resolver, namespaces, params):
        for pattern in resolver.url_patterns:
            converters = tuple(getattr(pattern.pattern, "converters", {}))
            if isinstance(pattern, URLResolver):
                namespace = (pattern.namespace,) if pattern.namespace else ()
                yield from walk(pattern, namespaces + namespace, params + converters)
            elif pattern.name:
                yield ":".join((*namespaces, pattern.name)), params + converters

    for name, params in walk(get_resolver(), (), ()):
        if name.startswith(prefix):
            yield name, params


def flow_namespace(flow_class) -> str:
    return f"workflow:flows:{flow_class.instance.flow_label}:"


@pytest.fixture
def world():
    """Return GHT A's processes and contracts, and a process of GHT B (another region)."""
    contract = scenarios.active_demo_contract()
    draft = copy_contract(contract, "CAT-GE-2025-COPIE")
    processes = [
        scenarios.submitted_approval(draft),
        scenarios.prepared_recovery(contract),  # delegates 2025 on the way
        scenarios.prepared_delegation(contract, year=2026),
        scenarios.drafted_amendment(contract),
        scenarios.reported_milestone(contract),
        MilestoneReviewFlow.start.run(
            milestone=Milestone.objects.get(
                axis__contract=contract, title="Maison des internes ouverte"
            )
        ),
    ]
    # An assigned task, so the inboxes have something of A.
    amendment = processes[3]
    task = open_task(amendment, amendment.flow_class.approve)
    client_for("validator").post(
        amendment.flow_class.approve.reverse("assign", args=[amendment.pk, task.pk])
    )

    grand_est = Region.objects.get(code=GRAND_EST_CODE)
    other_ght = hospital_group_with_support()
    contract_b = make_ready(ContractFactory(with_lines=True, hospital_group=other_ght))
    users = {
        "director_same_region": user_with_role(
            Role.GHT_DIRECTOR, hospital_group=hospital_group_with_support(region=grand_est)
        ),
        "director_other_region": user_with_role(Role.GHT_DIRECTOR, hospital_group=other_ght),
        "manager_other_region": user_with_role(Role.ARS_MANAGER, region=other_ght.region),
    }
    manager_b = client_for(users["manager_other_region"].username)
    _, process_b = start(manager_b, ContractApprovalFlow.start, {"contract": contract_b.pk})
    assert process_b is not None
    return {
        "contracts": [contract, draft],
        "processes": ContractProcess.objects.filter(hospital_group=contract.hospital_group),
        "process_b": process_b,
        "users": users,
    }


def markers_of(world) -> list[str]:
    """Return strings that only a page showing something of GHT A would contain."""
    markers = ["Sézannais", *(contract.reference for contract in world["contracts"])]
    for process in world["processes"]:
        markers.append(process.flow_class.instance.reverse("process_detail", args=[process.pk]))
        for task in Task.objects.filter(process=process):
            markers.append(f"/{process.pk}/{task.flow_task.name}/{task.pk}/")
    return markers


def refused(response) -> bool:
    """Return whether ``response`` shows or changes nothing.

    A redirect is fine: where it leads is one of the URLs checked in turn.
    """
    return response.status_code in (302, 403, 404, 405)


def task_states(world):
    return list(
        Task.objects.filter(process__in=world["processes"])
        .order_by("pk")
        .values_list("pk", "status", "owner_id")
    )


@pytest.mark.parametrize("outsider", OUTSIDERS)
class TestAnOutsider:
    def test_sees_nothing_of_ght_a_on_any_list_page(self, world, outsider):
        client = client_for(world["users"][outsider].username)
        markers = markers_of(world)
        names = [name for name, params in site_url_names() if not params]
        assert {"workflow:inbox", "workflow:queue", "workflow:archive"} <= set(names)
        for flow_class in FLOWS:
            for page in ("index", "process_list", "task_list", "chart"):
                assert flow_namespace(flow_class) + page in names
        for name in names:
            response = client.get(reverse(name))
            assert response.status_code in (200, 302, 403), name
            html = response.content.decode()
            for marker in markers:
                assert marker not in html, (name, marker)

    def test_gets_no_page_of_a_process_or_task_of_ght_a(self, world, outsider):
        client = client_for(world["users"][outsider].username)
        before = task_states(world)
        names = list(site_url_names())
        checked = 0
        for process in world["processes"]:
            namespace = flow_namespace(process.flow_class)
            for name, params in names:
                if not name.startswith(namespace):
                    continue
                if params == ("process_pk",):
                    url = reverse(name, args=[process.pk])
                    assert refused(client.get(url)), url
                    assert refused(client.post(url)), url
                    checked += 1
                elif params == ("process_pk", "task_pk"):
                    node_name = name.removeprefix(namespace).split(":")[0]
                    for task in Task.objects.filter(process=process, flow_task__endswith=node_name):
                        if task.flow_task.name != node_name:
                            continue
                        url = reverse(name, args=[process.pk, task.pk])
                        assert refused(client.get(url)), url
                        assert refused(client.post(url, {"decision": "APPROVED"})), url
                        checked += 1
        assert checked > 50
        open_ids = Task.objects.filter(
            process__in=world["processes"], status=STATUS.NEW
        ).values_list("pk", flat=True)
        response = client.post(
            reverse("workflow:tasks_assign"), {"pk": list(open_ids), "_confirm": "1"}
        )
        assert response.status_code in (302, 403, 404)
        assert task_states(world) == before

    def test_gets_no_contract_page_of_ght_a(self, world, outsider):
        client = client_for(world["users"][outsider].username)
        listing = client.get(reverse("contracts:index")).content.decode()
        for contract in world["contracts"]:
            assert contract.reference not in listing
            for url in (
                reverse("contracts:contract_detail", args=[contract.pk]),
                reverse("contracts:export", args=[contract.pk, "lines", "csv"]),
            ):
                assert client.get(url).status_code == 404, url


class TestTheScopedListsStillShowWhatIsInScope:
    def test_the_ght_a_director_sees_their_processes_and_tasks(self, world):
        director = client_for("director")
        report = open_task(
            world["processes"].get(milestone__title="Maison des internes ouverte"),
            MilestoneReviewFlow.report,
        )
        assert f"/{report.pk}/" in director.get(reverse("workflow:queue")).content.decode()
        for process in world["processes"]:
            url = process.flow_class.instance.reverse("process_list")
            html = director.get(url).content.decode()
            assert process.flow_class.instance.reverse("process_detail", args=[process.pk]) in html
            detail = director.get(
                process.flow_class.instance.reverse("process_detail", args=[process.pk])
            )
            assert detail.status_code == 200

    def test_the_other_region_manager_sees_their_own_process(self, world):
        process_b = world["process_b"]
        client = client_for(world["users"]["manager_other_region"].username)
        html = client.get(ContractApprovalFlow.instance.reverse("process_list")).content.decode()
        assert ContractApprovalFlow.instance.reverse("process_detail", args=[process_b.pk]) in html
        assert Contract.objects.filter(pk=process_b.contract_id).exists()


def test_complete_helper_is_scoped_too(world):
    """An outsider cannot complete a GHT A task with the test helper's assign-then-execute."""
    outsider = world["users"]["manager_other_region"].username
    process = world["processes"].get(flow_class=ContractApprovalFlow)
    response = complete(client_for(outsider), process, ContractApprovalFlow.approve, {})
    assert response.status_code in (403, 404)
