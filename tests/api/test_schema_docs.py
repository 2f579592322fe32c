"""The OpenAPI schema and its documentation pages are served by the app (no CDN)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_schema_is_served(director):
    client = Client()
    client.force_login(director)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Contrats d'attractivité territoriale"
    assert "jetonPersonnel" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_their_assets_from_the_app(director, url):
    client = Client()
    client.force_login(director)
    page = client.get(url).content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn.jsdelivr" not in page and "unpkg" not in page
