"""Two guards every flow relies on (VIEWFLOW_NOTES.md, traps 2 and 3)."""

from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed

LOCK_FAILED_STATUS = 409


class TaskUrlGuardMiddleware:
    """Answer 404 on a task URL unless its task id, process id and node all match.

    Viewflow loads a task by its id alone and checks only its flow: without this guard,
    a user allowed on one node could act on another node's task (or lock another
    process) through the first node's URLs, which defeats four-eyes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "task_pk" not in view_kwargs:
            return None
        match = request.resolver_match
        node = getattr(getattr(match, "url_name", None), "extra", {}).get("node")
        if node is None:
            return None
        task_class = node.flow_class.task_class
        matches = task_class._default_manager.filter(
            pk=view_kwargs["task_pk"],
            process_id=view_kwargs.get("process_pk"),
            flow_task=node,
        ).exists()
        if not matches:
            raise Http404(_("Aucune tâche ne correspond à cette adresse."))
        return None


class FlowLockFailedMiddleware:
    """Turn a held process lock into a 409 "retry" answer instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, FlowLockFailed):
            return None
        message = _(
            "Quelqu'un d'autre agit en ce moment sur ce dossier. "
            "Rien n'a été enregistré : réessayez dans quelques instants."
        )
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": message}, status=LOCK_FAILED_STATUS)
        response = TemplateResponse(
            request,
            "workflows/lock_failed.html",
            {"message": message, "retry_url": request.get_full_path()},
            status=LOCK_FAILED_STATUS,
        )
        response["Retry-After"] = "5"
        return response
