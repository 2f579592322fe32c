"""Framework leftovers: error pages in French with a way forward, login first, no debug text."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config import errors
from tests.workflows import scenarios
from tests.workflows.helpers import client_for

pytestmark = pytest.mark.django_db

LEFTOVERS = [
    "Django Material",
    "No viewsets found",
    "n'ont pas le droit",
    "¯\\_(ツ)_/¯",
    "0-0 of 0",
    "Process brief",
    "No objects selected",
    "{'prepared_by'",
]


def assert_no_leftover(html: str) -> None:
    found = [text for text in LEFTOVERS if text in html]
    assert not found, found


def test_the_front_door_sends_a_visitor_to_the_login_page():
    response = Client().get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert response.status_code == 200


def test_a_page_refused_to_a_logged_in_user_says_so_in_french_with_a_way_back():
    scenarios.demo_contract()
    response = client_for("director").get(reverse("audit:search"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Accès refusé" in html
    assert "Retour à mes actions" in html
    assert_no_leftover(html)


@pytest.mark.parametrize("status", [404, 500])
def test_error_pages_are_french_and_lead_somewhere(status, settings):
    settings.DEBUG = False
    request = RequestFactory().get("/nulle-part/")
    from django.views import defaults

    if status == 404:
        response = defaults.page_not_found(request, Exception("x"))
    else:
        response = defaults.server_error(request)
    html = response.content.decode()
    assert response.status_code == status
    assert "Retour à mes actions" in html
    assert_no_leftover(html)


def test_the_permission_handler_is_the_projects():
    import config.urls

    assert config.urls.handler403 == "config.errors.permission_denied"
    assert callable(errors.permission_denied)


@pytest.mark.parametrize("username", ["manager", "validator", "director", "auditor"])
def test_the_contract_pages_carry_no_framework_wording(username):
    contract = scenarios.demo_contract()
    client = client_for(username)
    for url in (
        reverse("contracts:index"),
        reverse("contracts:contract_detail", args=[contract.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_no_leftover(html)
        assert 'class="vf-page"' not in html.split('<main class="vf-page__content"', 1)[1]


def test_a_bulk_action_without_selection_answers_in_french():
    scenarios.demo_contract()
    response = client_for("validator").get("/workflow/queue/assign/", follow=True)
    html = response.content.decode()
    assert "Aucune tâche sélectionnée" in html
    assert_no_leftover(html)


def test_an_english_browser_still_gets_french_screens():
    scenarios.demo_contract()
    client = client_for("validator")
    response = client.get("/workflow/queue/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert '<html lang="fr' in html
    assert "Ouverte le" in html
    assert "Created" not in html
