"""Workflow rows in bulk, and the timing of a page: for benchmarks and query-count tests.

The rows are shaped as the flows write them (process of the flow's class, one task at a
human node with its role permission), without running the steps: thousands of them are
created in seconds, which is what a benchmark of the list pages needs.
"""

import statistics
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from background.startup import load_and_freeze
from contracts.models import (
    Amendment,
    Contract,
    CreditDelegation,
    Milestone,
    Recovery,
    RecoveryMode,
    YearlyAllocation,
)
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)
from workflows.models import ContractProcess

# One human decision node per flow, the ones a contract's life piles up.
DECISION_NODES = [
    ContractApprovalFlow.approve,
    CreditDelegationFlow.approve,
    MilestoneReviewFlow.review,
    ConsumptionClosingFlow.approve_recovery,
    AmendmentFlow.approve,
]


@dataclass(frozen=True)
class Artifacts:
    """One object per kind a decision is about, prepared by someone (the four-eyes check)."""

    delegation: CreditDelegation
    amendment: Amendment
    recovery: Recovery
    axis_id: int


def create_artifacts(*, contract: Contract, preparer) -> Artifacts:
    """Create what the decision tasks are about, as rows (not through the services)."""
    allocation = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).first()
    number = (contract.amendments.aggregate(n=Max("number"))["n"] or 0) + 1
    return Artifacts(
        delegation=CreditDelegation.objects.create(
            contract=contract, year=allocation.year, prepared_by=preparer
        ),
        amendment=Amendment.objects.create(
            contract=contract,
            number=number,
            reason="Banc d'essai",
            base_version=contract.version,
            proposed={},
            prepared_by=preparer,
        ),
        recovery=Recovery.objects.create(
            allocation=allocation,
            amount=Decimal("0.00"),
            mode=RecoveryMode.RECOVER,
            prepared_by=preparer,
        ),
        axis_id=allocation.funding_line.axis_id,
    )


def _artifact_fields(node, artifacts: Artifacts, milestone) -> dict:
    flow_class = node.flow_class
    if flow_class is CreditDelegationFlow:
        return {"delegation": artifacts.delegation, "year": artifacts.delegation.year}
    if flow_class is AmendmentFlow:
        return {"amendment": artifacts.amendment}
    if flow_class is ConsumptionClosingFlow:
        # No allocation: the database keeps one open closing per allocation, and the
        # lists show the contract and the recovery, not the allocation.
        return {"recovery": artifacts.recovery}
    if flow_class is MilestoneReviewFlow:
        return {"milestone": milestone}
    return {}


@transaction.atomic
def create_tasks(
    *,
    contract: Contract,
    count: int,
    artifacts: Artifacts,
    nodes=None,
    owner=None,
    status: str = STATUS.NEW,
) -> list[Task]:
    """Create ``count`` processes about ``contract``, each with one task at one of ``nodes``.

    The nodes are taken in turn. With ``owner`` and ``ASSIGNED`` the tasks fill the
    owner's inbox; with ``NEW`` they wait in the queue of whoever holds the node's
    permission; with ``DONE`` they are in the owner's archive. Each milestone review
    gets a milestone of its own (one review per milestone).
    """
    nodes = list(nodes or DECISION_NODES)
    now = timezone.now()
    finished = status == STATUS.DONE
    reviews = sum(
        1 for index in range(count) if nodes[index % len(nodes)].flow_class is MilestoneReviewFlow
    )
    milestones = iter(
        Milestone.objects.bulk_create(
            Milestone(
                axis_id=artifacts.axis_id,
                title=f"Jalon de banc d'essai {index}",
                due_date=contract.end_date,
                indicator_label="Indicateur",
                baseline_value=Decimal("0.00"),
                target_value=Decimal("1.00"),
            )
            for index in range(reviews)
        )
    )
    tasks = []
    for index in range(count):
        node = nodes[index % len(nodes)]
        milestone = next(milestones) if node.flow_class is MilestoneReviewFlow else None
        # Multi-table inheritance: processes cannot be bulk-created, tasks can.
        process = ContractProcess.objects.create(
            flow_class=node.flow_class,
            status=PROCESS.DONE if finished else PROCESS.NEW,
            finished=now if finished else None,
            contract=contract,
            hospital_group_id=contract.hospital_group_id,
            region_id=contract.region_id,
            # As ``steps.complete_step`` leaves it: who prepared what the task decides on.
            preparer_id=artifacts.delegation.prepared_by_id,
            **_artifact_fields(node, artifacts, milestone),
        )
        tasks.append(
            Task(
                process=process,
                flow_task=node,
                flow_task_type="HUMAN",
                status=status,
                owner=owner,
                owner_permission=node._owner_permission,
                assigned=now if owner is not None else None,
                started=now if owner is not None else None,
                finished=now if finished else None,
            )
        )
    return Task.objects.bulk_create(tasks, batch_size=500)


@dataclass(frozen=True)
class Timing:
    runs: int
    median_ms: float
    p95_ms: float
    queries: int
    status_code: int


_FROZEN = []


def _as_a_web_process() -> None:
    if not _FROZEN:
        load_and_freeze()
        _FROZEN.append(True)


def time_page(*, user, url: str, runs: int) -> Timing:
    """GET ``url`` as ``user`` ``runs`` times (after one warm-up); return the figures.

    The process is first set as ``config.wsgi`` sets a web process (its start-up objects
    frozen out of the garbage collector's walks), once: the figures are a server's.
    """
    _as_a_web_process()
    # Any host the settings accept ("testserver" is only accepted by the test settings).
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*", "") and host[0] != "."]
    client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
    client.force_login(user)
    response = client.get(url)
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        durations.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    durations.sort()
    p95_index = min(len(durations) - 1, round(0.95 * (len(durations) - 1)))
    return Timing(
        runs=runs,
        median_ms=statistics.median(durations),
        p95_ms=durations[p95_index],
        queries=len(queries),
        status_code=response.status_code,
    )
