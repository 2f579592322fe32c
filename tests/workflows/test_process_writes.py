"""A process saved whole writes only the columns that changed, and nothing when none did
(``workflows.models.WritesChangedFields``, issue 17): viewflow saves the whole process at
each activation, two statements of every column for a row often unchanged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.status import PROCESS

from workflows.models import ContractProcess

from . import scenarios

pytestmark = pytest.mark.django_db


@pytest.fixture
def process():
    submitted = scenarios.submitted_approval(scenarios.demo_contract(), by="manager")
    return ContractProcess.objects.get(pk=submitted.pk)


def writes(process, **kwargs) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        process.save(**kwargs)
    return [query["sql"] for query in captured]


def test_an_unchanged_process_writes_nothing(process):
    assert writes(process) == []


def test_a_changed_column_of_ours_is_the_only_one_written(process):
    process.decision = "APPROVED"
    (sql,) = writes(process)
    assert sql.startswith('UPDATE "workflows_contractprocess" SET "decision" =')
    assert "decision_reason" not in sql and "viewflow_process" not in sql
    assert ContractProcess.objects.get(pk=process.pk).decision == "APPROVED"
    assert writes(process) == []


def test_a_changed_column_of_viewflow_s_is_written_on_its_table_alone(process):
    process.status = PROCESS.CANCELED
    statements = writes(process)
    assert len(statements) == 2
    assert statements[0].startswith('UPDATE "viewflow_process" SET "status" =')
    # Cancelled: our copy of « still open » follows (``ContractProcess.save``).
    assert statements[1].startswith('UPDATE "workflows_contractprocess" SET "is_open" =')
    stored = ContractProcess.objects.get(pk=process.pk)
    assert (stored.status, stored.is_open) == (PROCESS.CANCELED, False)


def test_data_changed_in_place_is_written(process):
    process.data["relance"] = {"le": "2025-10-01"}
    assert len(writes(process)) == 1
    assert ContractProcess.objects.get(pk=process.pk).data["relance"] == {"le": "2025-10-01"}
    process.data["relance"]["le"] = "2025-10-02"
    assert len(writes(process)) == 1
    assert ContractProcess.objects.get(pk=process.pk).data["relance"] == {"le": "2025-10-02"}


def test_another_object_s_change_is_not_written_back_with_an_older_value(process):
    other = ContractProcess.objects.get(pk=process.pk)
    other.decision_reason = "Pièce manquante"
    other.save()
    process.decision = "RETURNED"
    process.save()
    stored = ContractProcess.objects.get(pk=process.pk)
    assert (stored.decision, stored.decision_reason) == ("RETURNED", "Pièce manquante")


def test_named_fields_are_written_as_asked_and_then_known(process):
    process.decision = "APPROVED"
    process.decision_reason = "Conforme"
    (sql,) = writes(process, update_fields=["decision"])
    assert "decision_reason" not in sql
    # What was not named is still to write; what was is not written again.
    (sql,) = writes(process)
    assert '"decision_reason" =' in sql and '"decision" =' not in sql


def test_a_row_read_again_is_known_as_read(process):
    ContractProcess.objects.filter(pk=process.pk).update(decision="APPROVED")
    process.refresh_from_db()
    assert writes(process) == []
    process.decision = ""
    assert len(writes(process)) == 1
    assert ContractProcess.objects.get(pk=process.pk).decision == ""


def test_a_new_process_is_inserted_whole_then_known(process):
    copy = ContractProcess(
        flow_class=process.flow_class,
        contract=process.contract,
        hospital_group_id=process.hospital_group_id,
        region_id=process.region_id,
    )
    statements = writes(copy)
    assert [sql.split()[0] for sql in statements] == ["INSERT", "INSERT"]
    assert writes(copy) == []
