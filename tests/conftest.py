"""Fixtures shared by every test module.

One user per role, in the scope of the ``contract`` fixture that each folder defines.
"""

import os

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from territories.access import Role
from tests.contracts.factories import user_with_role


class OneRequestAtATime(WSGIServer):
    """The browser tests' live server answers one request at a time (and closes each
    connection). On the embedded SQLite, Django gives every request thread the test's one
    in-memory connection: a form's POST writing in its transaction and a page Chromium
    fetched meanwhile then waited on each other's table locks for ever (seen once in CI:
    the funding-line POST of ``test_browser_drafting`` hung with a GET beside it)."""

    def __init__(self, *args, connections_override=None, **kwargs):
        # The server's thread takes the overridden connections itself (``run``).
        super().__init__(*args, **kwargs)


LiveServerThread.server_class = OneRequestAtATime


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests elsewhere, saying why (they are never counted as passing)."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (make test-postgres)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is built from the models (``--no-migrations``): on PostgreSQL, add
    the journal's stored search document, which no model declares, with the migration's
    own code (``audit.search``)."""
    from audit.search import install_search_document

    with django_db_blocker.unblock():
        install_search_document(connection)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Store uploaded documents in a temporary directory, never in the repository."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture
def manager(contract):
    return user_with_role(Role.ARS_MANAGER, region=contract.region, username="claire")


@pytest.fixture
def manager2(contract):
    return user_with_role(Role.ARS_MANAGER, region=contract.region, username="hugo")


@pytest.fixture
def validator(contract):
    return user_with_role(Role.ARS_VALIDATOR, region=contract.region, username="paul")


@pytest.fixture
def director(contract):
    return user_with_role(
        Role.GHT_DIRECTOR, hospital_group=contract.hospital_group, username="sophie"
    )


@pytest.fixture
def auditor(contract):
    return user_with_role(Role.AUDITOR, national=True, username="nadia")
