"""GHT pages: an administrator, or an ARS manager in their region, creates and edits GHTs."""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView, View

from background.imports import ImportRefused, ImportView, import_view, progress_facts
from background.models import ImportJob

from . import import_jobs, services
from .access import Role, user_has_role, visible_hospital_groups, visible_regions
from .forms import FinessImportForm, HospitalGroupForm, MembersImportForm
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


# Imports of the registry (FINESS) and of GHT members: national data, so only an
# administrator imports them.


def may_import_finess(user) -> bool:
    return user.is_superuser or user_has_role(user, Role.ADMINISTRATOR)


class TerritoryImportMixin(LoginRequiredMixin):
    """An import of the territory; subclasses name its kind, its URLs and its service."""

    kind = import_jobs.KIND
    url_prefix = "finess_import"
    title = gettext_lazy("Importer le registre FINESS")
    refused_text = gettext_lazy("Seul un administrateur importe le registre FINESS.")
    rows_text = gettext_lazy("%(done)d lignes lues sur %(total)d")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_import_finess(request.user):
            raise PermissionDenied(self.refused_text)
        return super().dispatch(request, *args, **kwargs)

    def url(self, step: str, token=None) -> str:
        name = f"territories:{self.url_prefix}" + (f"_{step}" if step else "")
        return reverse(name, args=[token] if token else [])

    def get_job(self) -> ImportJob:
        return get_object_or_404(
            ImportJob.objects.select_related("owner"),
            token=self.kwargs["token"],
            owner=self.request.user,
            kind=self.kind,
        )

    def progress(self, view: ImportView) -> dict:
        return progress_facts(view, rows_text=str(self.rows_text))


class FinessImportView(TerritoryImportMixin, FormView):
    """Upload a file to import: it is kept, and its dry run runs as a task."""

    template_name = "territories/import_upload.html"
    form_class = FinessImportForm
    steps = [
        gettext_lazy(
            "Déposez l'extrait FINESS (CSV, data.gouv.fr) ou le flux FINESS+ « Structures » "
            "(JSON) : une simulation le vérifie en entier, sans rien enregistrer."
        ),
        gettext_lazy(
            "Lisez ce que l'import créerait ou modifierait, et les enregistrements rejetés, "
            "puis confirmez."
        ),
        gettext_lazy(
            "Tout le fichier est enregistré, ou rien : un seul enregistrement rejeté bloque "
            "l'import."
        ),
    ]

    def request_import(self, upload) -> ImportJob:
        return import_jobs.request_finess_import(user=self.request.user, upload=upload)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recent = ImportJob.objects.filter(owner=self.request.user, kind=self.kind).only(
            "token", "filename", "created_at", "imported_at"
        )[:5]
        context.update(
            title=self.title,
            steps=self.steps,
            recent_jobs=[(job, self.url("job", job.token)) for job in recent],
        )
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = INVALID_FORM_STATUS
        return response

    def form_valid(self, form):
        job = self.request_import(form.cleaned_data["file"])
        return redirect(self.url("job", job.token))


class FinessImportJobView(TerritoryImportMixin, TemplateView):
    template_name = "territories/finess_import_job.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.get_job()
        view = import_view(job)
        report = view.outcome or view.check_report
        context.update(
            job=job,
            stage=view.stage,
            progress=self.progress(view),
            progress_url=self.url("progress", job.token),
            confirm_url=self.url("confirm", job.token),
            upload_url=self.url(""),
            report=report,
            format_label=import_jobs.FORMAT_LABELS.get((report or {}).get("source_format"), ""),
            extract_date=datetime.date.fromisoformat(report["extract_date"])
            if report and report.get("extract_date")
            else None,
            error=view.error,
        )
        return context


class FinessImportProgressView(TerritoryImportMixin, View):
    def get(self, request, token):
        return JsonResponse(self.progress(import_view(self.get_job())))


class FinessImportConfirmView(TerritoryImportMixin, View):
    http_method_names = ["post"]

    def confirm(self, job) -> bool:
        return import_jobs.confirm_finess_import(user=self.request.user, job=job)

    def post(self, request, token):
        job = self.get_job()
        try:
            self.confirm(job)
        except ImportRefused as error:
            messages.error(request, str(error))
        return redirect(self.url("job", job.token))


class MembersImportMixin(TerritoryImportMixin):
    kind = import_jobs.MEMBERS_KIND
    url_prefix = "members_import"
    title = gettext_lazy("Importer les membres des GHT")
    refused_text = gettext_lazy("Seul un administrateur importe les membres des GHT.")
    rows_text = gettext_lazy("%(done)d lignes sur %(total)d")


class MembersImportView(MembersImportMixin, FinessImportView):
    form_class = MembersImportForm
    steps = [
        gettext_lazy(
            "Déposez un fichier CSV, une ligne par membre : code_ght, role (support, membre "
            "ou partenaire), etablissement (FINESS ou nom exact), finess_entite_juridique. "
            "Une simulation le vérifie en entier, sans rien enregistrer."
        ),
        gettext_lazy("Lisez ce que l'import créerait, puis confirmez."),
        gettext_lazy(
            "Tout le fichier est enregistré, ou rien : une seule ligne en erreur bloque l'import."
        ),
    ]

    def request_import(self, upload) -> ImportJob:
        return import_jobs.request_members_import(user=self.request.user, upload=upload)


class MembersImportJobView(MembersImportMixin, FinessImportJobView):
    template_name = "territories/members_import_job.html"


class MembersImportProgressView(MembersImportMixin, FinessImportProgressView):
    pass


class MembersImportConfirmView(MembersImportMixin, FinessImportConfirmView):
    def confirm(self, job) -> bool:
        return import_jobs.confirm_members_import(user=self.request.user, job=job)
