"""One step's journal reads (who drafted a decision): asked once per step, never stale."""

import pytest
from django.db import transaction

from audit.journal import AuditAction, drafting_actors, one_step_reads, record_event

pytestmark = pytest.mark.django_db


def test_a_step_reads_the_drafters_once_and_again_after_a_drafting_event():
    reads = []

    def read():
        reads.append(1)
        return [7]

    with transaction.atomic(), one_step_reads():
        assert drafting_actors(("contracts.CreditDelegation", 1), read) == {7}
        assert drafting_actors(("contracts.CreditDelegation", 1), read) == {7}
        assert len(reads) == 1
        # Taking a task is no drafting: the answer stands.
        record_event(
            actor=None, action=AuditAction.ASSIGN, summary="Prise en charge", object_type="t"
        )
        drafting_actors(("contracts.CreditDelegation", 1), read)
        assert len(reads) == 1
        # A change written meanwhile: the next check reads the journal again.
        record_event(
            actor=None,
            action=AuditAction.CHANGE,
            summary="Montants modifiés",
            object_type="contracts.CreditDelegation",
            object_id="1",
        )
        drafting_actors(("contracts.CreditDelegation", 1), read)
        assert len(reads) == 2
    # Outside a step, every check reads.
    drafting_actors(("contracts.CreditDelegation", 1), read)
    drafting_actors(("contracts.CreditDelegation", 1), read)
    assert len(reads) == 4
