"""``CompiledRead`` runs a queryset's SQL compiled once: same statement, same objects."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from contracts import services
from contracts.compiled import CompiledRead
from contracts.models import YearlyAllocation
from territories.access import Role

from .factories import ContractFactory, user_with_role

pytestmark = pytest.mark.django_db


def allocations_of(contract_id):
    return (
        YearlyAllocation.objects.filter(funding_line__axis__contract_id=contract_id)
        .select_related("funding_line__axis")
        .order_by("funding_line__code", "year")
    )


def values(allocation):
    line = allocation.funding_line
    return (
        allocation.pk,
        allocation.year,
        allocation.allocated_amount,
        line.pk,
        line.code,
        line.details,
        line.axis.number,
        line.axis.contract_id,
    )


def test_the_same_statement_and_objects_as_the_queryset(contract):
    other = ContractFactory(with_lines=True)
    read = CompiledRead(allocations_of)
    for target in (contract, other, contract):  # compiled once, run with each value
        with CaptureQueriesContext(connection) as queries:
            compiled = read(target.pk)
        with CaptureQueriesContext(connection) as expected_queries:
            expected = list(allocations_of(target.pk))

        assert [values(a) for a in compiled] == [values(a) for a in expected]
        assert compiled and all(a.funding_line.axis.contract_id == target.pk for a in compiled)
        # The related objects came with the row: no query to reach them.
        with CaptureQueriesContext(connection) as later:
            [a.funding_line.axis.number for a in compiled]
        assert len(later) == 0
        assert [q["sql"] for q in queries] == [q["sql"] for q in expected_queries]
    assert len(read._compiled) == 1


def test_get_answers_one_object_or_does_not_exist(contract):
    allocation = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).first()
    read = CompiledRead(
        lambda pk: YearlyAllocation.objects.select_related("funding_line").filter(pk=pk)
    )

    assert read.get(allocation.pk) == allocation
    assert read.get(allocation.pk).funding_line == allocation.funding_line
    with pytest.raises(YearlyAllocation.DoesNotExist):
        read.get(0)


def test_an_extra_column_comes_with_each_object_in_the_same_statement(contract):
    other = ContractFactory(with_lines=True)

    def count_of_lines(connection, compiler):
        (alias,) = (
            alias
            for alias, join in compiler.query.alias_map.items()
            if join.table_name == "contracts_fundingline"
        )
        return (
            "(SELECT COUNT(*) FROM contracts_yearlyallocation y "
            f"WHERE y.funding_line_id = {connection.ops.quote_name(alias)}.id AND y.year >= %s)",
            [2000],
        )

    read = CompiledRead(allocations_of, extra=("years_of_line", count_of_lines))
    for target in (contract, other):
        with CaptureQueriesContext(connection) as queries:
            compiled = read(target.pk)
        assert len(queries) == 1
        assert [values(a) for a in compiled] == [values(a) for a in allocations_of(target.pk)]
        assert [a.years_of_line for a in compiled] == [
            YearlyAllocation.objects.filter(funding_line=a.funding_line).count() for a in compiled
        ]


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused_as_django_does(contract):
    allocation = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).first()
    read = CompiledRead(lambda pk: YearlyAllocation.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert read.get(allocation.pk) == allocation

    with pytest.raises(TransactionManagementError):
        read(allocation.pk)


def test_an_approval_adds_each_line_to_its_own_allocation_whatever_the_number_of_lines():
    for amounts_of in ((Decimal("1234.56"), Decimal("7.89")), (Decimal("100.00"),)):
        contract = ContractFactory(with_lines=True, signed=True)
        allocations = list(
            YearlyAllocation.objects.filter(
                funding_line__axis__contract=contract, year=2025
            ).order_by("funding_line__axis__number")
        )
        amounts = dict(zip([a.pk for a in allocations], amounts_of, strict=False))
        manager = user_with_role(Role.ARS_MANAGER, region=contract.region)
        validator = user_with_role(Role.ARS_VALIDATOR, region=contract.region)
        delegation = services.prepare_credit_delegation(
            actor=manager, contract=contract, year=2025, amounts=amounts
        )
        services.approve_credit_delegation(
            actor=validator,
            delegation=delegation,
            decision_reference="DEL-1",
            decision_date=delegation.created_at.date(),
        )

        for allocation in allocations:
            allocation.refresh_from_db()
            assert allocation.delegated_amount == amounts.get(allocation.pk, Decimal("0.00"))
