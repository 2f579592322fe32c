"""Every error is a problem-details document in French; nothing unexpected leaks."""

import pytest
from rest_framework.test import APIClient

from api import views
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_a_problem_404(manager):
    response = token_client(manager).get("/api/v1/nope/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://contrats-attractivite.invalid/problemes/not_found",
        "title": "Introuvable",
        "status": 404,
        "detail": "Cette adresse n'existe pas dans l'API.",
        "instance": "/api/v1/nope/",
    }


def test_a_wrong_method_is_a_french_405(manager, contract):
    response = token_client(manager).delete(f"/api/v1/contracts/{contract.pk}/")
    assert response.status_code == 405
    assert response.json()["detail"] == "Cette méthode n'est pas acceptée à cette adresse."


def test_unreadable_json_is_a_400(manager, contract):
    response = token_client(manager).post(
        f"/api/v1/contracts/{contract.pk}/delegations/", "{", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Le corps de la requête est illisible."


def test_an_unexpected_error_is_logged_and_answered_without_details(manager, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.RegionViewSet, "scoped", staticmethod(broken))
    client = token_client(manager)
    client.raise_request_exception = False
    response = client.get("/api/v1/regions/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "secret internals" not in response.content.decode()
    assert "Erreur inattendue de l'API" in caplog.text


def test_unauthenticated_gets_401_with_the_scheme(db):
    response = APIClient().get("/api/v1/contracts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
