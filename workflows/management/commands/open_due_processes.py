from django.core.management.base import BaseCommand

from workflows.scheduling import open_due_processes


class Command(BaseCommand):
    help = (
        "Ouvre les revues de jalon arrivant à échéance, les clôtures de consommation "
        "dont la date limite est atteinte et la vérification des dossiers de candidature "
        "des campagnes closes (le planificateur le fait chaque minute)."
    )

    def handle(self, *args, **options):
        opened = open_due_processes()
        self.stdout.write(
            f"{opened['reviews']} revue(s) de jalon, {opened['closings']} clôture(s) ouverte(s), "
            f"{opened['checks']} vérification(s) de dossier ouverte(s)"
        )
