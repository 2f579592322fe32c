"""The cost of a transition: the product's credit delegation beside a bare viewflow flow.

Both processes have the same shape (``benchmarks.flows``): a manager prepares, another
person approves, the flow notifies and ends. The product's runs through its steps
(``workflows.steps``, as the API calls them) or its pages, with scope, four-eyes, the
row lock and the journal; the bare one through the stock viewflow wrappers and the
Python API, with the row lock only. Both run in the same database, interleaved, in
autocommit as a request would (an outer transaction would turn every block into a
savepoint and distort the counts): the rows are written for real, so use a scratch
database (the journal is append-only, nothing can be rolled back afterwards).

``measure_transition`` returns, per path, the milliseconds and queries of one whole
process (prepare + approve) for the product and the bare flow, and the time ratio.
"""

import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contracts.models import (
    Contract,
    ContractStatus,
    CreditDelegation,
    FundingLine,
    StrategicAxis,
    YearlyAllocation,
)
from contracts.schemes import SchemeCode
from territories.access import ROLE_GROUP_NAMES, Role, grant_region_scope, sync_roles
from territories.models import Establishment, HospitalGroup, Region
from workflows import steps
from workflows.flows import CreditDelegationFlow
from workflows.models import ContractProcess

from . import flows as bare_flows
from . import urls as bench_urls  # imported here, before any override of ROOT_URLCONF
from .flows import BareApprovalFlow
from .models import BareProcess

YEAR = 2025
AMOUNT = Decimal("20000.00")
PATHS = ("services", "pages")
# The target (DESIGN.md, issue 17): a transition costs at most this times the bare flow's.
TARGET_RATIO = 1.3
OPEN = (STATUS.NEW, STATUS.ASSIGNED)


@dataclass
class World:
    manager_id: int
    validator_id: int
    contracts: list[Contract] = field(default_factory=list)

    def users(self):
        """Return fresh user objects (cold caches), as each request loads them."""
        users = get_user_model().objects.in_bulk([self.manager_id, self.validator_id])
        return users[self.manager_id], users[self.validator_id]


def build_world(count: int) -> World:
    """Create a region, a GHT, ``count`` contracts in force and the two people."""
    sync_roles()
    token = uuid.uuid4().hex[:8]
    region = Region.objects.create(code=token[:3], name=f"Région de mesure {token}")
    establishment = Establishment.objects.create(name=f"Centre hospitalier de mesure {token}")
    hospital_group = HospitalGroup.objects.create(
        code=f"BT-{token}", name=f"GHT de mesure {token}", region=region
    )
    contracts = Contract.objects.bulk_create(
        Contract(
            reference=f"BT-{token}-{index:05d}",
            title=f"Contrat de mesure {index}",
            region=region,
            hospital_group=hospital_group,
            carrier_establishment=establishment,
            start_date=date(YEAR, 1, 1),
            end_date=date(YEAR + 2, 12, 31),
            signature_date=date(YEAR - 1, 12, 15),
            envelope_amount=AMOUNT * 3,
            status=ContractStatus.ACTIVE,
        )
        for index in range(count)
    )
    axes = StrategicAxis.objects.bulk_create(
        StrategicAxis(contract=contract, number=1, title="Axe 1") for contract in contracts
    )
    lines = FundingLine.objects.bulk_create(
        FundingLine(
            axis=axis,
            code="1.1",
            scheme=SchemeCode.OTHER,
            label="Mesure",
            beneficiary=establishment,
        )
        for axis in axes
    )
    YearlyAllocation.objects.bulk_create(
        YearlyAllocation(funding_line=line, year=YEAR, allocated_amount=AMOUNT) for line in lines
    )
    bare_permissions = Permission.objects.filter(
        content_type__app_label="benchmarks", codename__in=["prepare_bare", "approve_bare"]
    )
    people = []
    for name, role in (("manager", Role.ARS_MANAGER), ("validator", Role.ARS_VALIDATOR)):
        user = get_user_model().objects.create(username=f"bench-{name}-{token}")
        user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
        user.user_permissions.add(*bare_permissions)
        grant_region_scope(user=user, region=region)
        people.append(user)
    return World(manager_id=people[0].pk, validator_id=people[1].pk, contracts=contracts)


# One whole process, each way. Each returns the seconds spent inside the steps; what
# only the benchmark needs (fresh users, finding the open task) is left out of the time.


def _timed(call, *, capture):
    started = time.perf_counter()
    if capture is not None:
        with CaptureQueriesContext(connection) as queries:
            result = call()
        capture.extend(queries.captured_queries)
    else:
        result = call()
    return time.perf_counter() - started, result


def product_services(world: World, contract: Contract, capture=None) -> float:
    manager, _validator = world.users()
    spent, activation = _timed(
        lambda: steps.run_start(
            user=manager,
            node=CreditDelegationFlow.start,
            perform=lambda process: steps.prepare_delegation(
                process, actor=manager, contract=contract, year=YEAR
            ),
        ),
        capture=capture,
    )
    delegation = activation.process.delegation
    _manager, validator = world.users()

    def approve():
        task = steps.open_step(CreditDelegationFlow.approve, delegation=delegation)
        return steps.run_task(
            user=validator,
            task=task,
            perform=lambda process: steps.decide_delegation(
                process,
                actor=validator,
                approved=True,
                reason="",
                decision_reference="BT-1",
                decision_date=timezone.localdate(),
            ),
        )

    more, _activation = _timed(approve, capture=capture)
    return spent + more


def bare_services(world: World, contract: Contract, capture=None) -> float:
    manager, _validator = world.users()
    start = BareApprovalFlow.start

    def prepare():
        activation = start.activation_class.create(start, None, None)
        if not start.can_execute(manager, activation.task):
            raise PermissionError
        with transaction.atomic():
            activation.start(_Request(manager))
            bare_flows.prepare(activation.process, actor=manager, amount=AMOUNT)
            activation.process.save()
            activation.execute()
        return activation

    spent, activation = _timed(prepare, capture=capture)
    process_pk = activation.process.pk
    _manager, validator = world.users()

    def approve():
        node = BareApprovalFlow.approve
        task = (
            Task.objects.filter(flow_task=node, status__in=OPEN, process_id=process_pk)
            .order_by("pk")
            .first()
        )
        with BareApprovalFlow.lock(process_pk), transaction.atomic():
            task = Task.objects.select_related("process").get(pk=task.pk)
            activation = node.activation_class(task)
            if not node.can_assign(validator, task):
                raise PermissionError
            activation.assign(validator)
            if not node.can_execute(validator, task):
                raise PermissionError
            activation.start(_Request(validator))
            bare_flows.approve(activation.process, actor=validator, decision_reference="BT-1")
            activation.process.save()
            activation.execute()

    more, _ = _timed(approve, capture=capture)
    return spent + more


class _Request:
    def __init__(self, user):
        self.user = user


def bare_middleware() -> list[str]:
    """Return the project's middleware a bare viewflow project has too (Django's, viewflow's).

    The product's own (rights actor, task URL guard, lock conflicts, login throttling)
    are part of the product's cost, not of the yardstick's.
    """
    return [name for name in settings.MIDDLEWARE if name.startswith(("django.", "viewflow."))]


def _client(user_id, *, middleware=None) -> Client:
    """Return a logged-in test client whose handler runs ``middleware`` (default: the project's)."""
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*", "") and host[0] != "."]
    client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
    client.force_login(get_user_model().objects.get(pk=user_id))
    with override_settings(MIDDLEWARE=middleware or settings.MIDDLEWARE):
        client.handler.load_middleware()
    return client


def _post(client, url, data, *, capture):
    spent, response = _timed(lambda: client.post(url, data), capture=capture)
    if response.status_code != 302:
        raise RuntimeError(f"POST {url} → {response.status_code}")
    # A person follows the redirect, whose page shows the step's message and drops it.
    # The client does not: each request decoded and signed again a cookie of every earlier
    # message (up to its 2 kB), a cost neither flow has in use.
    client.cookies.pop(CookieStorage.cookie_name, None)
    return spent


def _open_task(node, process_pk) -> Task:
    return Task.objects.get(flow_task=node, status__in=OPEN, process_id=process_pk)


def product_pages(clients, contract: Contract, capture=None) -> float:
    manager, validator = clients
    before = ContractProcess.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    spent = _post(
        manager,
        CreditDelegationFlow.start.reverse("execute"),
        {"contract": contract.pk, "year": YEAR},
        capture=capture,
    )
    process_pk = ContractProcess.objects.filter(pk__gt=before, contract=contract).get().pk
    node = CreditDelegationFlow.approve
    task = _open_task(node, process_pk)
    spent += _post(
        validator, node.reverse("assign", args=[process_pk, task.pk]), {}, capture=capture
    )
    spent += _post(
        validator,
        node.reverse("execute", args=[process_pk, task.pk]),
        {
            "decision": steps.APPROVED,
            "reason": "",
            "decision_reference": "BT-1",
            "decision_date": timezone.localdate().isoformat(),
        },
        capture=capture,
    )
    return spent


def bare_pages(clients, contract: Contract, capture=None) -> float:
    manager, validator = clients
    before = BareProcess.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    spent = _post(
        manager, BareApprovalFlow.start.reverse("execute"), {"amount": AMOUNT}, capture=capture
    )
    process_pk = BareProcess.objects.filter(pk__gt=before).get().pk
    node = BareApprovalFlow.approve
    task = _open_task(node, process_pk)
    spent += _post(
        validator, node.reverse("assign", args=[process_pk, task.pk]), {}, capture=capture
    )
    spent += _post(
        validator,
        node.reverse("execute", args=[process_pk, task.pk]),
        {"decision_reference": "BT-1"},
        capture=capture,
    )
    return spent


RUNNERS = {
    "services": (product_services, bare_services),
    "pages": (product_pages, bare_pages),
}


def _check_approved(contracts) -> None:
    approved = CreditDelegation.objects.filter(contract__in=contracts, status="APPROVED").count()
    if approved != len(contracts):
        raise RuntimeError(f"{approved} délégations validées sur {len(contracts)}")


def measure_transition(*, n: int = 30, through=PATHS, sql: bool = False) -> dict:
    """Run ``n`` whole processes each way (after one warm-up) and return the figures.

    ``{"services": {"ms", "queries", "bare_ms", "bare_queries", "ratio", "paired_ratio"},
    "pages": …}``: the median milliseconds of one process, the queries of one process,
    ``ratio = ms / bare_ms`` (the target's) and ``paired_ratio``, the median of each
    round's product / bare (both run back to back). With ``sql`` each path also gives the captured statements
    (``"sql"`` and ``"bare_sql"``) of one process.
    """
    through = tuple(through)
    # Per path: one warm-up, n timed, one counted process.
    world = build_world(len(through) * (n + 2))
    contracts = iter(world.contracts)
    results = {}
    with override_settings(ROOT_URLCONF=bench_urls.__name__, DEBUG=False):
        for path in through:
            product, bare = RUNNERS[path]
            used = []
            if path == "pages":
                bare_stack = bare_middleware()
                arguments = {
                    "product": (_client(world.manager_id), _client(world.validator_id)),
                    "bare": (
                        _client(world.manager_id, middleware=bare_stack),
                        _client(world.validator_id, middleware=bare_stack),
                    ),
                }
            else:
                arguments = {"product": world, "bare": world}
            durations = {"product": [], "bare": []}
            for index in range(n + 1):
                contract = next(contracts)
                used.append(contract)
                # Alternate which goes first, so neither always follows the other.
                order = [("product", product), ("bare", bare)]
                if index % 2:
                    order.reverse()
                for name, runner in order:
                    spent = runner(arguments[name], contract)
                    if index:  # the first round warms caches up
                        durations[name].append(spent * 1000)
            product_sql, bare_sql = [], []
            contract = next(contracts)
            used.append(contract)
            product(arguments["product"], contract, capture=product_sql)
            bare(arguments["bare"], contract, capture=bare_sql)
            _check_approved(used)
            ms = statistics.median(durations["product"])
            bare_ms = statistics.median(durations["bare"])
            # Each round runs both one after the other: their ratio is little moved by
            # the machine's slower and faster spells, which move both medians apart.
            paired = statistics.median(
                mine / theirs
                for mine, theirs in zip(durations["product"], durations["bare"], strict=True)
            )
            results[path] = {
                "ms": round(ms, 2),
                "queries": len(product_sql),
                "bare_ms": round(bare_ms, 2),
                "bare_queries": len(bare_sql),
                "ratio": round(ms / bare_ms, 3),
                "paired_ratio": round(paired, 3),
                "query_ratio": round(len(product_sql) / len(bare_sql), 3),
            }
            if sql:
                results[path]["sql"] = [query["sql"] for query in product_sql]
                results[path]["bare_sql"] = [query["sql"] for query in bare_sql]
    return results
