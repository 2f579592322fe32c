"""A contract a step's form read under its row lock (``services.read_locked``) is taken
by the use case as locked and fresh: one read of it instead of two, and never more."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from contracts import services
from contracts.models import Contract
from contracts.services._common import _lock_contract
from workflows.forms import ContractChoiceForm

from .factories import ContractFactory

pytestmark = pytest.mark.django_db


def read_locked(contract):
    return services.read_locked(Contract.objects.filter(pk=contract.pk)).get()


def test_the_first_use_case_takes_it_as_read_later_ones_read_again(contract):
    with transaction.atomic():
        with CaptureQueriesContext(connection) as read:
            locked = read_locked(contract)
        if connection.features.has_select_for_update:
            assert "FOR UPDATE" in read[0]["sql"]
        with CaptureQueriesContext(connection) as first:
            assert _lock_contract(locked) is locked
        assert len(first) == 0
        with CaptureQueriesContext(connection) as second:
            again = _lock_contract(locked)
        assert len(second) == 1 and again is not locked and again.pk == contract.pk


def test_a_lock_from_a_finished_transaction_is_not_trusted(contract):
    with transaction.atomic():
        locked = read_locked(contract)
    Contract.objects.filter(pk=contract.pk).update(title="Changé depuis")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        fresh = _lock_contract(locked)
    assert len(queries) == 1 and fresh.title == "Changé depuis"


def test_a_lock_taken_in_a_rolled_back_savepoint_is_not_trusted(contract):
    with transaction.atomic():
        try:
            with transaction.atomic():
                locked = read_locked(contract)
                raise RuntimeError
        except RuntimeError:
            pass
        with CaptureQueriesContext(connection) as queries:
            _lock_contract(locked)
    assert len(queries) == 1


def test_the_start_form_locks_the_chosen_contract_only(contract):
    ContractFactory()  # another choice, never locked
    choices = Contract.objects.all()
    with transaction.atomic():
        form = ContractChoiceForm({"contract": contract.pk}, contracts=choices)
        with CaptureQueriesContext(connection) as cleaning:
            assert form.is_valid()
        with CaptureQueriesContext(connection) as taking:
            assert _lock_contract(form.cleaned_data["contract"]) is form.cleaned_data["contract"]
        assert len(cleaning) == 1 and len(taking) == 0
        # The form shown again lists its choices without locking them.
        with CaptureQueriesContext(connection) as rendering:
            html = str(form["contract"])
        assert str(contract.pk) in html
        assert all("FOR UPDATE" not in query["sql"] for query in rendering)


def test_a_contract_outside_the_choices_is_refused_in_french(contract):
    with transaction.atomic():
        form = ContractChoiceForm(
            {"contract": contract.pk}, contracts=Contract.objects.exclude(pk=contract.pk)
        )
        assert not form.is_valid()
    assert "Sélectionnez un choix valide" in str(form.errors["contract"])


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_form_reads_without_lock(contract):
    form = ContractChoiceForm({"contract": contract.pk}, contracts=Contract.objects.all())
    with CaptureQueriesContext(connection) as queries:
        assert form.is_valid()
    assert all("FOR UPDATE" not in query["sql"] for query in queries)
