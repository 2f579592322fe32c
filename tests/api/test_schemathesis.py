"""The schema fuzzed by schemathesis, every operation, as an ARS manager, an ARS validator,
a GHT director and an auditor: no 5xx, and every documented response conforms to the schema.

The number of examples is bounded (``API_FUZZ_EXAMPLES``, 5 by default) so the run stays
within a minute on SQLite; CI runs the same test on PostgreSQL.
"""

import os
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.api.conftest import token_client
from tests.api.world import build_world, demo_user

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def schema(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/minute"},
    }
    with connections_kept_open():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@contextmanager
def connections_kept_open():
    """Keep the test's connection through WSGI calls, as Django's test client does: closing
    "old" connections at the end of a request would end the test's transaction (PostgreSQL).
    Django's test client reconnects the handlers after each of its requests: enter this
    after the last of them."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def bearer(username: str) -> dict:
    client = token_client(demo_user(username))
    return {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}


def real_objects(world) -> dict[str, dict]:
    """Return path parameters naming objects of GHT A (one or a list), per collection."""
    return {
        "/api/v1/contracts/": {"id": world["contract"].pk},
        "/api/v1/milestones/": {"id": world["open_review"].milestone_id},
        "/api/v1/delegations/": {"id": world["delegation_process"].delegation_id},
        "/api/v1/statements/": {"id": world["recovery_process"].statement_id},
        "/api/v1/recoveries/": {"id": world["recovery_process"].recovery_id},
        "/api/v1/amendments/": {"id": world["amendment_process"].amendment_id},
        "/api/v1/hospital-groups/": {"code": world["contract"].hospital_group.code},
        "/api/v1/regions/": {"code": world["contract"].region.code},
        "/api/v1/campaigns/": {"id": world["campaign"].pk},
        "/api/v1/dossiers/": [
            {"id": world["dossier_to_check"].pk},
            {"id": world["dossier_to_decide"].pk},
        ],
    }


def strategies(operation, objects):
    """Yield ``(strategy, examples)`` for ``operation``: generated values, then real objects
    of GHT A in the path (so detail pages and actions get past the 404)."""
    yield operation.as_strategy(), EXAMPLES
    for prefix, named in objects.items():
        for parameters in named if isinstance(named, list) else [named]:
            name = next(iter(parameters))
            if operation.path.startswith(prefix) and f"{{{name}}}" in operation.path:
                yield operation.as_strategy(path_parameters=parameters), min(EXAMPLES, 3)


# The dossier steps a fuzzed caller may reach: every one of them is in the schema.
DOSSIER_OPERATIONS = {
    f"/api/v1/dossiers/{{id}}/{step}/"
    for step in ("completeness", "complements-received", "instruction", "decision", "notification")
}


@pytest.mark.parametrize("username", ["manager", "validator", "director", "auditor"])
def test_every_operation_answers_within_the_schema(schema, username, media_root):
    objects = real_objects(build_world())
    headers = bearer(username)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    paths = {operation.path for operation in operations}
    assert {"/api/v1/campaigns/{id}/", "/api/v1/dossiers/{id}/", *DOSSIER_OPERATIONS} <= paths
    failures = []
    runs = [(op, pair) for op in operations for pair in strategies(op, objects)]
    with connections_kept_open():
        for operation, (strategy, examples) in runs:
            failures.extend(fuzz(operation, strategy, examples, headers))
    assert not failures, "\n\n".join(failures)


def fuzz(operation, strategy, examples, headers) -> list[str]:
    """Run ``examples`` cases of ``strategy``; return the failure, if any."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Exception as error:  # noqa: BLE001 - collect every operation's failure
        return [f"{operation.label}: {str(error)[:1500]}"]
    return []


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("username", ["manager", "director"])
def test_stateful_runs_follow_the_links_from_lists_to_objects(schema, username, media_root):
    """From a list to its first row's detail, progress and actions (the schema's links)."""
    build_world()
    headers = bearer(username)
    base = schema.as_state_machine()
    calls = []

    class Workflow(base):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            calls.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS, headers=headers)

    with connections_kept_open():
        Workflow.run(
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=5,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
        )
    # Some steps went from a list to one of its rows through a link.
    assert any("{" in label for label, _ in calls), calls
