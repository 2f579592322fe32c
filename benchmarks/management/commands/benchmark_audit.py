"""Measure the audit trail: chain verification speed and journaling overhead.

Writes into the configured database: run it on a scratch database, e.g.
``DATABASE_URL=sqlite:////tmp/bench.sqlite3 manage.py migrate`` then
``DATABASE_URL=sqlite:////tmp/bench.sqlite3 manage.py benchmark_audit --events 2000000``.
The journal is append-only (events can never be deleted), so the command refuses a
database whose journal is not empty unless ``--scratch`` says it is a throwaway one.
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit.journal import (
    GENESIS_HASH,
    HASHED_FIELDS,
    AuditAction,
    AuditChainHead,
    AuditEvent,
    hash_values,
    record_event,
)
from audit.verify import verify_chain
from contracts import services
from contracts.models import Contract
from demo.loader import load_demo

BATCH_SIZE = 5_000


class Rollback(Exception):
    """Leave the overhead measurement's writes out of the database."""


class Command(BaseCommand):
    help = (
        "Construit une chaîne valide de N événements puis chronomètre verify_audit ; "
        "mesure ensuite le surcoût de la journalisation sur un appel de service. "
        "À lancer sur une base jetable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=100_000)
        parser.add_argument("--rounds", type=int, default=200, help="Appels pour le surcoût")
        parser.add_argument(
            "--scratch",
            action="store_true",
            help="La base est jetable : ajouter à un journal déjà rempli",
        )
        parser.add_argument("--skip-overhead", action="store_true")

    def handle(self, *args, events, rounds, scratch, skip_overhead, **options):
        if AuditEvent.objects.exists() and not scratch:
            raise CommandError(
                "Le journal n'est pas vide : lancez ce banc sur une base jetable "
                "(--scratch pour confirmer qu'elle l'est)."
            )
        if events > 0:
            self.build_chain(events)
            self.time_verification()
        if not skip_overhead:
            self.measure_overhead(rounds)

    def build_chain(self, count: int) -> None:
        """Append ``count`` valid events, hashed in Python and inserted in raw batches."""
        started = time.perf_counter()
        names = [name for name in HASHED_FIELDS if name != "prev_hash"] + ["prev_hash", "hash"]
        columns = ", ".join(
            connection.ops.quote_name(AuditEvent._meta.get_field(name).column) for name in names
        )
        sql = (
            f"INSERT INTO {connection.ops.quote_name(AuditEvent._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(names))})"
        )
        changes_field = AuditEvent._meta.get_field("changes")
        adapt_moment = connection.ops.adapt_datetimefield_value
        moment = timezone.now() - timedelta(seconds=count)
        with transaction.atomic(), connection.cursor() as cursor:
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
            sequence, prev_hash = head.last_sequence, head.last_hash or GENESIS_HASH
            batch = []
            for index in range(count):
                sequence += 1
                at = moment + timedelta(seconds=index, microseconds=index % 1_000_000)
                changes = {"allocated_amount": {"before": "1000.00", "after": f"{index}.00"}}
                values = [
                    sequence,
                    at,
                    None,
                    "banc",
                    AuditAction.CHANGE.value,
                    None,
                    "contracts.FundingLine",
                    str(index % 997),
                    f"Ligne {index % 997}",
                    "Montant modifié (banc d'essai)",
                    "",
                    changes,
                    prev_hash,
                ]
                event_hash = hash_values(values)
                values[1] = adapt_moment(at)
                values[11] = changes_field.get_db_prep_save(changes, connection)
                values.append(event_hash)
                batch.append(values)
                prev_hash = event_hash
                if len(batch) == BATCH_SIZE:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
            AuditChainHead.objects.filter(pk=1).update(last_sequence=sequence, last_hash=prev_hash)
        seconds = time.perf_counter() - started
        self.stdout.write(f"Chaîne construite : {count} événements en {seconds:.1f} s")

    def time_verification(self) -> None:
        started = time.perf_counter()
        report = verify_chain()
        seconds = time.perf_counter() - started
        if not report.is_valid:
            raise CommandError(report.first_break.message)
        self.stdout.write(
            f"Vérification : {report.checked} événements en {seconds:.1f} s "
            f"({report.checked / seconds:,.0f} événements/s)".replace(",", " ")
        )

    def measure_overhead(self, rounds: int) -> None:
        """Time submit + send back of a contract, and the journal appends it makes.

        The journal's share is measured, not patched out: the same number of events is
        appended alone, and that time is taken off the service calls' time.
        """
        try:
            with transaction.atomic():
                demo = load_demo()
                contract: Contract = demo["contract"]
                users = {user.username: user for user in demo["users"]}
                manager, validator = users["manager"], users["validator"]

                def cycle():
                    services.submit_contract(actor=manager, contract=contract)
                    services.return_contract(actor=validator, contract=contract, reason="Banc")

                def journal_only():
                    for _ in range(2):
                        record_event(
                            actor=manager,
                            action=AuditAction.TRANSITION,
                            obj=contract,
                            summary="Banc d'essai",
                            changes={"status": {"before": "DRAFT", "after": "SUBMITTED"}},
                        )

                for _ in range(10):  # warm-up
                    cycle()
                    journal_only()
                timings = {"service": 0.0, "journal": 0.0}
                # Alternate both so that drift (cache, WAL growth) hits them alike.
                for _ in range(rounds):
                    started = time.perf_counter()
                    cycle()
                    timings["service"] += time.perf_counter() - started
                    started = time.perf_counter()
                    journal_only()
                    timings["journal"] += time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
        calls = rounds * 2
        journaled = timings["service"] / calls * 1000
        bare = journaled - timings["journal"] / calls * 1000
        self.stdout.write(
            f"Surcoût du journal : {journaled:.2f} ms par appel de service journalisé, dont "
            f"{journaled - bare:.2f} ms d'écriture au journal, soit "
            f"{(journaled - bare) / bare * 100:+.1f} % ({calls} appels)"
        )
