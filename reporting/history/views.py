"""The auditor's pages: GET only; reading them as an auditor is itself journaled.

Scope first (a contract outside the user's scope is a 404), then the permission to read
the journal (403 without it). Nothing here changes data: every other method is a 405.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from audit.journal import AuditAction, record_event
from contracts.views import ScopedContractMixin
from territories.access import Role, user_has_role

from . import exports
from .forms import SearchForm, TimelineFilterForm
from .selectors import (
    SEARCH_CAP,
    as_entries,
    contract_timeline,
    search_count,
    searchable_events,
    sorted_once_found,
)

READ_PERMISSION = "audit.view_auditevent"
PAGE_SIZE = 50
READ_ONLY_METHODS = ["get", "head", "options"]


def journal_reading(*, user, contract=None, summary: str, query: dict) -> None:
    """Journal that an auditor read the trail (the auditors' own reads are audited too)."""
    if not user_has_role(user, Role.AUDITOR):
        return
    with transaction.atomic():
        record_event(
            actor=user,
            action=AuditAction.VIEW,
            obj=contract,
            summary=summary,
            changes={"filters": query} if query else {},
        )


class ReadOnlyAuditMixin:
    http_method_names = READ_ONLY_METHODS


class TimelineView(ReadOnlyAuditMixin, ScopedContractMixin, TemplateView):
    """A contract's journal events and workflow tasks, newest first, filtered, paginated."""

    required_permission = READ_PERMISSION
    template_name = "reporting/history/timeline.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = TimelineFilterForm(self.request.GET or None)
        filters = form.filters()
        page = Paginator(contract_timeline(self.contract, filters), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        journal_reading(
            user=self.request.user,
            contract=self.contract,
            summary=_("Historique du contrat consulté (page %(page)s)") % {"page": page.number},
            query=form.as_query(),
        )
        context.update(
            form=form,
            page_obj=page,
            entries=as_entries(page.object_list),
            export_formats=exports.FILE_FORMATS,
        )
        return context


class TimelineExportView(ReadOnlyAuditMixin, ScopedContractMixin, View):
    """The filtered timeline (every page) as a CSV or XLSX file; the export is journaled."""

    required_permission = READ_PERMISSION

    def get(self, request, *args, file_format, **kwargs):
        if file_format not in exports.FILE_FORMATS:
            raise Http404(_("Format de fichier inconnu."))
        form = TimelineFilterForm(request.GET or None)
        export = exports.export_timeline(
            actor=request.user,
            contract=self.contract,
            filters=form.filters(),
            file_format=file_format,
            query=form.as_query(),
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


class SearchView(ReadOnlyAuditMixin, LoginRequiredMixin, TemplateView):
    """Search the journal events of every contract in the user's scope."""

    template_name = "reporting/history/search.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(READ_PERMISSION):
            raise PermissionDenied(_("Vous n'avez pas le droit de consulter le journal."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SearchForm(self.request.GET or None)
        filters = form.filters()
        events = searchable_events(self.request.user, filters)
        found = search_count(events)
        if found <= SEARCH_CAP:
            events = sorted_once_found(events)
        paginator = Paginator(events, PAGE_SIZE)
        # Counted above (a cached property); past the cap, the newest SEARCH_CAP are listed.
        paginator.count = min(found, SEARCH_CAP)
        page = paginator.get_page(self.request.GET.get("page"))
        journal_reading(
            user=self.request.user,
            summary=_("Recherche dans le journal (page %(page)s)") % {"page": page.number},
            query=form.as_query(),
        )
        context.update(
            form=form,
            page_obj=page,
            entries=as_entries(page.object_list),
            more_than=number_format(SEARCH_CAP, force_grouping=True) if found > SEARCH_CAP else "",
        )
        return context
