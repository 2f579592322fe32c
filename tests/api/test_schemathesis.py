"""The schema fuzzed by schemathesis, every operation, as an ARS manager, a GHT director and
an auditor: no 5xx, and every documented response conforms to the schema.

The number of examples is bounded (``API_FUZZ_EXAMPLES``, 5 by default) so the run stays
within a minute on SQLite; CI runs the same test on PostgreSQL.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
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
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def bearer(username: str) -> dict:
    client = token_client(demo_user(username))
    return {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}


def real_objects(world) -> dict[str, dict]:
    """Return path parameters naming objects of GHT A, per collection."""
    return {
        "/api/v1/contracts/": {"id": world["contract"].pk},
        "/api/v1/milestones/": {"id": world["open_review"].milestone_id},
        "/api/v1/delegations/": {"id": world["delegation_process"].delegation_id},
        "/api/v1/statements/": {"id": world["recovery_process"].statement_id},
        "/api/v1/recoveries/": {"id": world["recovery_process"].recovery_id},
        "/api/v1/amendments/": {"id": world["amendment_process"].amendment_id},
        "/api/v1/hospital-groups/": {"code": world["contract"].hospital_group.code},
        "/api/v1/regions/": {"code": world["contract"].region.code},
    }


def strategies(operation, objects):
    """Yield ``(strategy, examples)`` for ``operation``: generated values, then real objects
    of GHT A in the path (so detail pages and actions get past the 404)."""
    yield operation.as_strategy(), EXAMPLES
    for prefix, parameters in objects.items():
        name = next(iter(parameters))
        if operation.path.startswith(prefix) and f"{{{name}}}" in operation.path:
            yield operation.as_strategy(path_parameters=parameters), min(EXAMPLES, 3)


@pytest.mark.parametrize("username", ["manager", "director", "auditor"])
def test_every_operation_answers_within_the_schema(schema, username, media_root):
    objects = real_objects(build_world())
    headers = bearer(username)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures = []
    runs = [(op, pair) for op in operations for pair in strategies(op, objects)]
    for operation, (strategy, examples) in runs:

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
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
