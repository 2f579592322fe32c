"""``verify_audit`` names the first modified, deleted, inserted or swapped event."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.journal import AuditEvent, compute_hash
from audit.verify import Problem, verify_chain
from tests.audit.builders import append_events

pytestmark = pytest.mark.django_db


def verify(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        verify(*args)
    return str(error.value)


class TestAnIntactChain:
    def test_is_reported_with_its_count_and_head_hash(self):
        events = append_events(5)
        output = verify()
        assert "5 événement(s) vérifié(s)" in output
        assert f"tête n° 5 : {events[-1].hash}" in output

    def test_an_empty_journal_is_valid(self):
        assert "0 événement(s) vérifié(s)" in verify()

    def test_is_read_in_chunks_smaller_than_the_chain(self):
        append_events(7)
        report = verify_chain(chunk_size=2)
        assert (report.is_valid, report.checked, report.last_sequence) == (True, 7, 7)


class TestATamperedChain:
    def test_names_a_modified_event(self, tamper):
        append_events(5)
        tamper.set(3, summary="Montant inchangé")
        assert "n° 3 modifié" in refused()
        assert verify_chain().first_break.problem == Problem.MODIFIED

    def test_names_the_next_event_when_the_forger_rehashed_the_modified_one(self, tamper):
        append_events(5)
        tamper.set(3, reason="ajouté après coup")
        tamper.rehash_from(3, update_head=False)
        tamper.set(4, prev_hash="f" * 64)  # an unrehashed link is still caught
        assert verify_chain().first_break.sequence == 4

    def test_names_a_modified_actor_or_date(self, tamper):
        append_events(3)
        tamper.set(2, actor_name="quelquun")
        assert "n° 2 modifié" in refused()

    def test_names_a_deleted_event(self, tamper):
        append_events(5)
        tamper.delete(3)
        message = refused()
        assert "n° 3 absent (supprimé)" in message
        assert verify_chain().first_break.problem == Problem.MISSING

    def test_names_a_deleted_last_event_through_the_chain_head(self, tamper):
        append_events(5)
        tamper.delete(5)
        assert "n° 5 absent (supprimé)" in refused()
        assert verify_chain().first_break.problem == Problem.HEAD_MISMATCH

    def test_names_an_event_inserted_at_the_end(self, tamper):
        events = append_events(3)
        forged = {
            "sequence": 4,
            "occurred_at": events[-1].occurred_at,
            "actor_id": None,
            "actor_name": "",
            "action": "CHANGE",
            "contract_id": None,
            "object_type": "",
            "object_id": "",
            "object_label": "",
            "summary": "Événement forgé",
            "reason": "",
            "changes": {},
            "prev_hash": events[-1].hash,
        }
        AuditEvent.objects.bulk_create([AuditEvent(**forged, hash=compute_hash(**forged))])
        assert "n° 4 ajouté hors du journal" in refused()

    def test_names_an_event_inserted_in_the_middle(self, tamper):
        events = append_events(4)
        for sequence in (4, 3):
            tamper.renumber(sequence, sequence + 1)
        forged = {
            "sequence": 3,
            "occurred_at": events[1].occurred_at,
            "actor_id": None,
            "actor_name": "",
            "action": "CHANGE",
            "contract_id": None,
            "object_type": "",
            "object_id": "",
            "object_label": "",
            "summary": "Événement forgé",
            "reason": "",
            "changes": {},
            "prev_hash": events[1].hash,
        }
        AuditEvent.objects.bulk_create([AuditEvent(**forged, hash=compute_hash(**forged))])
        # The forged event itself is well formed: the first one it displaced is named.
        assert "n° 4 modifié ou déplacé" in refused()

    def test_names_the_first_of_two_swapped_events(self, tamper):
        append_events(5)
        tamper.renumber(2, -2)
        tamper.renumber(3, 2)
        tamper.renumber(-2, 3)
        assert "n° 2 modifié ou déplacé" in refused()

    def test_names_an_event_whose_link_was_cut(self, tamper):
        append_events(4)
        tamper.rehash_from(3, previous="a" * 64)
        # #3 and after are self-consistent, but #3 no longer follows #2.
        message = refused()
        assert "n° 3 hors chaîne" in message
        assert verify_chain().first_break.problem == Problem.BROKEN_LINK


class TestAnExportedHead:
    def export(self, tmp_path) -> str:
        path = tmp_path / "head.json"
        call_command("export_audit_head", "--output", str(path), stdout=None)
        return str(path)

    def test_holds_the_day_the_last_sequence_and_hash_and_the_count(self, tmp_path):
        events = append_events(3)
        data = json.loads(Path(self.export(tmp_path)).read_text(encoding="utf-8"))
        assert data["last_sequence"] == 3
        assert data["last_hash"] == events[-1].hash
        assert data["count"] == 3
        assert len(data["date"]) == 10

    def test_is_found_unchanged_after_later_events(self, tmp_path):
        append_events(3)
        path = self.export(tmp_path)
        append_events(2)
        assert "retrouvée inchangée" in verify("--against", path)

    def test_catches_a_chain_rewritten_end_to_end_since_the_export(self, tmp_path, tamper):
        append_events(3)
        path = self.export(tmp_path)
        append_events(2)
        tamper.set(2, summary="Réécrit")
        tamper.rehash_from(2)
        verify()  # the rewritten chain is self-consistent…
        assert "n° 3 différent de la tête exportée" in refused("--against", path)

    def test_catches_the_exported_event_deleted_with_everything_after(self, tmp_path, tamper):
        append_events(3)
        path = self.export(tmp_path)
        tamper.delete(3)
        tamper.execute(
            "UPDATE audit_auditchainhead SET last_sequence = 2, last_hash = "
            "(SELECT hash FROM {table} WHERE sequence = 2) WHERE id = 1"
        )
        assert "absent du journal" in refused("--against", path)

    def test_an_unreadable_export_is_refused(self, tmp_path):
        path = tmp_path / "head.json"
        path.write_text("{", encoding="utf-8")
        assert "illisible" in refused("--against", str(path))
