"""A contract read under its lock is not read again by the use case, in that transaction only."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract
from contracts.services import mark_locked
from contracts.services._common import _lock_contract

pytestmark = pytest.mark.django_db(transaction=True)


def lock_reads(contract) -> int:
    with CaptureQueriesContext(connection) as queries:
        locked = _lock_contract(contract)
    assert locked.pk == contract.pk
    return len(queries)


def test_the_lock_is_trusted_in_its_transaction_only(contract):
    with transaction.atomic():
        locked = mark_locked(Contract.objects.select_for_update().get(pk=contract.pk))
        assert lock_reads(locked) == 0
        assert lock_reads(Contract.objects.get(pk=contract.pk)) == 1  # not marked
    # Committed: the lock is gone, the use case locks again.
    with transaction.atomic():
        assert lock_reads(locked) == 1


def test_a_rolled_back_savepoint_forgets_the_lock_taken_in_it(contract):
    with transaction.atomic():
        try:
            with transaction.atomic():
                locked = mark_locked(Contract.objects.select_for_update().get(pk=contract.pk))
                raise RuntimeError
        except RuntimeError:
            pass
        assert lock_reads(locked) == 1


def test_outside_a_transaction_nothing_is_held(contract):
    locked = mark_locked(Contract.objects.get(pk=contract.pk))
    with transaction.atomic():
        assert lock_reads(locked) == 1
