from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Appels à candidatures"

    def ready(self):
        # The dossier follows the approval of the amendment that funds it.
        from . import services_funding  # noqa: F401
