"""Personal API tokens: shown once, stored hashed, revocable, expiring; session with CSRF."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken
from api.throttling import TokenRateThrottle
from api.tokens import hash_key, issue_token, revoke_token
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


class TestTokens:
    def test_a_token_authenticates_as_its_owner(self, director):
        issued = issue_token(user=director, name="SI du GHT")
        response = bearer(issued.key).get(ME)
        assert response.status_code == 200
        assert response.json() == {
            "username": director.username,
            "roles": ["GHT_DIRECTOR"],
            "token": issued.token.prefix,
        }

    def test_only_the_hash_of_the_key_is_stored(self, director):
        issued = issue_token(user=director, name="SI")
        token = ApiToken.objects.get()
        assert token.hashed_key == hash_key(issued.key)
        assert issued.key.startswith(f"cat_{token.prefix}_")
        # The secret may itself hold "_" (URL-safe base64): everything after the prefix.
        secret = issued.key.removeprefix(f"cat_{token.prefix}_")
        assert len(secret) >= 40 and secret not in token.hashed_key

    def test_issuing_and_revoking_are_journaled(self, director):
        issued = issue_token(user=director, name="SI")
        revoke_token(user=director, token=issued.token)
        summaries = list(
            AuditEvent.objects.filter(object_type="api.ApiToken").values_list("summary", "actor")
        )
        assert summaries == [
            ("Jeton d'API « SI » créé", director.pk),
            ("Jeton d'API « SI » révoqué", director.pk),
        ]

    def test_a_revoked_token_gets_401(self, director):
        issued = issue_token(user=director, name="SI")
        revoke_token(user=director, token=issued.token)
        response = bearer(issued.key).get(ME)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json()["detail"] == "Jeton inconnu, expiré ou révoqué."

    def test_an_expired_token_gets_401(self, director):
        issued = issue_token(user=director, name="SI", lifetime=timedelta(days=30))
        with time_machine.travel(issued.token.expires_at + timedelta(seconds=1)):
            assert bearer(issued.key).get(ME).status_code == 401

    def test_a_wrong_secret_with_a_right_prefix_gets_401(self, director):
        issued = issue_token(user=director, name="SI")
        forged = f"cat_{issued.token.prefix}_{'x' * 43}"
        assert bearer(forged).get(ME).status_code == 401

    def test_no_credentials_get_401_in_french(self, db):
        response = APIClient().get(ME)
        assert response.status_code == 401
        assert response.json()["detail"] == "Authentifiez-vous : jeton d'API ou session."

    def test_the_last_use_is_recorded(self, director):
        issued = issue_token(user=director, name="SI")
        bearer(issued.key).get(ME)
        issued.token.refresh_from_db()
        assert issued.token.last_used_at is not None

    def test_an_inactive_owner_gets_401(self, director):
        issued = issue_token(user=director, name="SI")
        director.is_active = False
        director.save()
        assert bearer(issued.key).get(ME).status_code == 401


class TestThrottling:
    def test_each_token_has_its_own_budget(self, director, monkeypatch):
        monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "2/minute"})
        first, second = (bearer(issue_token(user=director, name=n).key) for n in "ab")
        assert [first.get(ME).status_code for _ in range(3)] == [200, 200, 429]
        assert second.get(ME).status_code == 200
        refused = first.get(ME)
        assert refused["Retry-After"]
        assert refused.json()["detail"].startswith("Trop de requêtes pour ce jeton")


class TestSession:
    def test_the_browser_session_works_for_reads(self, director):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(director)
        assert client.get(ME).status_code == 200

    def test_a_session_write_without_csrf_is_refused(self, director):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(director)
        response = client.post(ME, {})
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]


class TestTokenPage:
    def test_a_created_key_is_shown_once(self, director):
        client = Client()
        client.force_login(director)
        url = reverse("api_tokens:index")
        response = client.post(url, {"name": "SI du GHT", "lifetime_days": "90"})
        assert response.status_code == 200
        token = ApiToken.objects.get(user=director)
        key = response.context["issued"].key
        assert key in response.content.decode()
        assert "il ne sera plus jamais affiché" in response.content.decode()
        assert response["Cache-Control"] == "no-store"
        assert token.hashed_key == hash_key(key)
        assert key not in client.get(url).content.decode()

    def test_revoking_from_the_page(self, director):
        client = Client()
        client.force_login(director)
        issued = issue_token(user=director, name="SI")
        response = client.post(reverse("api_tokens:revoke", args=[issued.token.pk]))
        assert response.status_code == 302
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is not None

    def test_nobody_revokes_the_token_of_someone_else(self, director, manager):
        client = Client()
        client.force_login(manager)
        issued = issue_token(user=director, name="SI")
        response = client.post(reverse("api_tokens:revoke", args=[issued.token.pk]))
        assert response.status_code == 404
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is None
