"""Factories of contracts, with traits for the situations tests name.

Territory factories come from ``tests/territories/factories.py``. Factories write rows
directly (arrange); the behaviour under test always goes through the services.
"""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from contracts.models import (
    Contract,
    ContractStatus,
    FundingLine,
    Milestone,
    StrategicAxis,
    YearlyAllocation,
)
from contracts.schemes import SchemeCode
from territories.access import (
    ROLE_GROUP_NAMES,
    Role,
    grant_hospital_group_scope,
    grant_national_scope,
    grant_region_scope,
)
from tests.territories.factories import (
    HospitalGroupFactory,
    HospitalGroupMembershipFactory,
    UserFactory,
)


def hospital_group_with_support(**kwargs):
    """Return a GHT whose support establishment exists (the contract's legal party)."""
    hospital_group = HospitalGroupFactory(**kwargs)
    HospitalGroupMembershipFactory(hospital_group=hospital_group, support=True)
    HospitalGroupMembershipFactory(hospital_group=hospital_group)
    return hospital_group


def user_with_role(role: Role, *, region=None, hospital_group=None, national=False, **kwargs):
    """Return a user in the group of ``role`` with the scope given."""
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
    if region is not None:
        grant_region_scope(user=user, region=region)
    if hospital_group is not None:
        grant_hospital_group_scope(user=user, hospital_group=hospital_group)
    if national:
        grant_national_scope(user=user)
    return user


class ContractFactory(DjangoModelFactory):
    """A draft contract 2025-2027 of 300,000 EUR, its GHT with a support establishment.

    ``ContractFactory(with_lines=True)`` adds two axes, each with one line (30,000 EUR a
    year) and one milestone a year (``make_ready`` then fits the envelope to them, so the
    draft can be submitted); ``signed`` / ``active`` put it in force.
    """

    class Meta:
        model = Contract
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CAT-TEST-{n:05d}")
    title = factory.Sequence(lambda n: f"Contrat d'attractivité de test {n}")
    hospital_group = factory.LazyFunction(hospital_group_with_support)
    region = factory.LazyAttribute(lambda contract: contract.hospital_group.region)
    carrier_establishment = factory.LazyAttribute(
        lambda contract: contract.hospital_group.memberships.get(role="SUPPORT").establishment
    )
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 12, 31)
    envelope_amount = Decimal("300000.00")
    status = ContractStatus.DRAFT

    class Params:
        signed = factory.Trait(
            status=ContractStatus.ACTIVE,
            signature_date=datetime.date(2024, 12, 15),
            signatories="Directrice générale de l'ARS ; directeur de l'établissement support",
        )
        active = factory.Trait(signed=True)

    @factory.post_generation
    def with_lines(self, create, extracted, **kwargs):
        if not (create and extracted):
            return
        for number in (1, 2):
            axis = StrategicAxisFactory(contract=self, number=number)
            FundingLineFactory(
                axis=axis, amounts={year: Decimal("30000.00") for year in self.years}
            )
            for year in self.years:
                MilestoneFactory(axis=axis, due_date=datetime.date(year, 6, 30))


class StrategicAxisFactory(DjangoModelFactory):
    class Meta:
        model = StrategicAxis

    contract = factory.SubFactory(ContractFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Axe stratégique {n}")


class FundingLineFactory(DjangoModelFactory):
    """A line of a new measure; ``amounts={year: Decimal}`` creates its allocations."""

    class Meta:
        model = FundingLine
        skip_postgeneration_save = True

    axis = factory.SubFactory(StrategicAxisFactory)
    code = factory.Sequence(lambda n: f"L{n}")
    scheme = SchemeCode.OTHER
    label = factory.Sequence(lambda n: f"Mesure {n}")
    beneficiary = factory.LazyAttribute(lambda line: line.axis.contract.carrier_establishment)
    details = factory.LazyFunction(dict)

    class Params:
        ipa = factory.Trait(
            scheme=SchemeCode.IPA,
            details=factory.LazyFunction(
                lambda: {"students": 1, "beneficiary_kind": "HEALTH_ESTABLISHMENT"}
            ),
        )

    @factory.post_generation
    def amounts(self, create, extracted, **kwargs):
        if create and extracted:
            for year, amount in extracted.items():
                YearlyAllocation.objects.create(
                    funding_line=self, year=year, allocated_amount=amount
                )


class YearlyAllocationFactory(DjangoModelFactory):
    class Meta:
        model = YearlyAllocation

    funding_line = factory.SubFactory(FundingLineFactory)
    year = 2025
    allocated_amount = Decimal("10000.00")


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    axis = factory.SubFactory(StrategicAxisFactory)
    title = factory.Sequence(lambda n: f"Jalon {n}")
    due_date = datetime.date(2026, 6, 30)
    indicator_label = "Professionnels recrutés"
    indicator_unit = "personnes"
    baseline_value = Decimal("0.00")
    target_value = Decimal("10.00")


def make_ready(contract: Contract) -> Contract:
    """Complete a draft so it can be submitted: envelope = its lines, one milestone at least.

    Written straight to the tables (no journal): the tests that call it are about what
    happens after the submission.
    """
    allocated = sum(
        YearlyAllocation.objects.filter(funding_line__axis__contract=contract).values_list(
            "allocated_amount", flat=True
        ),
        Decimal(0),
    )
    Contract.objects.filter(pk=contract.pk).update(envelope_amount=allocated)
    contract.envelope_amount = allocated
    if not Milestone.objects.filter(axis__contract=contract).exists():
        MilestoneFactory(axis=contract.axes.order_by("number").first(), due_date=contract.end_date)
    return contract
