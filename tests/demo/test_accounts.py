"""Each demo account logs in through the login page and reaches the workflow inbox."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from demo.loader import DEMO_ACCOUNTS, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    load_demo()


def test_the_login_page_is_in_french():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="fr"' in content
    assert "<title>Connexion – Contrats d'attractivité" in content
    assert "Demo suite" not in content


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda account: account.username)
def test_each_demo_account_logs_in_and_reaches_the_inbox(demo, account):
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": account.username, "password": settings.DEMO_PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    inbox = client.get(reverse("workflow:inbox"))
    assert inbox.status_code == 200
    assert inbox.wsgi_request.user.username == account.username


def test_a_wrong_password_is_refused_with_a_french_message(demo):
    response = Client().post("/accounts/login/", {"username": "manager", "password": "nope"})
    assert response.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()
