"""Fixtures of the progress tests: a region's contracts, one user per role, open tasks."""

import datetime
from decimal import Decimal

import pytest

import config.urls  # noqa: F401  (builds the flow URLs, so nodes can reverse)
from contracts.models import Milestone, YearlyAllocation
from tests.contracts.factories import (
    ContractFactory,
    MilestoneFactory,
    hospital_group_with_support,
)
from workflows.flows import MilestoneReviewFlow

TODAY = datetime.date(2026, 3, 15)


@pytest.fixture
def contract(db):
    """An active contract 2025-2027: two axes, one line each (30,000 EUR a year), six milestones."""
    return ContractFactory(with_lines=True, active=True)


@pytest.fixture
def region(contract):
    return contract.region


@pytest.fixture
def other_contract(db):
    """A contract of a GHT in another region."""
    return ContractFactory(
        with_lines=True, active=True, hospital_group=hospital_group_with_support()
    )


def contracts_in(region, count: int) -> list:
    """Return ``count`` more active contracts with lines and milestones in ``region``."""
    return [
        ContractFactory(
            with_lines=True, active=True, hospital_group=hospital_group_with_support(region=region)
        )
        for _ in range(count)
    ]


def add_milestones(contract, count: int) -> None:
    axis = contract.axes.order_by("number").first()
    for index in range(count):
        MilestoneFactory(
            axis=axis, due_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=index * 7)
        )


def move_money(contract, *, year: int, delegated: str, consumed: str, recovered: str = "0") -> None:
    """Set the running totals of the contract's allocations of ``year`` (arrange only)."""
    YearlyAllocation.objects.filter(funding_line__axis__contract=contract, year=year).update(
        delegated_amount=Decimal(delegated),
        consumed_amount=Decimal(consumed),
        recovered_amount=Decimal(recovered),
    )


def open_review(milestone: Milestone):
    """Open the milestone's review: its « report » task becomes a pending decision."""
    return MilestoneReviewFlow.start.run(milestone=milestone)
