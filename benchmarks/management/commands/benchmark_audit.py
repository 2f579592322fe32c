"""Measure the audit trail: verification speed of the streams and journaling overhead.

Writes into the configured database: run it on a scratch database, e.g.
``DATABASE_URL=sqlite:////tmp/bench.sqlite3 manage.py migrate`` then
``DATABASE_URL=sqlite:////tmp/bench.sqlite3 manage.py benchmark_audit --events 2000000``.
The journal is append-only (events can never be deleted), so the command refuses a
database whose journal is not empty unless ``--scratch`` says it is a throwaway one.
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from audit.checkpoints import take_checkpoint
from audit.journal import AuditAction, AuditEvent, record_event
from audit.verify import verify_journal
from benchmarks.journal_writer import bulk_stream_writer
from contracts import services
from contracts.models import Contract
from demo.loader import load_demo


class Rollback(Exception):
    """Leave the overhead measurement's writes out of the database."""


class Command(BaseCommand):
    help = (
        "Construit N événements valides répartis sur S flux puis chronomètre verify_audit ; "
        "mesure ensuite le surcoût de la journalisation sur un appel de service. "
        "À lancer sur une base jetable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=100_000)
        parser.add_argument("--streams", type=int, default=2_000, help="Flux (contrats)")
        parser.add_argument("--rounds", type=int, default=200, help="Appels pour le surcoût")
        parser.add_argument(
            "--scratch",
            action="store_true",
            help="La base est jetable : ajouter à un journal déjà rempli",
        )
        parser.add_argument("--skip-overhead", action="store_true")

    def handle(self, *args, events, streams, rounds, scratch, skip_overhead, **options):
        if AuditEvent.objects.exists() and not scratch:
            raise CommandError(
                "Le journal n'est pas vide : lancez ce banc sur une base jetable "
                "(--scratch pour confirmer qu'elle l'est)."
            )
        if events > 0:
            self.build_streams(events, streams)
            self.time_checkpoint()
            self.time_verification()
        if not skip_overhead:
            self.measure_overhead(rounds)

    def build_streams(self, count: int, stream_count: int) -> None:
        """Append ``count`` valid events, dealt round-robin over ``stream_count`` new streams,
        hashed in Python and inserted in raw batches (as ``record_event`` would chain them)."""
        started = time.perf_counter()
        moment = timezone.now() - timedelta(seconds=count)
        run = int(time.time())
        keys = [f"banc:{run}:{index}" for index in range(stream_count)]
        with bulk_stream_writer() as writer:
            writer.open(keys)
            for index in range(count):
                writer.append(
                    keys[index % stream_count],
                    occurred_at=moment + timedelta(seconds=index, microseconds=index % 1_000_000),
                    actor_id=None,
                    actor_name="banc",
                    action=AuditAction.CHANGE.value,
                    contract_id=None,
                    object_type="contracts.FundingLine",
                    object_id=str(index % 997),
                    object_label=f"Ligne {index % 997}",
                    summary="Montant modifié (banc d'essai)",
                    reason="",
                    changes={"allocated_amount": {"before": "1000.00", "after": f"{index}.00"}},
                )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Journal construit : {count} événements sur {stream_count} flux en {seconds:.1f} s"
        )

    def time_checkpoint(self) -> None:
        started = time.perf_counter()
        checkpoint = take_checkpoint()
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Point de contrôle n° {checkpoint.number} ({checkpoint.entries.count()} flux) "
            f"en {seconds:.2f} s"
        )

    def time_verification(self) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = verify_journal()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if not report.is_valid:
            raise CommandError(report.first_break.message)
        rate = f"{report.checked / seconds:,.0f}".replace(",", " ")
        self.stdout.write(
            f"Vérification : {report.checked} événements, {report.streams} flux, "
            f"{report.checkpoints} point(s) de contrôle en {seconds:.1f} s ({rate} événements/s ; "
            f"dont {cpu:.1f} s de calcul de ce processus, le reste à attendre la base "
            "ou un processeur)"
        )

    def measure_overhead(self, rounds: int) -> None:
        """Time submit + send back of a contract, and the journal appends it makes.

        The journal's share is measured, not patched out: the same number of events is
        appended alone, and that time is taken off the service calls' time.
        """
        try:
            with transaction.atomic():
                demo = load_demo()
                contract: Contract = demo["draft_contract"]
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
