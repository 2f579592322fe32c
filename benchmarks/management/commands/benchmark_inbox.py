"""Time the inbox page with thousands of open tasks in the user's scope.

Needs the demo data set (``manage.py load_demo``). Adds ``--tasks`` processes about the
demo contract, each with one decision task assigned to ``--user``, then prints the
median and 95th percentile of the page's server time and its query count. Writes to the
database: run it on a benchmark database, never on real data (refused in production).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import reverse
from viewflow.workflow.status import STATUS

from benchmarks.builders import DECISION_NODES, create_artifacts, create_tasks, time_page
from contracts.models import Contract
from demo.loader import AUBE_SEZANNAIS_CODE


class Command(BaseCommand):
    help = "Mesure le temps de la boîte de réception avec de nombreuses tâches ouvertes."

    def add_arguments(self, parser):
        parser.add_argument("--tasks", type=int, default=5000, help="tâches à créer")
        parser.add_argument("--runs", type=int, default=30, help="mesures de la page")
        parser.add_argument("--user", default="validator", help="compte dont la boîte est mesurée")
        parser.add_argument("--preparer", default="manager2", help="auteur des dossiers")
        parser.add_argument("--page", default="inbox", choices=["inbox", "queue", "archive"])

    def handle(self, *args, **options):
        if not settings.DEMO_ACCOUNTS_ALLOWED:
            raise CommandError("Banc d'essai interdit avec ces réglages (production).")
        users = get_user_model().objects
        contract = Contract.objects.filter(hospital_group__code=AUBE_SEZANNAIS_CODE).first()
        if contract is None:
            raise CommandError("Chargez d'abord la démonstration : manage.py load_demo.")
        user = users.get(username=options["user"])
        page = options["page"]
        # Tasks of every flow; in the queue, only those the account may take.
        nodes = [
            node
            for node in DECISION_NODES
            if page != "queue" or user.has_perm(node._owner_permission)
        ]
        artifacts = create_artifacts(
            contract=contract, preparer=users.get(username=options["preparer"])
        )
        status = {"inbox": STATUS.ASSIGNED, "queue": STATUS.NEW, "archive": STATUS.DONE}
        create_tasks(
            contract=contract,
            count=options["tasks"],
            artifacts=artifacts,
            nodes=nodes,
            owner=None if page == "queue" else user,
            status=status[page],
        )
        # Fresh planner statistics, as a database in use has (PostgreSQL's autovacuum,
        # SQLite's optimize): without them the planner guesses one row per table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timing = time_page(user=user, url=reverse(f"workflow:{page}"), runs=options["runs"])
        if timing.status_code != 200:
            raise CommandError(f"La page a répondu {timing.status_code}.")
        self.stdout.write(
            f"{page} – {options['tasks']} tâches ajoutées, {timing.runs} mesures : "
            f"médiane {timing.median_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms, "
            f"{timing.queries} requêtes SQL"
        )
