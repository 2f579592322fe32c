"""Fixtures of the task engine tests: an active contract, tasks queued for a worker."""

import pytest

import config.urls  # noqa: F401  (builds the flow URLs, so nodes can reverse)
from tests.contracts.factories import ContractFactory


@pytest.fixture
def contract(db):
    """An active contract 2025-2027: two axes, one line each, six milestones."""
    return ContractFactory(with_lines=True, active=True)


@pytest.fixture
def queued_in_database(settings):
    """Queue tasks in the database for a worker, as in production (no run in this process)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
