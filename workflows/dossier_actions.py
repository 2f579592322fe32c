"""The dossier page's buttons: the open step of its process the user may act on."""

from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from calls.actions import DossierAction

from .flows import CALL_FLOWS
from .selectors import can_see_dossiers
from .steps import OPEN_STATUSES


def dossier_actions(user, dossier) -> list[DossierAction]:
    """Return « Vérifier les pièces », « Instruire »… when the user may do that step now."""
    if not can_see_dossiers(user):
        return []
    tasks = Task.objects.filter(
        process__dossierprocess__dossier=dossier,
        status__in=OPEN_STATUSES,
        process__flow_class__in=CALL_FLOWS,
    ).select_related("process", "owner")
    actions = []
    for task in tasks:
        node = task.flow_task
        mine = task.owner_id == user.pk and node.can_execute(user, task)
        if mine or (task.owner_id is None and node.can_assign(user, task)):
            url = node.reverse("index", args=[task.process_id, task.pk])
            actions.append(DossierAction(str(node.task_title), url, primary=True))
    if not actions and tasks:
        task = tasks[0]
        actions.append(
            DossierAction(
                _("Étape en cours : %(step)s (une autre personne)")
                % {"step": task.flow_task.task_title},
                "",
            )
        )
    return actions
