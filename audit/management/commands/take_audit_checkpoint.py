"""Chain every stream's head into the journal's national chain (run periodically)."""

from django.core.management.base import BaseCommand

from audit.checkpoints import take_checkpoint


class Command(BaseCommand):
    help = (
        "Prend un point de contrôle du journal d'audit : chaîne la tête de chaque flux qui a "
        "avancé depuis le précédent. Sans effet si rien n'a bougé ; deux lancements "
        "simultanés n'en font qu'un."
    )

    def handle(self, *args, **options):
        checkpoint = take_checkpoint()
        if checkpoint is None:
            self.stdout.write("Journal vide : aucun point de contrôle.")
            return
        self.stdout.write(
            f"Point de contrôle n° {checkpoint.number} ({checkpoint.event_count} événement(s)) : "
            f"{checkpoint.hash}"
        )
