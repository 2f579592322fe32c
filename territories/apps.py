from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires"

    def ready(self):
        from .access import connect_rights_signals

        connect_rights_signals()
