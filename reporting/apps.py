from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Suivi"

    def ready(self):
        from contracts.actions import register_contract_action

        from .actions import reading_actions

        register_contract_action(reading_actions)
