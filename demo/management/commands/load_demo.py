from django.core.management.base import BaseCommand, CommandError

from demo.loader import DemoRefused, load_demo


class Command(BaseCommand):
    help = "Charge le jeu de démonstration (idempotent : une seconde exécution ne change rien)."

    def handle(self, *args, **options):
        try:
            result = load_demo()
        except DemoRefused as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Démonstration prête : {result['region']}, {result['hospital_group']} "
                f"(contrat signé {result['contract'].reference}), "
                f"{result['second_hospital_group']} (brouillon "
                f"{result['draft_contract'].reference}), {len(result['users'])} comptes."
            )
        )
