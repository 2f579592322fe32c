from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self):
        from calls.actions import register as register_dossier_action
        from contracts.actions import register_contract_action
        from territories.access import sync_roles_after_migrate

        from . import scheduling  # noqa: F401  (connects the timer re-arming receiver)
        from .contract_actions import workflow_start_actions
        from .dossier_actions import dossier_actions

        post_migrate.connect(sync_roles_after_migrate, sender=self)
        register_contract_action(workflow_start_actions)
        register_dossier_action(dossier_actions)
