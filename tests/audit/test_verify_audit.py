"""``verify_audit`` names the first modified, deleted, inserted or swapped event of any
stream, and a tampered checkpoint of the national chain."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from audit.checkpoints import take_checkpoint
from audit.journal import AuditAction, AuditEvent, AuditStream, record_event
from audit.models import AuditCheckpoint, AuditCheckpointEntry
from audit.verify import Problem, verify_journal
from tests.audit.builders import append_events
from tests.contracts.factories import ContractFactory

pytestmark = pytest.mark.django_db


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        verify(*args)
    return str(error.value)


@pytest.fixture
def two_contracts():
    """Contracts A and B with 3 events each, interleaved, and 2 events on rights."""
    a, b = ContractFactory(), ContractFactory()
    events = {"a": [], "b": [], "rights": []}
    for _ in range(3):
        events["a"] += append_events(1, contract=a)
        events["b"] += append_events(1, contract=b)
    for index in range(2):
        with transaction.atomic():
            events["rights"].append(
                record_event(
                    actor=None,
                    action=AuditAction.CHANGE,
                    object_type="auth.User",
                    object_id=str(index),
                    summary="Rôles modifiés",
                )
            )
    return a, b, events


class TestAnIntactJournal:
    def test_is_reported_with_its_count_streams_and_last_checkpoint(self, two_contracts):
        checkpoint = take_checkpoint()
        output = verify()
        assert "8 événement(s) vérifié(s) dans 3 flux et 1 point(s) de contrôle" in output
        assert f"dernier point de contrôle n° 1 : {checkpoint.hash}" in output

    def test_an_empty_journal_is_valid(self):
        assert "0 événement(s) vérifié(s) dans 0 flux" in verify()

    def test_is_read_in_chunks_smaller_than_the_journal(self, two_contracts):
        report = verify_journal(chunk_size=3)
        assert (report.is_valid, report.checked, report.streams) == (True, 8, 3)

    def test_numbers_each_stream_from_one(self, two_contracts):
        a, b, events = two_contracts
        assert [e.sequence for e in events["a"]] == [1, 2, 3]
        assert [e.sequence for e in events["b"]] == [1, 2, 3]
        assert {e.stream_id for e in events["a"]} == {
            AuditStream.objects.get(key=f"contract:{a.pk}").pk
        }
        assert AuditStream.objects.get(key="rights").last_sequence == 2
        assert events["b"][1].prev_hash == events["b"][0].hash


class TestATamperedStream:
    @pytest.mark.parametrize("stream", ["a", "b", "rights"])
    def test_names_a_modified_event_with_its_stream_and_number(self, two_contracts, tamper, stream):
        a, b, events = two_contracts
        target = events[stream][1]
        tamper.set(target, summary="Montant inchangé")
        label = {
            "a": f"flux du contrat {a.pk}",
            "b": f"flux du contrat {b.pk}",
            "rights": "flux des droits d'accès",
        }[stream]
        assert f"Événement n° 2 du {label} (id {target.pk}) modifié" in refused()
        problem = verify_journal().first_break
        assert (problem.problem, problem.sequence, problem.event_id) == (
            Problem.MODIFIED,
            2,
            target.pk,
        )

    def test_names_the_next_event_when_the_forger_rehashed_the_modified_one(
        self, two_contracts, tamper
    ):
        _a, b, events = two_contracts
        tamper.set(events["b"][0], reason="ajouté après coup")
        tamper.rehash_from(events["b"][0], update_head=False)
        tamper.set(events["b"][1], prev_hash="f" * 64)  # an unrehashed link is still caught
        problem = verify_journal().first_break
        assert (problem.stream, problem.sequence) == (f"contract:{b.pk}", 2)

    def test_names_a_modified_actor(self, two_contracts, tamper):
        _a, _b, events = two_contracts
        tamper.set(events["a"][2], actor_name="quelquun")
        assert "n° 3 du flux du contrat" in refused()

    def test_names_an_event_moved_to_another_stream(self, two_contracts, tamper):
        _a, b, events = two_contracts
        moved = events["a"][2]
        tamper.set(moved, stream_id=events["b"][0].stream_id, sequence=4)
        tamper.execute(
            "UPDATE audit_auditstream SET last_sequence = 4, last_hash = %s WHERE id = %s",
            [moved.hash, events["b"][0].stream_id],
        )
        # Its hash covers its stream's key: it no longer matches in B's stream.
        assert f"n° 4 du flux du contrat {b.pk} (id {moved.pk}) modifié" in refused()

    def test_names_a_deleted_event(self, two_contracts, tamper):
        _a, b, events = two_contracts
        tamper.delete(events["b"][1])
        message = refused()
        assert f"Événement n° 2 du flux du contrat {b.pk} absent (supprimé)" in message
        assert verify_journal().first_break.problem == Problem.MISSING

    def test_names_a_deleted_last_event_through_the_stream_head(self, two_contracts, tamper):
        a, _b, events = two_contracts
        tamper.delete(events["a"][2])
        assert f"n° 3 du flux du contrat {a.pk} absent (supprimé)" in refused()
        assert verify_journal().first_break.problem == Problem.HEAD_MISMATCH

    def test_names_an_event_inserted_at_the_end(self, two_contracts, tamper):
        _a, b, events = two_contracts
        last = events["b"][-1]
        tamper.execute(
            "INSERT INTO {table} (stream_id, sequence, occurred_at, actor_name, action, "
            "object_type, object_id, object_label, summary, reason, changes, prev_hash, hash) "
            "SELECT stream_id, 4, occurred_at, '', 'CHANGE', '', '', '', 'Forgé', '', changes, "
            "hash, %s FROM {table} WHERE id = %s",
            ["e" * 64, last.pk],
        )
        assert f"n° 4 du flux du contrat {b.pk}" in refused()

    def test_names_the_first_of_two_swapped_events(self, two_contracts, tamper):
        _a, b, events = two_contracts
        first, second = events["b"][0], events["b"][1]
        tamper.set(first, sequence=-1)
        tamper.set(second, sequence=1)
        tamper.set(first, sequence=2)
        assert (
            f"Événement n° 2 du flux du contrat {b.pk} (id {first.pk}) modifié ou déplacé"
            in refused()
        )

    def test_names_an_event_whose_link_was_cut(self, two_contracts, tamper):
        _a, b, events = two_contracts
        tamper.rehash_from(events["b"][1], previous="a" * 64)
        # #2 and after are self-consistent, but #2 no longer follows #1.
        message = refused()
        assert f"Événement n° 2 du flux du contrat {b.pk}" in message
        assert "hors chaîne" in message
        assert verify_journal().first_break.problem == Problem.BROKEN_LINK


class TestCheckpoints:
    def test_chain_the_heads_of_the_streams_that_moved(self, two_contracts):
        a, _b, events = two_contracts
        first = take_checkpoint()
        assert first.event_count == 8
        assert first.entries.count() == 3
        append_events(1, contract=a)
        second = take_checkpoint()
        assert (second.number, second.prev_hash) == (2, first.hash)
        (entry,) = second.entries.select_related("stream")
        assert (entry.stream.key, entry.sequence) == (f"contract:{a.pk}", 4)

    def test_taking_one_when_nothing_moved_adds_none(self, two_contracts):
        first = take_checkpoint()
        assert take_checkpoint() == first
        assert AuditCheckpoint.objects.count() == 1

    def test_an_empty_journal_has_none(self):
        assert take_checkpoint() is None

    def test_the_command_says_which_one_it_took(self, two_contracts):
        out = StringIO()
        call_command("take_audit_checkpoint", stdout=out)
        assert "Point de contrôle n° 1 (8 événement(s))" in out.getvalue()

    def test_a_modified_checkpoint_is_named(self, two_contracts, tamper):
        take_checkpoint()
        append_events(1, contract=two_contracts[0])
        take_checkpoint()
        tamper.execute("UPDATE audit_auditcheckpoint SET event_count = 7 WHERE number = 1")
        assert "Point de contrôle n° 1 modifié" in refused()
        assert verify_journal().first_break.problem == Problem.CHECKPOINT

    def test_a_modified_head_in_a_checkpoint_is_named(self, two_contracts, tamper):
        checkpoint = take_checkpoint()
        entry = AuditCheckpointEntry.objects.filter(checkpoint=checkpoint).first()
        tamper.execute(
            "UPDATE audit_auditcheckpointentry SET hash = %s WHERE id = %s", ["b" * 64, entry.pk]
        )
        assert "Point de contrôle n° 1 modifié" in refused()

    def test_a_deleted_checkpoint_is_named(self, two_contracts, tamper):
        a = two_contracts[0]
        for _ in range(3):
            append_events(1, contract=a)
            take_checkpoint()
        tamper.execute(
            "DELETE FROM audit_auditcheckpointentry WHERE checkpoint_id = "
            "(SELECT id FROM audit_auditcheckpoint WHERE number = 2)"
        )
        tamper.execute("DELETE FROM audit_auditcheckpoint WHERE number = 2")
        assert "Point de contrôle n° 2 absent (supprimé)" in refused()

    def test_a_stream_rewritten_end_to_end_is_caught_by_the_checkpoint(self, two_contracts, tamper):
        _a, b, events = two_contracts
        take_checkpoint()
        tamper.set(events["b"][1], summary="Réécrit")
        tamper.rehash_from(events["b"][1])
        message = refused()
        # The stream is self-consistent; the head checkpoint n° 1 saw is no longer in it.
        assert f"Événement n° 3 du flux du contrat {b.pk}" in message
        assert "point de contrôle n° 1" in message


class TestAnExportedCheckpoint:
    def export(self, tmp_path) -> str:
        path = tmp_path / "checkpoint.json"
        call_command("export_audit_head", "--output", str(path), stdout=StringIO())
        return str(path)

    def test_holds_the_checkpoint_and_every_stream_head(self, tmp_path, two_contracts):
        a, _b, events = two_contracts
        data = json.loads(Path(self.export(tmp_path)).read_text(encoding="utf-8"))
        checkpoint = AuditCheckpoint.objects.get()
        assert (data["checkpoint"], data["hash"]) == (1, checkpoint.hash)
        assert data["event_count"] == 8
        assert data["streams"][f"contract:{a.pk}"] == {"sequence": 3, "hash": events["a"][2].hash}
        assert len(data["streams"]) == 3
        assert len(data["date"]) == 10

    def test_keeps_every_head_after_later_checkpoints(self, tmp_path, two_contracts):
        a, b, events = two_contracts
        take_checkpoint()
        append_events(1, contract=a)
        data = json.loads(Path(self.export(tmp_path)).read_text(encoding="utf-8"))
        assert data["checkpoint"] == 2
        assert data["streams"][f"contract:{b.pk}"]["hash"] == events["b"][2].hash
        assert data["streams"][f"contract:{a.pk}"]["sequence"] == 4

    def test_is_found_unchanged_after_later_events(self, tmp_path, two_contracts):
        path = self.export(tmp_path)
        append_events(2, contract=two_contracts[1])
        assert "retrouvé inchangé" in verify("--against", path)

    def test_catches_a_journal_rewritten_with_its_checkpoints(
        self, tmp_path, two_contracts, tamper
    ):
        _a, b, events = two_contracts
        path = self.export(tmp_path)
        tamper.set(events["b"][1], summary="Réécrit")
        tamper.rehash_from(events["b"][1])
        tamper.execute("DELETE FROM audit_auditcheckpointentry")
        tamper.execute("DELETE FROM audit_auditcheckpoint")
        take_checkpoint()  # …and a new national chain over the rewritten stream
        verify()  # self-consistent…
        message = refused("--against", path)
        assert "Point de contrôle n° 1 absent ou différent de celui exporté" in message

    def test_names_the_stream_rewritten_since_the_export(self, tmp_path, two_contracts, tamper):
        _a, b, events = two_contracts
        path = self.export(tmp_path)
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["checkpoint"], data["hash"] = 0, "0" * 64  # a heads-only export
        Path(path).write_text(json.dumps(data), encoding="utf-8")
        tamper.set(events["b"][1], summary="Réécrit")
        tamper.rehash_from(events["b"][1])
        tamper.execute("DELETE FROM audit_auditcheckpointentry")
        tamper.execute("DELETE FROM audit_auditcheckpoint")
        message = refused("--against", path)
        assert f"Événement n° 3 du flux du contrat {b.pk}" in message
        assert "différent de la tête exportée" in message

    def test_an_unreadable_export_is_refused(self, tmp_path):
        path = tmp_path / "checkpoint.json"
        path.write_text("{", encoding="utf-8")
        assert "illisible" in refused("--against", str(path))


class TestOneJournalEvent:
    def test_costs_one_statement_on_postgresql_two_on_sqlite(self, is_postgres):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        contract = ContractFactory()
        expected = 1 if is_postgres else 2
        for _ in range(2):  # a new stream, then an existing one
            with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                record_event(actor=None, action=AuditAction.CHANGE, contract=contract, summary="Un")
            assert len(queries) == expected, [q["sql"] for q in queries]
        assert AuditEvent.objects.filter(contract_id=contract.pk).count() == 2
        assert verify_journal().is_valid


class TestTheStreamOfAnEvent:
    def test_is_its_contract_s_else_what_its_object_says(self):
        from types import SimpleNamespace

        from audit.journal import stream_key

        dossier = SimpleNamespace(pk=9, campaign_id=4)
        campaign = SimpleNamespace(pk=4)
        assert stream_key(contract_id=42, obj=dossier) == "contract:42"
        assert stream_key(contract_id=None, obj=campaign, object_type="calls.Campaign") == (
            "campaign:4"
        )
        assert stream_key(contract_id=None, obj=dossier, object_type="calls.Dossier") == (
            "campaign:4"
        )
        assert stream_key(contract_id=None, object_type="territories.HospitalGroup") == (
            "territories"
        )
        assert stream_key(contract_id=None, object_type="guardian.UserObjectPermission") == (
            "rights"
        )
        assert stream_key(contract_id=None, action=AuditAction.VIEW, actor_id=5) == "reader:5"
        assert stream_key(contract_id=None, object_type="viewflow.Task") == "general"

    def test_can_be_named_by_the_caller(self):
        with transaction.atomic():
            event = record_event(
                actor=None, action=AuditAction.IMPORT, summary="Import", stream="territories"
            )
        assert AuditStream.objects.get(pk=event.stream_id).key == "territories"
