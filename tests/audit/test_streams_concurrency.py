"""No global hot row: writers on two contracts never wait for each other, writers on one
stream never fork it, and two checkpoints taken at once never fork the national chain
(PostgreSQL: SQLite has one writer at a time by design)."""

import threading

import pytest
from django.db import connection, transaction

from audit.checkpoints import take_checkpoint
from audit.journal import AuditAction, AuditEvent, AuditStream, record_event
from audit.models import AuditCheckpoint
from audit.verify import verify_journal
from tests.contracts.factories import ContractFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 20  # seconds: a bound for a deadlock, never a pause


def journal(contract, summary: str = "Montant modifié") -> AuditEvent:
    return record_event(
        actor=None,
        action=AuditAction.CHANGE,
        contract=contract,
        summary=summary,
        changes={"amount": {"before": "1.00", "after": "2.00"}},
    )


def run(target, *args):
    """Start ``target`` in a thread with its own connection, closed at the end."""
    errors = []

    def body():
        try:
            target(*args)
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, errors


def waiting_on_a_lock(count: int) -> bool:
    """Return whether ``count`` other sessions wait for a row lock in this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] >= count


class TestTwoContracts:
    def test_a_write_on_b_completes_while_a_transaction_holds_the_head_of_a(self):
        a, b = ContractFactory(), ContractFactory()
        with transaction.atomic():  # both streams exist: the holder locks a row, not a slot
            journal(a, "Avant")
            journal(b, "Avant")
        a_held, b_done, release = threading.Event(), threading.Event(), threading.Event()
        seen = {}

        def hold_a():
            with transaction.atomic():
                journal(a, "Écrit par le premier, non validé")
                a_held.set()
                # The test reads B's outcome while this transaction still holds A's head.
                seen["b_done_while_a_held"] = b_done.wait(WAIT)
                release.wait(WAIT)

        def write_b():
            assert a_held.wait(WAIT)
            with transaction.atomic():
                seen["b"] = journal(b, "Écrit pendant que A est tenu")
            b_done.set()

        holder, holder_errors = run(hold_a)
        writer, writer_errors = run(write_b)
        writer.join(WAIT)
        finished_before_release = not writer.is_alive()
        release.set()
        holder.join(WAIT)
        writer.join(WAIT)
        assert not holder_errors and not writer_errors, holder_errors + writer_errors
        assert finished_before_release
        assert seen["b_done_while_a_held"]
        assert seen["b"].sequence == 2
        assert verify_journal().is_valid

    def test_a_second_write_on_a_waits_for_the_holder_of_a(self):
        """The counterpart: the lock is real, it is just not shared between contracts."""
        a = ContractFactory()
        with transaction.atomic():
            journal(a, "Avant")
        a_held, release = threading.Event(), threading.Event()
        order = []

        def hold_a():
            with transaction.atomic():
                journal(a, "Premier")
                a_held.set()
                release.wait(WAIT)
                order.append("holder commits")

        def write_a():
            assert a_held.wait(WAIT)
            with transaction.atomic():
                journal(a, "Second")
            order.append("second written")

        holder, holder_errors = run(hold_a)
        second, second_errors = run(write_a)
        assert a_held.wait(WAIT)
        for _ in range(10_000):  # until the second writer is seen queued on A's head
            if waiting_on_a_lock(1):
                break
        else:
            pytest.fail("the second writer on A never waited for A's head")
        assert second.is_alive()
        release.set()
        holder.join(WAIT)
        second.join(WAIT)
        assert not holder_errors and not second_errors
        assert order == ["holder commits", "second written"]
        sequences = AuditEvent.objects.filter(contract_id=a.pk).order_by("id")
        assert [e.sequence for e in sequences] == [1, 2, 3]


class TestOneStream:
    def test_concurrent_writers_never_fork_it(self):
        contract = ContractFactory()
        writers, rounds = 4, 15
        barrier = threading.Barrier(writers)

        def write():
            barrier.wait(WAIT)
            for index in range(rounds):
                with transaction.atomic():
                    journal(contract, f"Écriture {index}")

        threads = [run(write) for _ in range(writers)]
        for thread, _errors in threads:
            thread.join(WAIT * 3)
        assert not [error for _thread, errors in threads for error in errors]
        events = list(AuditEvent.objects.filter(contract_id=contract.pk).order_by("sequence"))
        assert [e.sequence for e in events] == list(range(1, writers * rounds + 1))
        assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:], strict=False))
        head = AuditStream.objects.get(key=f"contract:{contract.pk}")
        assert (head.last_sequence, head.last_hash) == (events[-1].sequence, events[-1].hash)
        assert verify_journal().is_valid

    def test_first_writers_of_a_new_stream_create_it_once(self):
        contract = ContractFactory()
        writers = 4
        barrier = threading.Barrier(writers)

        def write():
            barrier.wait(WAIT)
            with transaction.atomic():
                journal(contract)

        threads = [run(write) for _ in range(writers)]
        for thread, _errors in threads:
            thread.join(WAIT)
        assert not [error for _thread, errors in threads for error in errors]
        assert AuditStream.objects.filter(key=f"contract:{contract.pk}").count() == 1
        assert verify_journal().is_valid


class TestTwoCheckpointsAtOnce:
    def test_never_fork_the_national_chain(self):
        a, b = ContractFactory(), ContractFactory()
        with transaction.atomic():
            journal(a)
            journal(b)
        takers = 3
        barrier = threading.Barrier(takers)
        taken = []

        def take():
            barrier.wait(WAIT)
            taken.append(take_checkpoint().number)

        threads = [run(take) for _ in range(takers)]
        for thread, _errors in threads:
            thread.join(WAIT)
        assert not [error for _thread, errors in threads for error in errors]
        assert taken == [1, 1, 1]
        assert AuditCheckpoint.objects.count() == 1
        report = verify_journal()
        assert report.is_valid and report.checkpoints == 1
