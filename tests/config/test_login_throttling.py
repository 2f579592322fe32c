"""Login throttling: per account and address, per address, with a French answer."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from tests.territories.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
ATTACKER = "203.0.113.7"
LOCKOUT_TEXT = "Trop de tentatives de connexion ont échoué"


def log_in(username, password, address=ATTACKER, client=None):
    client = client or Client()
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(username, times, address=ATTACKER):
    for _ in range(times):
        log_in(username, "mauvais-mot-de-passe", address)


class TestTheLimits:
    def test_are_read_from_the_environment_with_sensible_defaults(self):
        assert settings.LOGIN_FAILURE_LIMITS == [5, 30]
        assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
        assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


class TestOneAccountFromOneAddress:
    def test_logs_in_after_fewer_failures_than_the_limit(self):
        user = UserFactory()
        fail(user.username, settings.LOGIN_FAILURE_LIMITS[0] - 1)
        assert log_in(user.username, TEST_PASSWORD).status_code == 302

    def test_is_locked_after_the_limit_even_with_the_right_password(self):
        user = UserFactory()
        fail(user.username, settings.LOGIN_FAILURE_LIMITS[0])
        client = Client()
        response = log_in(user.username, TEST_PASSWORD, client=client)

        assert response.status_code == 429
        assert LOCKOUT_TEXT in response.content.decode()
        assert "15 minutes" in response.content.decode()
        assert 'name="username"' in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_the_31st_wrong_password_then_the_right_one_is_refused(self):
        user = UserFactory()
        fail(user.username, 31)
        response = log_in(user.username, TEST_PASSWORD)
        assert response.status_code == 429

    def test_stays_open_from_another_address(self):
        user = UserFactory()
        fail(user.username, settings.LOGIN_FAILURE_LIMITS[0])
        assert log_in(user.username, TEST_PASSWORD, address="198.51.100.2").status_code == 302


class TestOneAddress:
    def test_is_locked_for_every_account_after_the_address_limit(self):
        victim = UserFactory()
        per_account, per_address = settings.LOGIN_FAILURE_LIMITS
        # Spread over accounts so no single account reaches its own limit.
        for index in range(per_address):
            fail(f"inconnu{index // (per_account - 1)}", 1)

        response = log_in(victim.username, TEST_PASSWORD)

        assert response.status_code == 429
        assert LOCKOUT_TEXT in response.content.decode()
        assert log_in(victim.username, TEST_PASSWORD, address="198.51.100.2").status_code == 302

    def test_is_open_just_below_the_address_limit(self):
        victim = UserFactory()
        per_account, per_address = settings.LOGIN_FAILURE_LIMITS
        for index in range(per_address - 1):
            fail(f"inconnu{index // (per_account - 1)}", 1)
        assert log_in(victim.username, TEST_PASSWORD).status_code == 302


class TestTheDemoPasswordGuard:
    def test_still_refuses_the_demo_password_where_demo_accounts_are_off(self):
        get_user_model().objects.create_user("demo", password=settings.DEMO_PASSWORD)
        with override_settings(DEMO_ACCOUNTS_ALLOWED=False):
            response = log_in("demo", settings.DEMO_PASSWORD)
        assert response.status_code == 200
        assert "_auth_user_id" not in response.wsgi_request.session

    def test_still_lets_the_demo_password_in_where_allowed(self):
        get_user_model().objects.create_user("demo", password=settings.DEMO_PASSWORD)
        assert log_in("demo", settings.DEMO_PASSWORD).status_code == 302


class TestApiClients:
    def test_get_the_lockout_as_json(self):
        user = UserFactory()
        fail(user.username, settings.LOGIN_FAILURE_LIMITS[0])
        response = Client().post(
            LOGIN_URL,
            {"username": user.username, "password": TEST_PASSWORD},
            REMOTE_ADDR=ATTACKER,
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 429
        assert LOCKOUT_TEXT in response.json()["detail"]
