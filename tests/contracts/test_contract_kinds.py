"""Contracts and funding conventions in one list: the kind shown, filtered, and the same
queries for 1 convention and 20; a convention's reference is its own."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import ContractKind

from .factories import ContractFactory, FundingLineFactory, StrategicAxisFactory

pytestmark = pytest.mark.django_db


def convention(contract, n):
    """A funding convention of an establishment of the contract's GHT (one axis, one line)."""
    member = contract.hospital_group.memberships.get(role="SUPPORT").establishment
    made = ContractFactory(
        kind=ContractKind.FUNDING_CONVENTION,
        reference=f"CONV-CLACT-2024-{18_000_000 + n}",
        title=f"Convention de financement – CLACT 2024 – projet {n}",
        hospital_group=contract.hospital_group,
        carrier_establishment=member,
        envelope_amount=Decimal("4500.00"),
    )
    axis = StrategicAxisFactory(contract=made, number=1)
    FundingLineFactory(axis=axis, amounts={2025: Decimal("4500.00")})
    return made


def test_the_list_shows_the_kind_and_filters_on_it(client, contract, manager):
    first = convention(contract, 1)
    client.force_login(manager)
    everything = client.get(reverse("contracts:index"))
    content = everything.content.decode()
    assert contract.reference in content and first.reference in content
    assert "Convention de financement" in content
    assert "Contrat d&#x27;attractivité territoriale" in content
    only = client.get(reverse("contracts:index") + "?nature=FUNDING_CONVENTION")
    assert [item.contract for item in only.context["items"]] == [first]
    attractiveness = client.get(reverse("contracts:index") + "?nature=ATTRACTIVENESS")
    assert [item.contract for item in attractiveness.context["items"]] == [contract]
    unknown = client.get(reverse("contracts:index") + "?nature=AUTRE")
    assert len(unknown.context["items"]) == 2


def test_the_filtered_list_costs_the_same_for_1_and_20_conventions(
    client, contract, manager, django_assert_num_queries
):
    convention(contract, 0)
    url = reverse("contracts:index") + "?nature=FUNDING_CONVENTION"
    client.force_login(manager)
    with CaptureQueriesContext(connection) as one_row:
        assert len(client.get(url).context["items"]) == 1
    for n in range(1, 20):
        convention(contract, n)
    with django_assert_num_queries(len(one_row)):
        response = client.get(url)
    assert len(response.context["items"]) == 20


def test_the_convention_page_names_its_kind_and_beneficiary(client, contract, manager):
    made = convention(contract, 1)
    client.force_login(manager)
    content = client.get(reverse("contracts:contract_detail", args=[made.pk])).content.decode()
    assert "Convention de financement" in content
    assert "Établissement bénéficiaire" in content
    assert (
        "Contrat d&#x27;attractivité territoriale"
        in client.get(reverse("contracts:contract_detail", args=[contract.pk])).content.decode()
    )


def test_an_unknown_kind_is_refused_by_the_database(contract):
    contract.kind = "AUTRE"
    with pytest.raises(IntegrityError):
        contract.save(update_fields=["kind"])
