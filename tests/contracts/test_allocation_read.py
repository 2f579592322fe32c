"""``credits.left_to_delegate`` reads a contract's allocations in raw SQL (issue 17): the
rows, their values and their types are the ones the ORM read gave, on every database."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery, Sum

from contracts import credits
from contracts.models import DecisionStatus, Recovery, RecoveryMode, YearlyAllocation
from contracts.money import MoneyField
from contracts.schemes import SchemeCode

from .factories import ContractFactory, FundingLineFactory, StrategicAxisFactory

pytestmark = pytest.mark.django_db

D = Decimal


def orm_rows(contract, years):
    """The ORM read the raw statement replaced, kept here as its reference."""
    offsets = Subquery(
        Recovery.objects.filter(
            allocation__funding_line_id=OuterRef("funding_line_id"),
            mode=RecoveryMode.OFFSET,
            offset_year=OuterRef("year"),
            offset_year__in=list(years),
            status=DecisionStatus.APPROVED,
        )
        .order_by()
        .values("offset_year")
        .annotate(total=Sum("amount"))
        .values("total")[:1],
        output_field=MoneyField(),
    )
    return list(
        YearlyAllocation.objects.filter(funding_line__axis__contract=contract)
        .annotate(offset=offsets)
        .order_by("funding_line_id", "year")
        .values_list(
            "pk",
            "funding_line_id",
            "year",
            "allocated_amount",
            "delegated_amount",
            "funding_line__scheme",
            "funding_line__details",
            "offset",
        )
    )


def recovery(allocation, amount, *, offset_year, status=DecisionStatus.APPROVED):
    people = [
        get_user_model().objects.get_or_create(username=f"reprise-{index}")[0] for index in range(2)
    ]
    return Recovery.objects.create(
        allocation=allocation,
        unused_amount=amount,
        amount=amount,
        mode=RecoveryMode.OFFSET,
        offset_year=offset_year,
        status=status,
        prepared_by=people[0],
        approved_by=people[1] if status == DecisionStatus.APPROVED else None,
    )


def test_the_raw_read_gives_the_rows_of_the_orm_read():
    contract = ContractFactory(signed=True)
    axis = StrategicAxisFactory(contract=contract, number=1)
    other = StrategicAxisFactory(contract=contract, number=2)
    pech = FundingLineFactory(
        axis=axis,
        code="1.1",
        scheme=SchemeCode.PECH,
        details={"practitioners": 1, "appointment_date": "2026-03-01"},
        amounts={2025: D("30000.00")},
    )
    line = FundingLineFactory(
        axis=other, code="2.1", amounts={2025: D("40000.00"), 2026: D("40000.10")}
    )
    year_2025 = line.allocations.get(year=2025)
    recovery(year_2025, D("12000.05"), offset_year=2026)
    recovery(year_2025, D("1.10"), offset_year=2026)
    recovery(year_2025, D("999.00"), offset_year=2026, status=DecisionStatus.PREPARED)
    FundingLineFactory(axis=axis, code="1.2", amounts={2026: D("5.00")})  # no offset

    for years in (set(contract.years), {2026}, {2025}):
        expected = orm_rows(contract, years)
        rows = credits._allocation_rows(contract, years)
        assert rows == expected
        assert [[type(value) for value in row] for row in rows] == [
            [type(value) for value in row] for row in expected
        ]
    offsets = {row[0]: row[-1] for row in credits._allocation_rows(contract, {2026})}
    assert offsets[line.allocations.get(year=2026).pk] == D("12001.15")
    assert offsets[pech.allocations.get().pk] is None
    assert credits.left_to_delegate(contract, [2026])[line.allocations.get(year=2026).pk] == (
        2026,
        D("27998.95"),
    )
