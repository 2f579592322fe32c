"""Through the API, nobody outside GHT A gets anything of it: 404 on every object, and no
row of it in any list. Every list and object route is found from the URL resolver, so a
resource added later is covered too."""

import pytest
from django.urls import URLResolver, get_resolver

from audit.models import AuditEvent
from contracts.models import (
    Amendment,
    ConsumptionStatement,
    CreditDelegation,
    Milestone,
    Recovery,
)
from tests.api.conftest import token_client
from tests.api.world import build_world, demo_user

pytestmark = pytest.mark.django_db


def api_routes():
    """Yield the names of the ``/api/v1/`` routes (``*-list`` and ``*-detail``)."""
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and str(pattern.pattern) == "api/v1/":
            for route in pattern.url_patterns:
                if route.name:
                    yield route.name


def a_objects(world) -> dict[str, list[str]]:
    """Return, per list route, the detail URLs of GHT A's objects."""
    contracts = [world["contract"], world["draft"]]
    ghta = world["contract"].hospital_group
    a_contract_ids = [c.pk for c in contracts]
    allocation_contract = "allocation__funding_line__axis__contract__in"
    return {
        "contract": [f"/api/v1/contracts/{c.pk}/" for c in contracts]
        + [f"/api/v1/contracts/{c.pk}/progress/" for c in contracts],
        "hospital-group": [f"/api/v1/hospital-groups/{ghta.code}/"],
        "milestone": [
            f"/api/v1/milestones/{pk}/"
            for pk in Milestone.objects.filter(axis__contract__in=contracts).values_list(
                "pk", flat=True
            )
        ],
        "delegation": [
            f"/api/v1/delegations/{pk}/"
            for pk in CreditDelegation.objects.filter(contract__in=contracts).values_list(
                "pk", flat=True
            )
        ],
        "statement": [
            f"/api/v1/statements/{pk}/"
            for pk in ConsumptionStatement.objects.filter(
                **{allocation_contract: contracts}
            ).values_list("pk", flat=True)
        ],
        "recovery": [
            f"/api/v1/recoveries/{pk}/"
            for pk in Recovery.objects.filter(**{allocation_contract: contracts}).values_list(
                "pk", flat=True
            )
        ],
        "amendment": [
            f"/api/v1/amendments/{pk}/"
            for pk in Amendment.objects.filter(contract__in=contracts).values_list("pk", flat=True)
        ],
        "campaign": [f"/api/v1/campaigns/{world['campaign'].pk}/"],
        "dossier": [
            f"/api/v1/dossiers/{dossier.pk}/"
            for dossier in (world["dossier_to_check"], world["dossier_to_decide"])
        ],
        "ids": a_contract_ids,
    }


# Calls for applications are read by ARS staff and auditors: a GHT director's role gives
# no access to any campaign or dossier (403 on every address, whether it exists or not).
CALLS_PERMISSION = {"campaign": "calls.view_campaign", "dossier": "calls.view_dossier"}


LISTS = {
    "region": "/api/v1/regions/",
    "hospital-group": "/api/v1/hospital-groups/",
    "establishment": "/api/v1/establishments/",
    "contract": "/api/v1/contracts/",
    "milestone": "/api/v1/milestones/",
    "delegation": "/api/v1/delegations/",
    "statement": "/api/v1/statements/",
    "recovery": "/api/v1/recoveries/",
    "amendment": "/api/v1/amendments/",
    "campaign": "/api/v1/campaigns/",
    "dossier": "/api/v1/dossiers/",
    "task": "/api/v1/tasks/",
    "journal": "/api/v1/journal/",
}


def test_every_list_route_is_covered():
    names = {name.removesuffix("-list") for name in api_routes() if name.endswith("-list")}
    assert names == set(LISTS)


def test_the_world_has_an_object_of_every_kind(db):
    world = build_world()
    objects = a_objects(world)
    for kind in ["contract", "milestone", "delegation", "statement", "recovery", "amendment"]:
        assert objects[kind], kind


@pytest.mark.parametrize(
    "outsider", ["director_same_region", "director_other_region", "manager_other_region"]
)
def test_an_outsider_gets_404_for_every_object_of_ght_a_and_none_in_lists(outsider):
    world = build_world()
    objects = a_objects(world)
    person = world["outsiders"][outsider]
    client = token_client(person)
    for kind, urls in objects.items():
        if kind == "ids":
            continue
        refused = kind in CALLS_PERMISSION and not person.has_perm(CALLS_PERMISSION[kind])
        for url in urls:
            response = client.get(url)
            assert response.status_code == (403 if refused else 404), (url, response.status_code)
            assert response["Content-Type"] == "application/problem+json"
    a_calls = {
        "campaign": {world["campaign"].pk},
        "dossier": {world["dossier_to_check"].pk, world["dossier_to_decide"].pk},
    }
    ghta = world["contract"].hospital_group
    a_ids = set(objects["ids"])
    for kind, url in LISTS.items():
        response = client.get(url, {"taille": 200})
        if response.status_code == 403:  # a role without the journal
            continue
        assert response.status_code == 200, (url, response.content)
        rows = response.json()["results"]
        assert not [
            r
            for r in rows
            if r.get("contract") in a_ids or r.get("id") in a_ids and kind == "contract"
        ], url
        assert ghta.code not in response.content.decode(), url
        if kind in a_calls:
            assert not {r["id"] for r in rows} & a_calls[kind], url
        assert not [r for r in rows if (r.get("dossier") or {}).get("id") in a_calls["dossier"]]
        assert "Sézannais" not in response.content.decode(), url
    # Their own GHT's contract is there: the lists are scoped, not empty.
    if outsider != "director_same_region":
        contracts = client.get(LISTS["contract"]).json()["results"]
        assert [c["id"] for c in contracts] == [world["contract_b"].pk]


def test_an_outsider_cannot_act_on_ght_a(db):
    world = build_world()
    client = token_client(world["outsiders"]["director_other_region"])
    milestone = world["open_review"].milestone
    response = client.post(
        f"/api/v1/milestones/{milestone.pk}/report/", {"actual_value": "1"}, format="json"
    )
    assert response.status_code == 404
    milestone.refresh_from_db()
    assert milestone.status == "PLANNED"


def test_the_journal_of_a_regional_manager_holds_only_their_contracts(db):
    world = build_world()
    client = token_client(world["outsiders"]["manager_other_region"])
    rows = client.get("/api/v1/journal/", {"taille": 1000}).json()["results"]
    assert {row["contract"] for row in rows} <= {world["contract_b"].pk}
    assert AuditEvent.objects.filter(contract_id=world["contract"].pk).exists()


def test_the_auditor_sees_everything_and_the_director_no_journal(db):
    world = build_world()
    auditor = token_client(demo_user("auditor"))
    ids = {c["id"] for c in auditor.get("/api/v1/contracts/").json()["results"]}
    assert ids == {world["contract"].pk, world["draft"].pk, world["contract_b"].pk}
    director = token_client(demo_user("director"))
    response = director.get("/api/v1/journal/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Votre rôle ne donne pas accès à ces données."
