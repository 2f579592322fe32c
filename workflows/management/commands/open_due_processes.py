from django.core.management.base import BaseCommand
from django.utils import timezone

from workflows.scheduling import (
    open_consumption_closings,
    open_dossier_checks,
    open_milestone_reviews,
)


class Command(BaseCommand):
    help = (
        "Ouvre les revues de jalon arrivant à échéance, les clôtures de consommation "
        "dont la date limite est atteinte et la vérification des dossiers de candidature "
        "des campagnes closes (à lancer chaque jour ou chaque minute)."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        reviews = open_milestone_reviews(today=today)
        closings = open_consumption_closings(today=today)
        checks = open_dossier_checks(now=timezone.now())
        self.stdout.write(
            f"{reviews} revue(s) de jalon, {closings} clôture(s) ouverte(s), "
            f"{checks} vérification(s) de dossier ouverte(s)"
        )
