"""A task's progress and outcome, read from the task itself (its row and its progress).

A task reports ``done`` of ``total`` steps under its own id (``report_progress``); any web
process, on any machine, reads the task's status, attempts, progress, return value and
error in one query (``task_state``).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Subquery
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import TaskProgress


@dataclass(frozen=True)
class TaskState:
    status: TaskResultStatus
    done: int
    total: int
    attempts: int
    return_value: Any
    error: str

    @property
    def finished(self) -> bool:
        return self.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == TaskResultStatus.SUCCESSFUL:
            return 100
        return self.done * 100 // self.total if self.total else 0


def report_progress(task_id: str, *, done: int, total: int) -> None:
    """Record that the task ``task_id`` has done ``done`` of its ``total`` steps."""
    TaskProgress.objects.update_or_create(
        task_id=str(task_id), defaults={"done": done, "total": total}
    )


def _error_message(traceback: str) -> str:
    """Return the message of the exception that ends ``traceback`` (its last line)."""
    last = traceback.strip().splitlines()[-1] if traceback.strip() else ""
    return last.partition(": ")[2] or last


def task_state(task_id: str) -> TaskState | None:
    """Return the state of the task ``task_id`` (one query), or None if there is no such task."""
    row = (
        DBTaskResult.objects.filter(pk=task_id)
        .annotate(
            progress_done=Subquery(
                TaskProgress.objects.filter(task_id=str(task_id)).values("done")[:1]
            ),
            progress_total=Subquery(
                TaskProgress.objects.filter(task_id=str(task_id)).values("total")[:1]
            ),
        )
        .values(
            "status", "worker_ids", "return_value", "traceback", "progress_done", "progress_total"
        )
        .first()
    )
    if row is None:
        return None
    status = TaskResultStatus[row["status"]]
    return TaskState(
        status=status,
        done=row["progress_done"] or 0,
        total=row["progress_total"] or 0,
        attempts=len(row["worker_ids"] or []),
        return_value=row["return_value"],
        error=_error_message(row["traceback"]) if status == TaskResultStatus.FAILED else "",
    )
