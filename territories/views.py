"""GHT pages: an administrator, or an ARS manager in their region, creates and edits GHTs."""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView, View

from background.imports import ImportRefused, ImportView, import_view, progress_facts
from background.models import ImportJob

from . import import_jobs, services
from .access import Role, user_has_role, visible_hospital_groups, visible_regions
from .forms import FinessImportForm, HospitalGroupForm
from .models import Region

INVALID_FORM_STATUS = 400


def managed_regions(user):
    """Return the regions whose GHTs ``user`` may create or change."""
    if user.is_superuser or user_has_role(user, Role.ADMINISTRATOR):
        return Region.objects.all()
    if user_has_role(user, Role.ARS_MANAGER):
        return visible_regions(user)
    return Region.objects.none()


class HospitalGroupListView(LoginRequiredMixin, ListView):
    template_name = "territories/hospital_group_list.html"
    context_object_name = "hospital_groups"
    paginate_by = 50

    def get_queryset(self):
        return (
            visible_hospital_groups(self.request.user)
            .select_related("region")
            .annotate(member_count=Count("memberships"))
            .order_by("region__name", "name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        regions = set(managed_regions(self.request.user).values_list("pk", flat=True))
        context["managed_region_ids"] = regions
        context["can_create"] = bool(regions)
        context["can_import_finess"] = may_import_finess(self.request.user)
        return context


class HospitalGroupFormView(LoginRequiredMixin, FormView):
    template_name = "territories/hospital_group_form.html"
    form_class = HospitalGroupForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.regions = managed_regions(request.user)
        self.hospital_group = None
        if "pk" in kwargs:
            self.hospital_group = get_object_or_404(
                visible_hospital_groups(request.user), pk=kwargs["pk"]
            )
            if not self.regions.filter(pk=self.hospital_group.region_id).exists():
                raise PermissionDenied(_("Vous ne pouvez pas modifier ce GHT."))
        elif not self.regions.exists():
            raise PermissionDenied(_("Vous ne pouvez pas créer de GHT."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "regions": self.regions}

    def get_initial(self):
        if self.hospital_group is not None:
            return HospitalGroupForm.initial_for(self.hospital_group)
        return super().get_initial()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["hospital_group"] = self.hospital_group
        context["title"] = (
            _("Modifier le GHT « %(name)s »") % {"name": self.hospital_group.name}
            if self.hospital_group
            else _("Créer un GHT")
        )
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = INVALID_FORM_STATUS
        return response

    def form_valid(self, form):
        try:
            services.save_hospital_group(
                actor=self.request.user,
                data=form.to_input(),
                today=timezone.localdate(),
                hospital_group=self.hospital_group,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        return redirect("territories:index")


# FINESS imports: the registry is national, so only an administrator imports it.


def may_import_finess(user) -> bool:
    return user.is_superuser or user_has_role(user, Role.ADMINISTRATOR)


class FinessImportMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_import_finess(request.user):
            raise PermissionDenied(_("Seul un administrateur importe le registre FINESS."))
        return super().dispatch(request, *args, **kwargs)

    def get_job(self) -> ImportJob:
        return get_object_or_404(
            ImportJob.objects.select_related("owner"),
            token=self.kwargs["token"],
            owner=self.request.user,
            kind=import_jobs.KIND,
        )


class FinessImportView(FinessImportMixin, FormView):
    """Upload a FINESS file: it is kept, and its dry run runs as a task."""

    template_name = "territories/finess_import.html"
    form_class = FinessImportForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent_jobs"] = ImportJob.objects.filter(
            owner=self.request.user, kind=import_jobs.KIND
        ).only("token", "filename", "created_at", "imported_at")[:5]
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = INVALID_FORM_STATUS
        return response

    def form_valid(self, form):
        job = import_jobs.request_finess_import(
            user=self.request.user, upload=form.cleaned_data["file"]
        )
        return redirect("territories:finess_import_job", token=job.token)


def finess_progress(view: ImportView) -> dict:
    return progress_facts(view, rows_text=_("%(done)d lignes lues sur %(total)d"))


class FinessImportJobView(FinessImportMixin, TemplateView):
    template_name = "territories/finess_import_job.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.get_job()
        view = import_view(job)
        report = view.outcome or view.check_report
        context.update(
            job=job,
            stage=view.stage,
            progress=finess_progress(view),
            report=report,
            format_label=import_jobs.FORMAT_LABELS.get((report or {}).get("source_format"), ""),
            extract_date=datetime.date.fromisoformat(report["extract_date"])
            if report and report.get("extract_date")
            else None,
            error=view.error,
        )
        return context


class FinessImportProgressView(FinessImportMixin, View):
    def get(self, request, token):
        return JsonResponse(finess_progress(import_view(self.get_job())))


class FinessImportConfirmView(FinessImportMixin, View):
    http_method_names = ["post"]

    def post(self, request, token):
        job = self.get_job()
        try:
            import_jobs.confirm_finess_import(user=request.user, job=job)
        except ImportRefused as error:
            messages.error(request, str(error))
        return redirect("territories:finess_import_job", token=job.token)
