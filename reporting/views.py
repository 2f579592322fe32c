"""Progress pages: thin views over ``selectors``, the chart builders and the file writers.

Scope first (a contract outside the user's scope is a 404), then permission (403).
The regional overview is for ARS staff and auditors: a GHT director gets a 403 there and
follows their own contracts through the contract pages and the calendar.
"""

import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from contracts.selectors import visible_contracts
from territories.access import REGION_EXPORT_PERMISSION

from . import charts, ical, jobs, pdf, selectors, xlsx
from .contract_charts import axis_money_chart, indicator_chart, timeline_chart
from .forms import SORT_CHOICES, OverviewFilterForm
from .models import ExportJob, ExportStatus

VIEW_PERMISSION = "contracts.view_contract"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ProgressMixin(LoginRequiredMixin):
    """Refuse users without the right to read contracts."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied(_("Vous n'avez pas le droit de consulter les contrats."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def today(self):
        return timezone.localdate()


class ScopedContractMixin(ProgressMixin):
    """Load the contract of the URL among those the user may see, else answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.contract = get_object_or_404(
                visible_contracts(request.user).select_related("hospital_group", "region"),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def progress(self) -> selectors.ContractProgress:
        return selectors.contract_progress(self.contract, user=self.request.user, today=self.today)

    def filename(self, extension: str) -> str:
        return f"suivi-{slugify(self.contract.reference)}-{self.today:%Y-%m-%d}.{extension}"


class IndexView(ProgressMixin, View):
    """Send ARS staff and auditors to the overview, GHT directors to their calendar."""

    def get(self, request):
        if selectors.has_regional_view(request.user):
            return redirect("progress:overview")
        return redirect("progress:calendar")


class ContractProgressView(ScopedContractMixin, TemplateView):
    template_name = "reporting/contract.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        progress = self.progress()
        context["contract"] = self.contract
        context["progress"] = progress
        context["timeline_svg"] = mark_safe(charts.render_svg(timeline_chart(progress)))  # noqa: S308
        context["axes"] = [
            {
                "item": axis,
                "money_svg": mark_safe(charts.render_svg(axis_money_chart(axis, progress))),  # noqa: S308
                "indicator_svg": mark_safe(charts.render_svg(indicator_chart(axis))),  # noqa: S308
            }
            for axis in progress.axes
        ]
        return context


class ContractProgressPdfView(ScopedContractMixin, View):
    def get(self, request, pk):
        content = pdf.contract_report(self.progress())
        return _attachment(content, "application/pdf", self.filename("pdf"))


class ContractProgressXlsxView(ScopedContractMixin, View):
    def get(self, request, pk):
        content = xlsx.contract_workbook(self.progress())
        return _attachment(content, XLSX_CONTENT_TYPE, self.filename("xlsx"))


class RegionalMixin(ProgressMixin):
    """Reserve a page to users who see whole regions (ARS staff, auditors)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.has_regional_view(request.user):
            raise PermissionDenied(
                _("La vue régionale est réservée aux équipes de l'ARS et aux auditeurs.")
            )
        return super().dispatch(request, *args, **kwargs)


class OverviewView(RegionalMixin, TemplateView):
    """The contracts in scope, fifty per page, sorted and paginated by the database."""

    template_name = "reporting/overview.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = OverviewFilterForm(self.request.GET or None, user=user)
        sort = form.sort()
        filters = form.filters()
        contracts = selectors.overview_contracts(user, filters=filters, sort=sort, today=self.today)
        page = Paginator(contracts, self.paginate_by).get_page(self.request.GET.get("page"))
        rows = selectors.overview_rows_of(user, page, today=self.today, filters=filters)
        query = self.request.GET.copy()
        query.pop("sort", None)
        query.pop("page", None)
        page_query = self.request.GET.copy()
        page_query.pop("page", None)
        context.update(
            form=form,
            rows=rows,
            page_obj=page,
            page_query=page_query.urlencode(),
            sort=sort,
            sort_choices=SORT_CHOICES,
            filter_query=query.urlencode(),
            today=self.today,
            region_export_url=reverse("progress:region_export"),
        )
        return context


class CalendarView(ProgressMixin, TemplateView):
    """The deadlines, late first, a hundred per page (a region holds thousands); the national
    calendar covers a window of days around today (``selectors.calendar_window``)."""

    template_name = "reporting/calendar.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        window = selectors.calendar_window(self.request.user, today=self.today)
        entries = selectors.deadlines(self.request.user, today=self.today, window=window)
        page = Paginator(entries, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(
            window=window,
            page_obj=page,
            late_total=sum(1 for entry in entries if entry.is_late),
            upcoming_total=sum(1 for entry in entries if not entry.is_late),
            late=[entry for entry in page if entry.is_late],
            upcoming=[entry for entry in page if not entry.is_late],
            today=self.today,
            ics_url=reverse("progress:calendar_ics"),
        )
        return context


class CalendarIcsView(ProgressMixin, View):
    def get(self, request):
        window = selectors.calendar_window(request.user, today=self.today)
        entries = selectors.deadlines(request.user, today=self.today, window=window)
        content = ical.write_calendar(
            [
                ical.CalendarEvent(
                    uid=entry.uid,
                    day=entry.day,
                    summary=f"{entry.contract_reference} – {entry.kind_label} : {entry.title}",
                    description=entry.detail,
                    categories=entry.kind_label,
                )
                for entry in entries
            ],
            name=_("Échéances des contrats d'attractivité"),
            stamp=timezone.now(),
        )
        response = _attachment(
            content.encode("utf-8"), "text/calendar; charset=utf-8", "echeances.ics"
        )
        return response


class RegionExportView(RegionalMixin, TemplateView):
    """Ask for the export of every contract in scope; it runs in the background."""

    template_name = "reporting/region_export.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_export"] = self.request.user.has_perm(REGION_EXPORT_PERMISSION)
        return context

    def post(self, request):
        if not request.user.has_perm(REGION_EXPORT_PERMISSION):
            raise PermissionDenied(
                _("Votre rôle est en lecture seule : il ne permet pas de lancer un export.")
            )
        job = jobs.request_region_export(user=request.user, today=self.today)
        return redirect("progress:region_export_status", token=job.token)


class ExportJobMixin(RegionalMixin):
    """Load the export job of the URL among the user's own, else answer 404."""

    def get_job(self) -> ExportJob:
        queryset = ExportJob.objects.filter(owner=self.request.user).only("token", "task_id")
        return get_object_or_404(queryset, token=self.kwargs["token"])


def _export_facts(job: ExportJob) -> dict:
    """Return what the export page shows, read from the task building the export."""
    state = job.state()
    if state is None:
        raise Http404(_("Export introuvable."))
    status = ExportStatus.of(state.status)
    result = state.return_value if status == ExportStatus.DONE else None
    expires_at = datetime.datetime.fromisoformat(result["expires_at"]) if result else None
    if expires_at and expires_at <= timezone.now():
        expires_text = _("Le fichier a expiré : relancez l'export.")
    elif expires_at:
        expires_text = _("Fichier disponible jusqu'au %(moment)s.") % {
            "moment": formats.date_format(timezone.localtime(expires_at), "SHORT_DATETIME_FORMAT")
        }
    else:
        expires_text = ""
    retried = state.attempts > 1 and not state.finished
    return {
        "status": status.value,
        "status_label": str(status.label),
        "finished": state.finished,
        "percent": state.percent,
        "done": state.done,
        "total": state.total,
        "attempts": state.attempts,
        "retry_text": _(
            "Le traitement a été interrompu par l'arrêt d'un serveur : l'export a repris depuis "
            "le début (tentative %(attempt)d)."
        )
        % {"attempt": state.attempts}
        if retried
        else "",
        "steps_text": _("(%(done)d étapes sur %(total)d)")
        % {"done": state.done, "total": state.total}
        if state.total and not state.finished
        else "",
        "error": state.error,
        "error_text": _("L'export a échoué : %(error)s") % {"error": state.error}
        if state.error
        else "",
        "expires_text": expires_text,
        "download_url": reverse("progress:region_export_download", args=[job.token])
        if result and expires_at > timezone.now()
        else None,
        "result": result,
    }


class RegionExportStatusView(ExportJobMixin, TemplateView):
    template_name = "reporting/region_export_status.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["job"] = self.get_job()
        context["export"] = _export_facts(context["job"])
        return context


class RegionExportProgressView(ExportJobMixin, View):
    """Answer the export task's progress as JSON, polled by ``export_progress.js``."""

    def get(self, request, token):
        facts = _export_facts(self.get_job())
        del facts["result"]
        return JsonResponse(facts)


class RegionExportDownloadView(ExportJobMixin, View):
    def get(self, request, token):
        facts = _export_facts(self.get_job())
        if facts["download_url"] is None:
            raise Http404(_("L'export n'est pas prêt ou son fichier a expiré."))
        result = facts["result"]
        try:
            stored = default_storage.open(result["path"], "rb")
        except FileNotFoundError:
            raise Http404(_("Le fichier a expiré : relancez l'export.")) from None
        response = FileResponse(stored, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{result["filename"]}"'
        return response
