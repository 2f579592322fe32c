"""The inbox, queue and archive as their users read them: rows, actions, wording."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.status import STATUS

from benchmarks.builders import DECISION_NODES, create_artifacts, create_tasks
from workflows.lists import _when

from . import scenarios
from .helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract():
    return scenarios.demo_contract()


@pytest.fixture
def artifacts(contract):
    return create_artifacts(contract=contract, preparer=scenarios.user("manager2"))


def rows_of(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return body.split("<tr ")[1:]


def test_each_row_has_one_cell_per_heading_in_the_columns_order(contract, artifacts):
    (task,) = create_tasks(
        contract=contract,
        count=1,
        artifacts=artifacts,
        nodes=DECISION_NODES[:1],
        owner=scenarios.user("validator"),
        status=STATUS.DONE,
    )
    task.finished = task.created
    task.save(update_fields=["finished"])
    html = client_for("validator").get(reverse("workflow:archive")).content.decode()
    (row,) = rows_of(html)
    headings = html[html.index("<thead>") : html.index("</thead>")].count("<th class=")
    cells = row.count("<td class=")
    assert cells == headings == 6
    # The archive's columns: task, step, object, process, opened, finished.
    when = _when(task.created)
    assert row.index(f"#{task.process_id}/{task.pk}") < row.index(contract.reference)
    assert row.index(contract.reference) < row.index(when)
    assert row.count(when) == 2


def test_a_date_is_written_as_the_template_engine_writes_it():
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 then 02:30 in Paris
    for value in (moment, moment.replace(hour=1, minute=5)):
        assert _when(value) == date_format(timezone.localtime(value), "d/m/Y H:i")
    assert _when(None) == ""


def test_the_queue_offers_its_bulk_action_in_french(contract, artifacts):
    create_tasks(contract=contract, count=2, artifacts=artifacts, nodes=DECISION_NODES[:1])
    html = client_for("validator").get(reverse("workflow:queue")).content.decode()
    assert len(rows_of(html)) == 2
    for french in ("Tout sélectionner", "Choisir une action", "Appliquer"):
        assert french in html
    for english in ("Select all", "Pick an action", ">GO<"):
        assert english not in html
    assert html.count('aria-label="Sélectionner cette ligne"') == 2


def test_the_new_process_button_shows_only_to_who_may_start_one(contract):
    manager_page = client_for("manager").get(reverse("workflow:inbox")).content.decode()
    assert "Nouveau processus" in manager_page
    assert "Préparer la délégation" in manager_page
    # A validator starts no process: no button opening an empty dialog.
    validator_page = client_for("validator").get(reverse("workflow:inbox")).content.decode()
    assert "Nouveau processus" not in validator_page
    assert "vf-dialog__trigger" not in validator_page


def test_the_filter_drawer_keeps_a_filter_and_forgets_it_once_cleared(contract, artifacts):
    node = DECISION_NODES[0]
    create_tasks(contract=contract, count=1, artifacts=artifacts, nodes=[node])
    client = client_for("validator")
    step = get_task_ref(node)
    unfiltered = client.get(reverse("workflow:queue")).content.decode()
    assert 'name="flow_task" value=""' in unfiltered
    filtered = client.get(reverse("workflow:queue"), {"flow_task": step}).content.decode()
    assert f'name="flow_task" value="{step}"' in filtered
    # Another person's unfiltered page: the drawer as it stands unfiltered, not the last one.
    again = client_for("manager").get(reverse("workflow:queue")).content.decode()
    assert 'name="flow_task" value=""' in again
