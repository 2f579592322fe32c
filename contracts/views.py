"""Contract pages: thin views over the selectors, the forms and the services.

Scope first (a contract outside the user's scope is a 404), then permission (a user in
scope without ``contracts.change_contract`` gets a 403 on every write).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView, View

from background.imports import ImportRefused, import_view, progress_facts
from background.models import ImportJob
from territories.access import visible_hospital_groups

from . import actions, import_jobs, imports, selectors, services
from .exceptions import BusinessRuleError
from .forms import (
    AxisForm,
    CopyContractForm,
    FundingLineForm,
    ImportForm,
    MilestoneForm,
    MilestoneRescheduleForm,
    NewContractForm,
)
from .models import (
    ContractDocument,
    ContractKind,
    ContractStatus,
    EvidenceDocument,
    FundingLine,
    Milestone,
    StrategicAxis,
)
from .schemes import SchemeCode

CHANGE_PERMISSION = "contracts.change_contract"
VIEW_PERMISSION = "contracts.view_contract"
# A refused form answers 400 with everything the user typed (Turbo needs a 4xx to show it).
INVALID_FORM_STATUS = 400


class ContractListView(LoginRequiredMixin, ListView):
    template_name = "contracts/contract_list.html"
    context_object_name = "contracts"
    paginate_by = 50

    def kind(self) -> str:
        """The kind the list is filtered on (``?nature=``), or "" for every kind."""
        kind = self.request.GET.get("nature", "")
        return kind if kind in ContractKind.values else ""

    def get_queryset(self):
        contracts = selectors.visible_contracts(self.request.user)
        if self.kind():
            contracts = contracts.filter(kind=self.kind())
        return contracts.select_related(
            "hospital_group", "region", "carrier_establishment"
        ).order_by("-start_date", "reference")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["items"] = selectors.contract_list_items(context["contracts"])
        context["kinds"] = ContractKind.choices
        context["kind"] = self.kind()
        context["can_add"] = self.request.user.has_perm("contracts.add_contract")
        return context


class ScopedContractMixin(LoginRequiredMixin):
    """Load the contract of the URL among those the user may see, else answer 404."""

    required_permission = VIEW_PERMISSION

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.contract = get_object_or_404(
            selectors.visible_contracts(request.user).select_related(
                "hospital_group", "region", "carrier_establishment"
            ),
            pk=kwargs["pk"],
        )
        if not request.user.has_perm(self.required_permission):
            raise PermissionDenied(_("Vous n'avez pas le droit de faire cette opération."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contract"] = self.contract
        return context


# What happens next, in the words of the people who do it (shown under the status).
NEXT_STEP = {
    ContractStatus.DRAFT: _(
        "Le chargé de mission complète le contrat (axes, lignes, jalons) puis le soumet à "
        "validation."
    ),
    ContractStatus.SUBMITTED: _(
        "Un valideur de l'ARS valide le contrat ou le renvoie avec un motif."
    ),
    ContractStatus.APPROVED: _(
        "Le contrat est validé : la signature (date et signataires) reste à enregistrer."
    ),
    ContractStatus.ACTIVE: _(
        "Le contrat est en vigueur : délégations de crédits FIR, suivi des jalons et états "
        "récapitulatifs."
    ),
    ContractStatus.CLOSED: _("Le contrat est clos."),
}

# A funding convention follows the same steps; its pages name it for what it is.
CONVENTION_NEXT_STEP = {
    ContractStatus.DRAFT: _(
        "Le chargé de mission complète la convention (ligne, jalons) puis la soumet à validation."
    ),
    ContractStatus.SUBMITTED: _(
        "Un valideur de l'ARS valide la convention ou la renvoie avec un motif."
    ),
    ContractStatus.APPROVED: _(
        "La convention est validée : la signature (date et signataires) reste à enregistrer."
    ),
    ContractStatus.ACTIVE: _(
        "La convention est signée : délégation des crédits FIR, état récapitulatif de "
        "consommation, puis reprise de ce qui n'a pas été consommé."
    ),
    ContractStatus.CLOSED: _("La convention est close."),
}


class ContractDetailView(ScopedContractMixin, TemplateView):
    template_name = "contracts/contract_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["overview"] = selectors.contract_overview(self.contract, today=timezone.localdate())
        context["can_change"] = (
            self.request.user.has_perm(CHANGE_PERMISSION)
            and self.contract.status == ContractStatus.DRAFT
        )
        context["contract_actions"] = actions.contract_actions(self.request.user, self.contract)
        context["line_links"] = actions.line_links(self.request.user, self.contract)
        context["documents"] = selectors.contract_documents(self.contract)
        steps = (
            CONVENTION_NEXT_STEP
            if self.contract.kind == ContractKind.FUNDING_CONVENTION
            else NEXT_STEP
        )
        context["next_step"] = steps.get(self.contract.status, "")
        if self.contract.status == ContractStatus.DRAFT:
            context["blockers"] = selectors.submission_blockers(self.contract)
            context["contract_actions"] = [
                action
                for action in context["contract_actions"]
                if not (context["blockers"] and action.submits)
            ]
            context["submit_blocked"] = bool(context["blockers"])
        context["axis_count"] = len(context["overview"].axes)
        return context


class ContractFormView(ScopedContractMixin, FormView):
    """A form that writes on a draft contract through one service call."""

    required_permission = CHANGE_PERMISSION
    template_name = "contracts/contract_form.html"
    title = ""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["contract"] = self.contract
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        return context

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=INVALID_FORM_STATUS)

    def check_draft(self):
        if self.contract.status != ContractStatus.DRAFT:
            raise BusinessRuleError(
                _(
                    "Le contrat est au statut « %(status)s » : seul un brouillon se "
                    "modifie ici ; un contrat signé se modifie par avenant."
                )
                % {"status": self.contract.get_status_display()}
            )

    def form_valid(self, form):
        try:
            self.check_draft()
            self.write(form)
        except BusinessRuleError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        except TypeError as error:
            # Scheme rules refuse a parameter of the wrong type (e.g. "2" for a count).
            form.add_error("details" if "details" in form.fields else None, str(error))
            return self.form_invalid(form)
        return redirect("contracts:contract_detail", pk=self.contract.pk)

    def write(self, form):
        raise NotImplementedError


class FundingLineFormMixin:
    """Line forms: the scheme's rule messages go next to the detail fields they name."""

    template_name = "contracts/line_form.html"

    def form_valid(self, form):
        try:
            self.check_draft()
            self.write(form)
        except BusinessRuleError as error:
            form.add_rule_errors(error.messages)
            return self.form_invalid(form)
        return redirect("contracts:contract_detail", pk=self.contract.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schemes"] = SchemeCode.choices
        return context


class FundingLineCreateView(FundingLineFormMixin, ContractFormView):
    form_class = FundingLineForm
    title = _("Ajouter une ligne de financement")

    def get_form_kwargs(self):
        scheme = self.request.GET.get("scheme", SchemeCode.OTHER)
        if scheme not in SchemeCode.values:
            scheme = SchemeCode.OTHER
        return {**super().get_form_kwargs(), "scheme": scheme}

    def write(self, form):
        data = form.cleaned_data
        services.add_funding_line(
            actor=self.request.user,
            axis=data["axis"],
            code=data["code"],
            scheme=data["scheme"],
            label=data["label"],
            beneficiary=data["beneficiary"],
            amounts_by_year=form.amounts_by_year(),
            details=form.details(),
            consumption_deadline_date=data["consumption_deadline_date"],
        )


class FundingLineUpdateView(FundingLineFormMixin, ContractFormView):
    form_class = FundingLineForm
    title = _("Modifier une ligne de financement")

    @cached_property
    def line(self) -> FundingLine:
        return get_object_or_404(
            FundingLine.objects.select_related("axis", "beneficiary").prefetch_related(
                "allocations"
            ),
            pk=self.kwargs["line_pk"],
            axis__contract=self.contract,
        )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["line"] = self.line
        return kwargs

    def write(self, form):
        data = form.cleaned_data
        services.change_funding_line(
            actor=self.request.user,
            line=self.line,
            amounts_by_year=form.amounts_by_year(),
            label=data["label"],
            details=form.details(),
            beneficiary=data["beneficiary"],
            consumption_deadline_date=data["consumption_deadline_date"],
        )


class MilestoneCreateView(ContractFormView):
    form_class = MilestoneForm
    title = _("Ajouter un jalon")

    def write(self, form):
        data = form.cleaned_data
        services.add_milestone(
            actor=self.request.user,
            axis=data["axis"],
            title=data["title"],
            due_date=data["due_date"],
            indicator_label=data["indicator_label"],
            indicator_unit=data["indicator_unit"],
            baseline_value=data["baseline_value"],
            target_value=data["target_value"],
        )


class MilestoneUpdateView(ContractFormView):
    form_class = MilestoneForm
    title = _("Modifier un jalon")

    @cached_property
    def milestone(self) -> Milestone:
        return get_object_or_404(
            Milestone, pk=self.kwargs["milestone_pk"], axis__contract=self.contract
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "milestone": self.milestone}

    def write(self, form):
        data = dict(form.cleaned_data)
        axis = data.pop("axis")
        services.change_milestone(
            actor=self.request.user, milestone=self.milestone, axis=axis, **data
        )


class AxisCreateView(ContractFormView):
    form_class = AxisForm
    title = _("Ajouter un axe stratégique")

    def write(self, form):
        services.add_axis(actor=self.request.user, contract=self.contract, **form.cleaned_data)


class AxisUpdateView(ContractFormView):
    form_class = AxisForm
    title = _("Modifier un axe stratégique")

    @cached_property
    def axis(self) -> StrategicAxis:
        return get_object_or_404(StrategicAxis, pk=self.kwargs["axis_pk"], contract=self.contract)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "axis": self.axis}

    def write(self, form):
        services.change_axis(actor=self.request.user, axis=self.axis, **form.cleaned_data)


class DraftActionView(ScopedContractMixin, View):
    """A one-button change of a draft (move an axis, remove an item), POST only.

    A refusal is shown on the contract page as a message; nothing changes.
    """

    required_permission = CHANGE_PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk, **kwargs):
        try:
            self.perform(**kwargs)
        except BusinessRuleError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("contracts:contract_detail", pk=self.contract.pk)


class AxisMoveView(DraftActionView):
    def perform(self, axis_pk, direction):
        if direction not in ("up", "down"):
            raise Http404(_("Un axe monte ou descend."))
        axis = get_object_or_404(StrategicAxis, pk=axis_pk, contract=self.contract)
        services.move_axis(
            actor=self.request.user, axis=axis, direction=-1 if direction == "up" else 1
        )


class AxisRemoveView(DraftActionView):
    def perform(self, axis_pk):
        axis = get_object_or_404(StrategicAxis, pk=axis_pk, contract=self.contract)
        services.remove_axis(actor=self.request.user, axis=axis)


class FundingLineRemoveView(DraftActionView):
    def perform(self, line_pk):
        line = get_object_or_404(FundingLine, pk=line_pk, axis__contract=self.contract)
        services.remove_funding_line(actor=self.request.user, line=line)


class MilestoneRemoveView(DraftActionView):
    def perform(self, milestone_pk):
        milestone = get_object_or_404(Milestone, pk=milestone_pk, axis__contract=self.contract)
        services.remove_milestone(actor=self.request.user, milestone=milestone)


class MilestoneRescheduleView(ContractFormView):
    form_class = MilestoneRescheduleForm
    title = _("Reporter un jalon")

    @cached_property
    def milestone(self) -> Milestone:
        return get_object_or_404(
            Milestone, pk=self.kwargs["milestone_pk"], axis__contract=self.contract
        )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.setdefault("initial", {})["due_date"] = self.milestone.due_date
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subtitle"] = self.milestone.title
        return context

    def write(self, form):
        services.reschedule_milestone(
            actor=self.request.user,
            milestone=self.milestone,
            due_date=form.cleaned_data["due_date"],
            reason=form.cleaned_data["reason"],
        )


class ContractImportView(ContractFormView):
    """Upload a file of lines or milestones: it is kept, and its dry run runs as a task."""

    form_class = ImportForm
    template_name = "contracts/contract_import.html"
    title = _("Importer des lignes ou des jalons")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("contract")
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent_jobs"] = ImportJob.objects.filter(
            owner=self.request.user, kind=import_jobs.KIND, target_id=self.contract.pk
        ).only("token", "filename", "created_at", "imported_at")[:5]
        return context

    def form_valid(self, form):
        try:
            self.check_draft()
        except BusinessRuleError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        job = import_jobs.request_contract_import(
            user=self.request.user,
            contract=self.contract,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
        return redirect("contracts:import_job", pk=self.contract.pk, token=job.token)


class ContractImportJobMixin(ScopedContractMixin):
    """A file imported into the contract of the URL, by the user themself (else 404)."""

    required_permission = CHANGE_PERMISSION

    def get_job(self) -> ImportJob:
        return get_object_or_404(
            ImportJob.objects.select_related("owner"),
            token=self.kwargs["token"],
            owner=self.request.user,
            kind=import_jobs.KIND,
            target_id=self.contract.pk,
        )


def _import_progress(view) -> dict:
    return progress_facts(view, rows_text=_("%(done)d lignes sur %(total)d"))


ROWS_SHOWN = 500


class ContractImportJobView(ContractImportJobMixin, TemplateView):
    """Where an import stands: the dry run's progress, then its report and the confirmation,
    then the import's progress and its result."""

    template_name = "contracts/contract_import_job.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.get_job()
        view = import_view(job)
        report = view.outcome or view.check_report
        context.update(
            title=_("Import de lignes ou de jalons"),
            job=job,
            stage=view.stage,
            view=view,
            progress=_import_progress(view),
            report=report,
            kind_label=import_jobs.KIND_LABELS.get(job.options.get("kind"), ""),
            error=view.error,
            # Rows that change or fail; an unchanged row is only counted.
            rows=[row for row in (report or {}).get("rows", []) if row["status"] != "UNCHANGED"][
                :ROWS_SHOWN
            ],
            rows_shown=ROWS_SHOWN,
        )
        return context


class ContractImportProgressView(ContractImportJobMixin, View):
    """Answer an import's progress as JSON, polled by ``import_progress.js``."""

    def get(self, request, pk, token):
        return JsonResponse(_import_progress(import_view(self.get_job())))


class ContractImportConfirmView(ContractImportJobMixin, View):
    """Confirm a checked dry run: the import is queued once, however many times it is asked."""

    http_method_names = ["post"]

    def post(self, request, pk, token):
        job = self.get_job()
        try:
            import_jobs.confirm_contract_import(user=request.user, job=job)
        except ImportRefused as error:
            messages.error(request, str(error))
        return redirect("contracts:import_job", pk=self.contract.pk, token=job.token)


class ContractExportView(ScopedContractMixin, View):
    """Send the contract's lines or milestones as CSV or XLSX; the export is journaled."""

    def get(self, request, pk, kind, file_format):
        if kind not in imports.KINDS or file_format not in imports.CONTENT_TYPES:
            raise Http404(_("Export inconnu."))
        export = imports.export_contract_file(
            actor=request.user, contract=self.contract, kind=kind, file_format=file_format
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


class DocumentDownloadView(ScopedContractMixin, View):
    """Send a stored document of a contract the user may see; any other answers 404."""

    def document(self, document_pk):
        return get_object_or_404(
            ContractDocument.objects.filter(contract=self.contract), pk=document_pk
        )

    def get(self, request, pk, document_pk):
        document = self.document(document_pk)
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.filename,
            content_type=document.content_type or "application/octet-stream",
        )


class EvidenceDownloadView(DocumentDownloadView):
    def document(self, document_pk):
        return get_object_or_404(
            EvidenceDocument.objects.filter(milestone__axis__contract=self.contract),
            pk=document_pk,
        )


class NewDraftMixin(LoginRequiredMixin):
    """A new draft, by an ARS manager, for a GHT of their region(s)."""

    template_name = "contracts/contract_new.html"
    title = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm("contracts.add_contract"):
            raise PermissionDenied(_("Vous n'avez pas le droit de créer un contrat."))
        return super().dispatch(request, *args, **kwargs)

    def hospital_groups(self):
        return visible_hospital_groups(self.request.user).order_by("name")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": self.title}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = INVALID_FORM_STATUS
        return response

    def form_valid(self, form):
        try:
            contract = self.create(form)
        except BusinessRuleError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        if form.cleaned_data.get("then_import"):
            return redirect("contracts:import", pk=contract.pk)
        return redirect("contracts:contract_detail", pk=contract.pk)


class ContractCreateView(NewDraftMixin, FormView):
    form_class = NewContractForm
    title = _("Nouveau contrat")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "hospital_groups": self.hospital_groups()}

    def create(self, form):
        data = form.cleaned_data
        return services.create_contract(
            actor=self.request.user,
            reference=data["reference"],
            title=data["title"],
            hospital_group=data["hospital_group"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            envelope_amount=data["envelope_amount"],
            axes=[services.AxisInput(n, t) for n, t in enumerate(data["axes"], start=1)],
        )


class ContractCopyView(NewDraftMixin, FormView):
    form_class = CopyContractForm
    title = _("Nouveau contrat copié d'un contrat existant")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "contracts": selectors.visible_contracts(self.request.user).order_by("reference"),
            "hospital_groups": self.hospital_groups(),
        }

    def get_initial(self):
        return {**super().get_initial(), "source": self.request.GET.get("source")}

    def create(self, form):
        data = form.cleaned_data
        return services.copy_contract_structure(
            actor=self.request.user,
            source=data["source"],
            reference=data["reference"],
            title=data["title"],
            start_date=data["start_date"],
            hospital_group=data["hospital_group"],
        )
