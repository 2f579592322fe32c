"""The periodic jobs of the scheduler, each run as a task: here the DS sync of each campaign."""

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from background.tasks import run_periodic_job
from calls.ds_mappings import CLACT_2024_GRAND_EST as CLACT_2024_MAPPING
from calls.models import CampaignState, Dossier
from tests.calls.factories import CampaignFactory
from tests.calls.test_ds_client import TOKEN, StubDs

pytestmark = pytest.mark.django_db


def test_the_ds_sync_brings_in_each_campaign_in_progress_through_its_own_task(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(
        opened=True, ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_MAPPING
    )
    CampaignFactory(opened=True, state=CampaignState.ARCHIVED, ds_demarche_number=91235)
    monkeypatch.setenv("DS_API_TOKEN", TOKEN)
    with StubDs() as stub, django_capture_on_commit_callbacks(execute=True):
        settings.DS_API_URL = stub.url
        run_periodic_job.enqueue("ds_sync")
    assert campaign.dossiers.count() == 4
    sync = DBTaskResult.objects.get(task_path="calls.tasks.sync_campaign")
    assert sync.status == TaskResultStatus.SUCCESSFUL
    assert sync.return_value == {"read": 4, "created": 4, "updated": 0, "deleted": 0}
    assert {request["auth"] for request in stub.requests} == {f"Bearer {TOKEN}"}


def test_the_ds_sync_queues_nothing_without_a_token(
    monkeypatch, django_capture_on_commit_callbacks
):
    CampaignFactory(opened=True, ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_MAPPING)
    monkeypatch.delenv("DS_API_TOKEN", raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        result = run_periodic_job.enqueue("ds_sync")
    task = DBTaskResult.objects.get(pk=result.id)
    assert task.return_value == {"queued": 0, "reason": "DS_API_TOKEN absent"}
    assert not Dossier.objects.exists()
    assert DBTaskResult.objects.count() == 1
