"""Fixtures of the API tests: the demo contract (GHT A), one user per role, token clients."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.tokens import issue_token
from tests.contracts.factories import ContractFactory


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def contract(db):
    return ContractFactory(with_lines=True)


def token_client(user) -> APIClient:
    """Return a client that calls the API with a fresh personal token of ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user, name='tests').key}")
    return client


@pytest.fixture
def api_for():
    return token_client
