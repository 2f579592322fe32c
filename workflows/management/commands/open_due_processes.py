from django.core.management.base import BaseCommand
from django.utils import timezone

from workflows.scheduling import open_consumption_closings, open_milestone_reviews


class Command(BaseCommand):
    help = (
        "Ouvre les revues de jalon arrivant à échéance et les clôtures de consommation "
        "dont la date limite est atteinte (à lancer chaque jour ou chaque minute)."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        reviews = open_milestone_reviews(today=today)
        closings = open_consumption_closings(today=today)
        self.stdout.write(f"{reviews} revue(s) de jalon, {closings} clôture(s) ouverte(s)")
