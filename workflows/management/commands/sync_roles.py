from django.core.management.base import BaseCommand

from territories.access import sync_roles


class Command(BaseCommand):
    help = "Crée les groupes des rôles et leur donne exactement leurs permissions."

    def handle(self, *args, **options):
        for name, count in sync_roles().items():
            self.stdout.write(f"{name} : {count} permissions")
