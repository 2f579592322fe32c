"""Time every page of every role on the national data set, at one or more scales.

Each scale is a database built by ``generate_national --scale S``: name them with
``--database S=URL`` (default: the configured database for every scale, so give one
``--scale`` then). Prints, per scale, the p95 server time (Django test client, ``--runs``
requests after a warm-up) and the query count of each page, the ``EXPLAIN`` of the key
scoped queries, the growth from the smallest to the largest scale of every scoped page,
the transition ratio (``benchmarks.transition``: services and pages against a bare
viewflow flow, on the last scale's database; the larger of the two in
``transition_ratio``) and the throughput of concurrent writers journaling on different
contracts::

    manage.py benchmark_national --scale 0.1 1 \\
        --database 0.1=postgres://…/bench_01 --database 1=postgres://…/bench_1 --json out.json

Read-only on the pages; the writers' transactions are rolled back; the transition
measure commits its own region of ``BT-…`` contracts (``--transition-n 0`` skips it).
"""

import json
import threading
import time

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection, connections, transaction
from django.urls import reverse
from viewflow.workflow.models import Task

from audit.journal import AuditAction, record_event
from benchmarks.builders import time_page
from benchmarks.national import PREFIX
from benchmarks.transition import PATHS, measure_transition
from benchmarks.transition import TARGET_RATIO as TRANSITION_TARGET
from contracts.models import Contract
from territories.models import HospitalGroup, Region
from workflows.flows import FLOWS
from workflows.lists import archive_of, queue_for
from workflows.selectors import scoped_tasks

PAGE_TARGET_MS = 300
LIST_TARGET_MS = 50
LIST_TARGET_QUERIES = 12
GROWTH_TARGET = 1.5
LISTS = ("inbox", "queue", "archive")


class _Rollback(Exception):
    """Undo what the writers journaled."""


def _users():
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    region = Region.objects.filter(code__startswith=PREFIX).order_by("code").first()
    if region is None:
        raise CommandError("Pas de jeu national : manage.py generate_national --scale S.")
    group = HospitalGroup.objects.filter(region=region).order_by("code").first()
    # The first region's and GHT's people: the same scope at every scale.
    position = list(
        Region.objects.filter(code__startswith=PREFIX).order_by("code").values_list("pk", flat=True)
    ).index(region.pk)
    ght_position = list(
        HospitalGroup.objects.filter(code__startswith=PREFIX)
        .order_by("code")
        .values_list("pk", flat=True)
    ).index(group.pk)
    return (
        {
            "manager": users.get(username=f"n-manager-{2 * position}"),
            "validator": users.get(username=f"n-validator-{2 * position}"),
            "director": users.get(username=f"n-director-{ght_position}"),
            "auditor": users.get(username="n-auditor-0"),
        },
        region,
        group,
    )


def pages(contract) -> list[tuple[str, str, str]]:
    """Return (page, role, url) of every page measured."""
    pk = contract.pk
    roles = ("manager", "validator", "director", "auditor")
    ars = ("manager", "validator")
    rows = []
    for role in roles:
        rows.append(("home", role, reverse("index")))
        rows.append(("contracts", role, reverse("contracts:index")))
        rows.append(("contract", role, reverse("contracts:contract_detail", args=[pk])))
        rows.append(("progress", role, reverse("progress:contract", args=[pk])))
        rows.append(("pdf", role, reverse("progress:contract_pdf", args=[pk])))
        rows.append(("xlsx", role, reverse("progress:contract_xlsx", args=[pk])))
        rows.append(("calendar", role, reverse("progress:calendar")))
        rows.append(("api_contracts", role, "/api/v1/contracts/"))
        rows.append(("api_tasks", role, "/api/v1/tasks/"))
        rows.append(("api_milestones", role, "/api/v1/milestones/"))
        rows.append(("inbox", role, reverse("workflow:inbox")))
        rows.append(("queue", role, reverse("workflow:queue")))
        rows.append(("archive", role, reverse("workflow:archive")))
    for role in ("validator", "auditor"):
        rows.append(("overview", role, reverse("progress:overview")))
    for role in ("manager", "auditor"):
        rows.append(("audit_timeline", role, reverse("audit:timeline", args=[pk])))
        rows.append(("audit_search", role, reverse("audit:search") + "?q=avenant"))
        rows.append(("api_journal", role, f"/api/v1/journal/?contract={pk}"))
    del ars
    return rows


def explain(users, group) -> dict[str, str]:
    """Return the plans of the key scoped queries (PostgreSQL ``EXPLAIN ANALYZE``)."""
    validator, director = users["validator"], users["director"]
    # The lists read the keys of a page first, then its rows by key (``page_rows``): the
    # keys' query is the one that follows the scope.
    queries = {
        "queue (validator)": queue_for(validator, FLOWS).order_by("-created").values("pk")[:50],
        "inbox (director)": scoped_tasks(
            director, Task.objects.filter(owner=director, status="ASSIGNED")
        )
        .order_by("-created")
        .values("pk")[:50],
        "archive (validator)": scoped_tasks(validator, archive_of(validator, FLOWS))
        .order_by("-created")
        .values("pk")[:50],
        "contracts (director)": Contract.objects.filter(hospital_group=group).order_by("pk")[:50],
    }
    plans = {}
    for name, queryset in queries.items():
        try:
            plans[name] = queryset.explain(analyze=connection.vendor == "postgresql")
        except Exception as error:  # noqa: BLE001 - a plan that cannot be read is reported
            plans[name] = f"(EXPLAIN impossible : {error})"
    return plans


def measure_writers(threads: int, events: int) -> float:
    """Return the events per second of ``threads`` writers on different contracts.

    Each thread journals ``events`` changes, one transaction each, on a contract of its
    own; all start together. Everything is rolled back at the end of each transaction.
    """
    contract_ids = list(
        Contract.objects.filter(reference__startswith=PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)[:threads]
    )
    barrier = threading.Barrier(len(contract_ids))
    errors = []

    def write(contract_id):
        try:
            contract = Contract.objects.get(pk=contract_id)
            barrier.wait()
            for number in range(events):
                try:
                    with transaction.atomic():
                        record_event(
                            actor=None,
                            action=AuditAction.CHANGE,
                            obj=contract,
                            summary=f"Écriture concurrente {number}",
                        )
                        raise _Rollback
                except _Rollback:
                    pass
        except Exception as error:  # noqa: BLE001 - reported after the run
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=(pk,)) for pk in contract_ids]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if errors:
        raise CommandError(f"Écrivain en échec : {errors[0]}")
    return len(contract_ids) * events / seconds


class Command(BaseCommand):
    help = "Mesure chaque page de chaque rôle sur le jeu national, à une ou plusieurs échelles."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, nargs="+", default=[1.0])
        parser.add_argument(
            "--database",
            action="append",
            default=[],
            help="ÉCHELLE=URL de la base construite à cette échelle (sinon la base configurée)",
        )
        parser.add_argument(
            "--runs",
            type=int,
            default=60,
            # 20 made the p95 the second slowest request: one stray spike decided a target.
            help="requêtes mesurées par page (p95 : la 57e des 60 par défaut)",
        )
        parser.add_argument("--only", nargs="*", default=None, help="pages à mesurer (noms)")
        parser.add_argument("--roles", nargs="*", default=None, help="rôles à mesurer")
        parser.add_argument("--writers", type=int, default=4, help="écrivains concurrents")
        parser.add_argument("--json", dest="json_path", default=None)
        parser.add_argument("--no-explain", action="store_true")
        parser.add_argument(
            "--transition-n",
            type=int,
            default=30,
            help="processus par chemin pour le ratio de transition (0 : ne pas le mesurer)",
        )

    def handle(self, *args, scale, database, runs, only, writers, json_path, roles, **options):
        if not settings.DEMO_ACCOUNTS_ALLOWED:
            raise CommandError("Banc d'essai interdit avec ces réglages (production).")
        urls = dict(item.split("=", 1) for item in database)
        results = {}
        for size in scale:
            url = urls.get(f"{size:g}")
            if url is not None:
                self._switch(url)
            results[size] = self.run_scale(
                size, runs, only, roles, writers, not options["no_explain"]
            )
        report = {"scales": {f"{size:g}": data for size, data in results.items()}}
        largest = results[max(results)]
        report["pages"] = largest["pages"]
        if len(results) > 1:
            report["growth"] = self.growth(results[min(results)], largest)
        if options["transition_n"]:
            transition = self.transition(options["transition_n"])
            report["transition_ratio"] = transition["ratio"]
            report["transition"] = transition
        else:
            report["transition_ratio"] = None
        report["writers_events_per_s"] = largest.get("writers")
        self.verdict(largest["pages"], report.get("growth", {}), report.get("transition"))
        if json_path:
            with open(json_path, "w", encoding="utf-8") as out:
                json.dump(report, out, indent=2, ensure_ascii=False)
            self.stdout.write(f"JSON écrit : {json_path}")

    def _switch(self, url: str) -> None:
        connections["default"].close()
        config = dj_database_url.parse(url)
        connections["default"].settings_dict.update(
            {key: value for key, value in config.items() if key in ("NAME", "HOST", "PORT", "USER")}
        )
        close_old_connections()

    def run_scale(self, size, runs, only, roles, writers, with_explain) -> dict:
        users, region, group = _users()
        contract = Contract.objects.filter(hospital_group=group).order_by("pk").first()
        self.stdout.write(
            f"\n== Échelle {size:g} ({connection.settings_dict['NAME']}) : "
            f"{Contract.objects.count()} contrats, {Task.objects.count()} tâches ; "
            f"région {region.code}, GHT {group.code}, contrat {contract.reference}"
        )
        self.stdout.write(f"{'page':<28}{'p50 ms':>9}{'p95 ms':>9}{'requêtes':>10}{'code':>6}")
        measured = {}
        for page, role, url in pages(contract):
            if (only and page not in only) or (roles and role not in roles):
                continue
            timing = time_page(user=users[role], url=url, runs=runs)
            name = f"{page}/{role}"
            measured[name] = {
                "p95_ms": round(timing.p95_ms, 1),
                "p50_ms": round(timing.median_ms, 1),
                "queries": timing.queries,
                "status": timing.status_code,
            }
            self.stdout.write(
                f"{name:<28}{timing.median_ms:>9.1f}{timing.p95_ms:>9.1f}"
                f"{timing.queries:>10}{timing.status_code:>6}"
            )
        data = {"pages": measured}
        if with_explain:
            for name, plan in explain(users, group).items():
                self.stdout.write(f"\nEXPLAIN {name} :\n{plan}")
        if writers and connection.vendor == "postgresql":
            data["writers"] = round(measure_writers(writers, 50), 1)
            self.stdout.write(
                f"\n{writers} écrivains concurrents (contrats distincts) : "
                f"{data['writers']} événements/s"
            )
        return data

    def growth(self, small: dict, large: dict) -> dict:
        self.stdout.write(f"\n{'croissance (p95)':<28}{'petit':>9}{'grand':>9}{'×':>7}")
        ratios = {}
        for name, figures in large["pages"].items():
            if name not in small["pages"] or name.endswith("/auditor"):
                continue  # the auditor's scope is the country: it grows with it
            before = max(small["pages"][name]["p95_ms"], 1.0)
            ratios[name] = round(figures["p95_ms"] / before, 2)
            self.stdout.write(
                f"{name:<28}{before:>9.1f}{figures['p95_ms']:>9.1f}{ratios[name]:>7.2f}"
            )
        return ratios

    def transition(self, n: int):
        """Return the transition ratio of ``benchmarks.transition``, services and pages paths.

        Measured on the last scale's database, after the pages: it commits its own region,
        GHT and contracts (``BT-…``), as ``benchmark_transition`` does, because commits are
        part of what it times; the national rows are not touched.
        """
        results = measure_transition(n=n)
        self.stdout.write(
            f"\n{'transition':<10} {'produit ms':>11} {'requêtes':>9} "
            f"{'nu ms':>8} {'requêtes':>9} {'ratio':>6} {'apparié':>8}"
        )
        for path, figures in results.items():
            self.stdout.write(
                f"{path:<10} {figures['ms']:>11.2f} {figures['queries']:>9} "
                f"{figures['bare_ms']:>8.2f} {figures['bare_queries']:>9} {figures['ratio']:>6.2f}"
                f" {figures['paired_ratio']:>8.2f}"
            )
        return {
            "ratio": max(figures["ratio"] for figures in results.values()),
            **results,
        }

    def verdict(self, pages_: dict, growth: dict, transition: dict | None = None) -> None:
        misses = []
        for name, figures in pages_.items():
            page = name.split("/")[0]
            limit = LIST_TARGET_MS if page in LISTS else PAGE_TARGET_MS
            if figures["status"] != 200:
                misses.append(f"{name} a répondu {figures['status']}")
            if figures["p95_ms"] > limit:
                misses.append(f"{name} p95 {figures['p95_ms']} > {limit} ms")
            if page in LISTS and figures["queries"] > LIST_TARGET_QUERIES:
                misses.append(f"{name} {figures['queries']} requêtes > {LIST_TARGET_QUERIES}")
        for name, ratio in growth.items():
            if ratio > GROWTH_TARGET:
                misses.append(f"{name} croissance ×{ratio} > ×{GROWTH_TARGET}")
        for path in PATHS:
            figures = (transition or {}).get(path)
            if figures and figures["ratio"] > TRANSITION_TARGET:
                misses.append(f"transition ({path}) ×{figures['ratio']:.2f} > ×{TRANSITION_TARGET}")
        self.stdout.write("\nObjectifs : " + ("atteints." if not misses else "MANQUÉS :"))
        for miss in misses:
            self.stdout.write(f"  - {miss}")
