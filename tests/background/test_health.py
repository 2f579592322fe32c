"""The health endpoint: database, workers' heartbeat, scheduler's last run; no login, no secret."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from background.models import SCHEDULER_LEASE, SchedulerLease, WorkerHeartbeat
from workflows.tasks import send_message

pytestmark = pytest.mark.django_db


def test_reports_degraded_without_worker_nor_scheduler(client, queued_in_database):
    send_message.enqueue("Objet", "Corps", ["a@ars.invalid"])
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": {"ok": True, "vendor": response.json()["database"]["vendor"]},
        "workers": {"ok": False, "alive": 0, "last_beat_at": None},
        "scheduler": {"ok": False, "last_run_at": None},
        "queue": {"ready": 1, "running": 0},
    }


def test_reports_ok_with_a_beating_worker_and_a_recent_scheduler_run(
    client, django_assert_max_num_queries
):
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="hote-secret-123", started_at=now, beat_at=now)
    WorkerHeartbeat.objects.create(
        worker_id="mort", started_at=now, beat_at=now - datetime.timedelta(hours=1)
    )
    SchedulerLease.objects.create(
        name=SCHEDULER_LEASE, holder="hote-secret-456", expires_at=now, last_tick_at=now
    )
    with django_assert_max_num_queries(4):
        response = client.get(reverse("health"))
    report = response.json()
    assert report["status"] == "ok"
    assert report["workers"] == {"ok": True, "alive": 1, "last_beat_at": now.isoformat()}
    assert report["scheduler"] == {"ok": True, "last_run_at": now.isoformat()}
    assert "secret" not in json.dumps(report)  # no worker id, host name or holder
    assert response["Cache-Control"].startswith("max-age=0")
