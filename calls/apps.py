from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Appels à candidatures"

    def ready(self):
        from contracts.actions import register_line_links
        from contracts.services.lines import register_amount_owner

        from .award_links import award_line_links
        from .awards import line_amounts_owner

        register_line_links(award_line_links)
        register_amount_owner(line_amounts_owner)
        # The dossier follows the approval of the amendment that funds it.
        from . import services_funding  # noqa: F401
