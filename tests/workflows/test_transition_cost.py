"""What one transition costs: the queries of a whole credit delegation through the steps.

The API runs a step as ``workflows.steps`` does (row lock, scope, four-eyes, the service,
the journal); the number of queries of one whole process, prepare then approve, is
pinned here so that a re-read, a savepoint or a cold permission lookup added to a step
fails a test (``manage.py benchmark_transition`` gives the time beside a bare viewflow
flow). Run outside a test transaction, as a request runs: inside one, every block would
become a savepoint and the count would not be the requests'.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from benchmarks.transition import measure_transition
from contracts import credits
from contracts.models import CreditDelegation, DecisionStatus, YearlyAllocation
from workflows import steps
from workflows.flows import CreditDelegationFlow

from . import scenarios

pytestmark = pytest.mark.django_db(transaction=True)

# One whole process on the test world's contract (10 allocations in the counted year, one
# update each), after a first one, its e-mail queued, not run. Before the steps shared their
# reads and savepoints it cost 104 on SQLite (issue 17 measured 95 on a one-line contract);
# 78 before the lines of a delegation came with their allocations' locks in one query; 77
# before the task checks and the service shared one read of the drafters and the offsets
# came with the allocations; 75 before the delegation's lock came with its lines' (one
# query, no prefetch); 74 before the ten allocations' delegated totals moved in one update;
# 65 before each step read its user's permissions with the scope (one query, not three);
# 62 before the years in preparation came with the allocations; 61 before a process
# saved unchanged wrote nothing (``models.WritesChangedFields``); 58 before the drafters
# of the decision came with the task (``nodes.read_task``).
QUERIES = {"sqlite": 57, "postgresql": 53}


def fresh(username):
    """Return the user as a request loads it: no permission nor scope cached."""
    return get_user_model().objects.get(username=username)


def delegate(contract, year, *, capture=None):
    """Prepare (manager) and approve (validator) ``year`` through the steps; return the
    delegation. With ``capture`` (a list), add the queries of both steps to it."""
    captured = capture if capture is not None else []
    manager = fresh("manager")
    with CaptureQueriesContext(connection) as prepare:
        activation = steps.run_start(
            user=manager,
            node=CreditDelegationFlow.start,
            perform=lambda process: steps.prepare_delegation(
                process, actor=manager, contract=contract, year=year
            ),
        )
    delegation = activation.process.delegation
    validator = fresh("validator")
    with CaptureQueriesContext(connection) as approve:
        task = steps.open_step(CreditDelegationFlow.approve, delegation=delegation)
        steps.run_task(
            user=validator,
            task=task,
            perform=lambda process: steps.decide_delegation(
                process,
                actor=validator,
                approved=True,
                reason="",
                decision_reference=f"DEL-{year}-042",
                decision_date=timezone.localdate(),
            ),
        )
    captured.extend(query["sql"] for query in [*prepare, *approve])
    delegation.refresh_from_db()
    return delegation


def test_a_whole_delegation_through_the_steps_costs_the_pinned_number_of_queries(settings):
    # The GHT's e-mail is queued for a worker, as in production, not run inside the count.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    contract = scenarios.active_demo_contract()
    first_year, year = credits.delegable_years(contract)[:2]
    # A first process fills what a running server keeps between requests (content
    # types, compiled URL patterns); the second is the one counted.
    delegate(contract, first_year)
    lines = YearlyAllocation.objects.filter(
        funding_line__axis__contract=contract, year=year
    ).count()
    events_before = AuditEvent.objects.count()
    statements = []

    delegation = delegate(contract, year, capture=statements)

    assert delegation.status == DecisionStatus.APPROVED
    assert delegation.approved_by == fresh("validator")
    # Prepared, taken, approved, GHT notified: every step still journaled.
    assert AuditEvent.objects.count() - events_before == 4
    assert lines == 10
    if connection.vendor == "postgresql":
        assert sum("FOR UPDATE" in sql for sql in statements) >= 3  # process, delegation, lines
    assert len(statements) == QUERIES[connection.vendor], "\n".join(
        f"{number:3d} {sql[:160]}" for number, sql in enumerate(statements, 1)
    )


def test_the_preparer_is_still_refused_the_approval():
    contract = scenarios.active_demo_contract()
    year = credits.delegable_years(contract)[0]
    manager = fresh("manager")
    activation = steps.run_start(
        user=manager,
        node=CreditDelegationFlow.start,
        perform=lambda process: steps.prepare_delegation(
            process, actor=manager, contract=contract, year=year
        ),
    )
    manager = fresh("manager")
    task = steps.open_step(CreditDelegationFlow.approve, delegation=activation.process.delegation)
    with pytest.raises(steps.StepRefused, match="quatre yeux"):
        steps.run_task(
            user=manager,
            task=task,
            perform=lambda process: steps.decide_delegation(
                process,
                actor=manager,
                approved=True,
                reason="",
                decision_reference="DEL-2025-042",
                decision_date=timezone.localdate(),
            ),
        )
    assert CreditDelegation.objects.get(pk=activation.process.delegation_id).status == (
        DecisionStatus.PREPARED
    )


# One whole process of the benchmark (a one-line contract, fresh users on every step or
# request, as a server loads them), each way. Through the pages each request reads its
# session and user, then the user's permissions and scope in one query (model permissions,
# regions and GHTs together, with the row the task URL guard judges); issue 17 measured 96 on
# PostgreSQL, 89 before the permissions came with the scope, 83 before a task URL's scope
# row came with them too, 81 before the years in preparation came with the allocations,
# 80 before the start form's read of the contract became the service's lock
# (``services.read_locked``), 79 before a process saved unchanged wrote nothing and a
# changed one its changed columns only (``models.WritesChangedFields``), 76 before a task
# page read its task with the process and what it decides in one statement
# (``nodes.read_task``, three before), 72 before the drafters of the decision came with it.
# The task's owner is not read again when the user executing it holds it
# (``nodes.give_owner``).
BENCHMARK_QUERIES = {
    "services": {"sqlite": 56, "postgresql": 52},
    "pages": {"sqlite": 74, "postgresql": 70},
}
# The yardstick's own count (the same auth backend: permissions in one query): the bare
# flow must not change with the product (the ratio would move without the product getting
# any faster or slower).
BARE_QUERIES = {"services": 49, "pages": 64}


def test_the_benchmark_measures_both_paths_beside_the_bare_flow():
    results = measure_transition(n=1, sql=True)

    assert set(results) == {"services", "pages"}
    for path, figures in results.items():
        assert {"ms", "queries", "bare_ms", "bare_queries", "ratio"} <= set(figures)
        # The product does more than the yardstick (journal, scope, four-eyes, money).
        assert figures["queries"] > figures["bare_queries"] > 0
        assert figures["ratio"] == pytest.approx(figures["ms"] / figures["bare_ms"], rel=0.01)
        # One timed round: the median of the rounds' ratios is that round's.
        assert figures["paired_ratio"] == pytest.approx(figures["ratio"], rel=0.01)
        assert figures["bare_queries"] == BARE_QUERIES[path]
        assert figures["queries"] == BENCHMARK_QUERIES[path][connection.vendor], "\n".join(
            f"{number:3d} {sql[:160]}" for number, sql in enumerate(figures["sql"], 1)
        )
    # Scope and permissions: one read per request (or per step), never one per check.
    scope_reads = [
        sql for sql in results["pages"]["sql"] if "guardian_groupobjectpermission" in sql
    ]
    permission_reads = [sql for sql in results["pages"]["sql"] if "auth_group_permissions" in sql]
    assert len(scope_reads) == 3
    assert permission_reads == scope_reads
    # The task URLs' scope rows (assign, execute) come with the rights, not apart.
    assert sum("cp.hospital_group_id" in sql for sql in results["pages"]["sql"]) == 2
    assert sum("cp.hospital_group_id" in sql for sql in scope_reads) == 2
