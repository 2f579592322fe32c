"""Every workflow list page costs the same number of queries for 1 row as for 50."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.status import STATUS

from benchmarks.builders import DECISION_NODES, create_artifacts, create_tasks
from territories.access import Role
from workflows.flows import FLOWS

from . import scenarios
from .helpers import client_for

pytestmark = pytest.mark.django_db

# (URL name, task status, whether the tasks are the user's own)
COMMON_PAGES = {
    "inbox": (STATUS.ASSIGNED, True),
    "queue": (STATUS.NEW, False),
    "archive": (STATUS.DONE, True),
}
FLOW_PAGES = ["index", "process_list", "task_list"]


@pytest.fixture
def contract():
    contract = scenarios.demo_contract()
    # The validator takes every decision node here (the review is a manager's).
    scenarios.give_role("validator", Role.ARS_MANAGER)
    return contract


@pytest.fixture
def artifacts(contract):
    return create_artifacts(contract=contract, preparer=scenarios.user("manager2"))


def node_of(flow_class):
    return next(node for node in DECISION_NODES if node.flow_class is flow_class)


def rows_shown(response) -> int | None:
    paginator = response.context.get("paginator") if response.context else None
    return paginator.count if paginator is not None else None


def assert_same_count_for_1_and_50(url, add_rows, django_assert_num_queries):
    client = client_for("validator")
    add_rows(1)
    client.get(url)  # warm-up: caches filled once per process (content types, sessions)
    with CaptureQueriesContext(connection) as one_row:
        response = client.get(url)
    assert response.status_code == 200
    assert rows_shown(response) in (None, 1)
    add_rows(49)
    with django_assert_num_queries(len(one_row)):
        response = client.get(url)
    assert response.status_code == 200
    assert rows_shown(response) in (None, 50)
    return len(one_row)


@pytest.mark.parametrize("page", list(COMMON_PAGES))
def test_the_common_list_is_the_same_for_1_and_50_rows(
    page, contract, artifacts, django_assert_num_queries
):
    status, own = COMMON_PAGES[page]
    owner = scenarios.user("validator") if own else None
    created = []

    def add_rows(count):
        # The first row is of the first flow, the others spread over every flow.
        nodes = DECISION_NODES if created else DECISION_NODES[:1]
        created.extend(
            create_tasks(
                contract=contract,
                count=count,
                artifacts=artifacts,
                nodes=nodes,
                owner=owner,
                status=status,
            )
        )

    queries = assert_same_count_for_1_and_50(
        reverse(f"workflow:{page}"), add_rows, django_assert_num_queries
    )
    # Issue 17: the inbox, queue and archive cost at most 12 queries (menu counters,
    # scope, page keys and rows included).
    assert queries <= 12


@pytest.mark.parametrize("page", FLOW_PAGES)
@pytest.mark.parametrize("flow_class", FLOWS, ids=[flow.__name__ for flow in FLOWS])
def test_each_flow_page_is_the_same_for_1_and_50_rows(
    flow_class, page, contract, artifacts, django_assert_num_queries
):
    def add_rows(count):
        create_tasks(
            contract=contract, count=count, artifacts=artifacts, nodes=[node_of(flow_class)]
        )

    assert_same_count_for_1_and_50(
        flow_class.instance.reverse(page), add_rows, django_assert_num_queries
    )


def three_rows_of(page, contract, artifacts):
    """Create three tasks of the validator's ``page``, open it (warm), then once more;
    return the client, the response and the statements of that second request."""
    status, own = COMMON_PAGES[page]
    create_tasks(
        contract=contract,
        count=3,
        artifacts=artifacts,
        nodes=DECISION_NODES,
        owner=scenarios.user("validator") if own else None,
        status=status,
    )
    client = client_for("validator")
    client.get(reverse(f"workflow:{page}"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(f"workflow:{page}"))
    assert rows_shown(response) == 3
    return client, response, [query["sql"] for query in captured]


@pytest.mark.parametrize("page", ["inbox", "queue"])
def test_the_inbox_and_queue_are_counted_once_per_request(page, contract, artifacts):
    """The menu's counter and the page's pagination share one count of each list."""
    status = COMMON_PAGES[page][0]
    client, response, statements = three_rows_of(page, contract, artifacts)
    counts = [sql for sql in statements if sql.startswith("SELECT COUNT(*)")]
    # The page's own list: its keys and its count in one statement (COUNT(*) OVER ()),
    # which the menu's counter takes; the other list of the menu: one COUNT.
    windowed = [sql for sql in statements if "COUNT(" in sql and ") OVER ()" in sql]
    assert len(counts) == 1, counts
    assert len(windowed) == 1, windowed
    assert response.context["user_" + page].count == 3  # the menu shows the page's count
    filtered = client.get(reverse(f"workflow:{page}") + f"?status={status}")
    assert rows_shown(filtered) == 3  # a filtered page counts its own rows


def test_a_page_listing_neither_counts_the_menus_inbox_and_queue_in_one_statement(
    contract, artifacts
):
    validator = scenarios.user("validator")
    create_tasks(contract=contract, count=2, artifacts=artifacts, nodes=DECISION_NODES)
    create_tasks(
        contract=contract,
        count=3,
        artifacts=artifacts,
        nodes=DECISION_NODES,
        owner=validator,
        status=STATUS.ASSIGNED,
    )
    _client, response, statements = three_rows_of("archive", contract, artifacts)
    together = [sql for sql in statements if sql.startswith("SELECT (SELECT COUNT(*)")]
    assert len(together) == 1, together
    assert not [sql for sql in statements if sql.startswith("SELECT COUNT(*)")]
    # The figures the menu shows: the validator's three tasks, the two waiting for anyone.
    assert response.context["user_inbox"].count == 3
    assert response.context["user_queue"].count == 2
    html = response.content.decode()
    assert '<span class="mdc-list-item__meta">3</span>' in html
    assert '<span class="mdc-list-item__meta">2</span>' in html


@pytest.mark.parametrize("page", ["inbox", "archive"])
def test_the_inbox_and_archive_find_their_tasks_without_the_process_table(
    page, contract, artifacts
):
    """Their count and page keys read the task rows only (the flows by node reference):
    a join to the process table made PostgreSQL read every process of the country."""
    _client, _response, statements = three_rows_of(page, contract, artifacts)
    marker = {
        "inbox": '"viewflow_task"."status" = \'ASSIGNED\'',
        "archive": '"viewflow_task"."finished" IS NOT NULL',
    }[page]
    listed = [sql for sql in statements if marker in sql]
    assert len(listed) >= 1, listed  # at least the page's keys with its count
    joined = 'FROM "viewflow_task" INNER JOIN "viewflow_process"'
    assert not [sql for sql in listed if joined in sql], listed


def test_the_lists_by_node_reference_are_viewflows_lists():
    """``inbox_of`` / ``archive_of`` give the tasks viewflow's managers give."""
    from viewflow.workflow.models import Task

    from workflows.lists import archive_of, inbox_of

    contract = scenarios.demo_contract()
    artifacts = create_artifacts(contract=contract, preparer=scenarios.user("manager2"))
    validator = scenarios.user("validator")
    for status in (STATUS.ASSIGNED, STATUS.DONE, STATUS.NEW):
        create_tasks(
            contract=contract,
            count=2,
            artifacts=artifacts,
            nodes=DECISION_NODES,
            owner=validator if status != STATUS.NEW else None,
            status=status,
        )
    assert set(inbox_of(validator, FLOWS)) == set(Task.objects.inbox(FLOWS, validator)) != set()
    assert set(archive_of(validator, FLOWS)) == set(Task.objects.archive(FLOWS, validator)) != set()


def test_the_queue_reads_its_scope_once_and_gives_its_processes_as_one_list(contract, artifacts):
    """The open processes of the user's scope are read once per request; the queue's count
    and page keys take their ids as one array on PostgreSQL (``= ANY``), so that the
    planner reads their tasks by process instead of every waiting task of the country."""
    create_tasks(contract=contract, count=3, artifacts=artifacts, nodes=DECISION_NODES)
    client = client_for("validator")
    client.get(reverse("workflow:queue"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("workflow:queue"))
    assert rows_shown(response) == 3
    statements = [query["sql"] for query in captured]
    scope = 'SELECT "workflows_contractprocess"."process_ptr_id" AS "pk"'
    scope_reads = [sql for sql in statements if sql.lstrip("(").startswith(scope)]
    assert len(scope_reads) == 1, scope_reads
    listed = [sql for sql in statements if '"viewflow_task"."status" = \'NEW\'' in sql]
    assert len(listed) >= 1, listed  # the page's keys with its count
    # Not a subquery of the scope's processes: their ids, given.
    given = re.compile(r'"viewflow_task"\."process_id" (IN \(\d|= ANY\()')
    assert all(given.search(sql) for sql in listed), listed
    if connection.vendor == "postgresql":
        assert all('"viewflow_task"."process_id" = ANY(' in sql for sql in listed), listed


def test_the_lists_write_each_process_as_its_flows_summary_template_would(contract, artifacts):
    """``list_summary`` (no template engine per row) says what the flow's template says."""
    from django.template import Context, Template

    from workflows.lists import address, process_brief

    tasks = create_tasks(
        contract=contract, count=len(DECISION_NODES), artifacts=artifacts, nodes=DECISION_NODES
    )
    checked = set()
    for task in tasks:
        process = task.process
        flow_class = process.flow_class
        context = Context({"process": process.coerced, "flow_class": flow_class})
        expected = Template(flow_class.process_summary_template).render(context)
        assert process_brief(process) == expected
        assert address(task.flow_task, "index", task.process_id, task.pk) == (
            task.flow_task.reverse("index", args=[task.process_id, task.pk])
        )
        checked.add(flow_class)
    assert len(checked) >= 3


def test_the_queue_page_links_each_task_and_its_process(contract, artifacts):
    (task,) = create_tasks(
        contract=contract, count=1, artifacts=artifacts, nodes=DECISION_NODES[:1]
    )
    html = client_for("validator").get(reverse("workflow:queue")).content.decode()
    task_url = task.flow_task.reverse("index", args=[task.process_id, task.pk])
    process_url = task.flow_task.flow_class.parent.reverse("process_detail", args=[task.process_id])
    assert f'<a href="{task_url}">#{task.process_id}/{task.pk}</a>' in html
    assert f'<a href="{process_url}">' in html
    assert contract.reference in html


def test_the_keys_first_paginator_reads_a_page_and_the_count_in_one_query(
    contract, artifacts, django_assert_num_queries
):
    from django.core.paginator import EmptyPage, PageNotAnInteger
    from viewflow.workflow.models import Task

    from workflows.lists import KeysFirstPaginator

    create_tasks(contract=contract, count=7, artifacts=artifacts, nodes=DECISION_NODES)
    tasks = Task.objects.filter(status=STATUS.NEW).order_by("-created", "-pk")
    expected = list(tasks.values_list("pk", flat=True))
    told = []
    paginator = KeysFirstPaginator(tasks, 3)
    paginator.count_with_keys = True
    paginator.counted = told.append
    with django_assert_num_queries(2):  # the keys with the count, then the rows
        page = paginator.page(2)
    assert [task.pk for task in page] == expected[3:6]
    assert paginator.count == 7 and paginator.num_pages == 3 and told == [7]

    def windowed(queryset):
        paginator = KeysFirstPaginator(queryset, 3)
        paginator.count_with_keys = True
        return paginator

    assert [task.pk for task in windowed(tasks).page(3)] == expected[6:]
    with pytest.raises(EmptyPage):
        windowed(tasks).page(4)
    with pytest.raises(PageNotAnInteger):
        windowed(tasks).page("deux")
    empty = windowed(tasks.none())
    assert list(empty.page(1)) == [] and empty.count == 0


def test_a_task_brief_without_template_syntax_is_the_nodes_text_escaped_as_a_template_would(
    contract, artifacts
):
    from django.template import Context, Template

    from workflows.lists import task_brief

    (task,) = create_tasks(
        contract=contract, count=1, artifacts=artifacts, nodes=DECISION_NODES[:1]
    )
    source = str(task.flow_task.task_description)
    assert source and "{" not in source
    rendered = Template(source).render(Context({}))
    assert task_brief(task) == rendered
