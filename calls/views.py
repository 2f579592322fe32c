"""Campaign and dossier pages: lists and details scoped to the user's regions in SQL."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from territories.access import Role, user_has_role, visible_regions

from . import actions, exports, selectors, services, services_decisions
from .forms import CampaignForm, CommitteeForm, DossierFilterForm
from .models import AwardKind, DecisionLetter, DossierDocument, DossierState

INVALID_FORM_STATUS = 400


def managed_regions(user):
    """Return the regions where ``user`` may create and open campaigns."""
    if user.is_authenticated and user_has_role(user, Role.ARS_MANAGER):
        return visible_regions(user)
    return visible_regions(user).none()


class CallsPermissionMixin(LoginRequiredMixin):
    """Refuse (403) a signed-in user without the permission to view campaigns."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm("calls.view_campaign"):
            raise PermissionDenied(_("Vous ne pouvez pas consulter les appels à candidatures."))
        return super().dispatch(request, *args, **kwargs)


class CampaignListView(CallsPermissionMixin, ListView):
    template_name = "calls/campaign_list.html"
    context_object_name = "campaigns"
    paginate_by = 50

    def get_queryset(self):
        return selectors.visible_campaigns(self.request.user).order_by("-year", "title")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = managed_regions(self.request.user).exists()
        return context


class CampaignCreateView(CallsPermissionMixin, FormView):
    template_name = "calls/campaign_form.html"
    form_class = CampaignForm

    def dispatch(self, request, *args, **kwargs):
        self.regions = managed_regions(request.user)
        if request.user.is_authenticated and not self.regions.exists():
            raise PermissionDenied(_("Seul un chargé de mission ARS crée une campagne."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "regions": self.regions}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        data["required_documents"] = data["required_documents"] or None
        try:
            campaign = services.create_campaign(actor=self.request.user, **data)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
            return self.form_invalid(form)
        return redirect("calls:campaign_detail", pk=campaign.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=INVALID_FORM_STATUS)


class CampaignDetailView(CallsPermissionMixin, DetailView):
    template_name = "calls/campaign_detail.html"
    context_object_name = "campaign"

    def get_queryset(self):
        return selectors.visible_campaigns(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        filters = DossierFilterForm(self.request.GET)
        context["filters"] = filters
        context["dossiers"] = filters.filter(selectors.campaign_dossiers(campaign))[:500]
        context["amounts"] = selectors.campaign_amounts(campaign)
        context["parameters"] = selectors.frozen_parameters(campaign)
        context["deadline_passed"] = (
            not campaign.is_draft and campaign.deadline_at <= timezone.now()
        )
        context["query"] = self.request.GET.urlencode()
        context["state_counts"] = [
            (state.label, getattr(campaign, f"count_{state.value.lower()}"))
            for state in DossierState
            if state != DossierState.DRAFT
        ]
        context["can_open"] = (
            campaign.is_draft
            and managed_regions(self.request.user).filter(pk=campaign.region_id).exists()
        )
        return context


class CampaignExportView(CallsPermissionMixin, View):
    """The campaign's dossiers, with the dashboard's filters, as an XLSX file (journaled)."""

    def get(self, request, pk):
        campaign = get_object_or_404(selectors.visible_campaigns(request.user), pk=pk)
        filters = DossierFilterForm(request.GET)
        file = exports.export_dossiers(
            actor=request.user,
            campaign=campaign,
            dossiers=filters.filter(selectors.campaign_dossiers(campaign)),
            query=request.GET.dict(),
        )
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response


class CampaignOpenView(CallsPermissionMixin, View):
    def post(self, request, pk):
        campaign = get_object_or_404(selectors.visible_campaigns(request.user), pk=pk)
        try:
            services.open_campaign(actor=request.user, campaign=campaign, now=timezone.now())
        except ValidationError as error:
            raise PermissionDenied(" ".join(error.messages)) from error
        return redirect("calls:campaign_detail", pk=pk)


class DossierDetailView(CallsPermissionMixin, DetailView):
    template_name = "calls/dossier_detail.html"
    context_object_name = "dossier"

    def get_queryset(self):
        return selectors.visible_dossiers(self.request.user).select_related(
            "profile", "applicant", "carrier_establishment"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dossier = self.object
        actions = list(dossier.actions.order_by("rank"))
        context["actions"] = actions
        context["totals"] = selectors.action_totals(actions)
        context["documents"] = dossier.documents.select_related("action").order_by("kind", "pk")
        context["partners"] = dossier.partners.select_related("establishment")
        context["failed_checks"] = [r for r in dossier.check_results if r["outcome"] != "OK"]
        context["passed_checks"] = [r for r in dossier.check_results if r["outcome"] == "OK"]
        context["history"] = selectors.dossier_history(dossier)
        context["awards_url"] = (
            reverse("calls:dossier_awards", kwargs={"dossier_pk": dossier.pk})
            if dossier.campaign.scheme in AwardKind.values
            and self.request.user.has_perm("calls.view_individualaward")
            else None
        )
        return context


class DossierDocumentDownloadView(CallsPermissionMixin, View):
    """Send a stored piece of a dossier the user may see; any other answers 404."""

    def get(self, request, pk, document_pk):
        document = get_object_or_404(
            DossierDocument.objects.filter(
                dossier__in=selectors.visible_dossiers(request.user).values("pk"), dossier_id=pk
            ).exclude(file=""),
            pk=document_pk,
        )
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.filename,
            content_type=document.content_type or "application/octet-stream",
        )


class CommitteeSheetView(CallsPermissionMixin, DetailView):
    """The committee sheet: the instructed dossiers ranked by score, with their amounts,
    the sessions, and a form to record a new session."""

    template_name = "calls/committee_sheet.html"
    context_object_name = "campaign"

    def get_queryset(self):
        return selectors.visible_campaigns(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        rows, totals = selectors.committee_sheet(campaign)
        context["rows"] = rows
        context["totals"] = totals
        context["remaining"] = campaign.envelope_amount - totals["granted"]
        context["committees"] = list(campaign.committees.order_by("-session_date"))
        context.setdefault("form", CommitteeForm())
        return context

    def post(self, request, pk):
        self.object = get_object_or_404(self.get_queryset(), pk=pk)
        form = CommitteeForm(request.POST)
        if form.is_valid():
            try:
                services_decisions.create_committee(
                    actor=request.user, campaign=self.object, **form.cleaned_data
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return redirect("calls:committee_sheet", pk=pk)
        return self.render_to_response(self.get_context_data(form=form), status=INVALID_FORM_STATUS)


class CommitteeSheetExportView(CallsPermissionMixin, View):
    """The committee sheet as XLSX (formula-safe) or PDF, for the session (journaled)."""

    def get(self, request, pk, file_format):
        if file_format not in ("xlsx", "pdf"):
            raise Http404
        campaign = get_object_or_404(selectors.visible_campaigns(request.user), pk=pk)
        rows, totals = selectors.committee_sheet(campaign)
        file = exports.export_committee_sheet(
            actor=request.user, campaign=campaign, rows=rows, totals=totals, file_format=file_format
        )
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response


class DossierDecisionView(CallsPermissionMixin, DetailView):
    """A dossier's way to its decision: complements, instruction, committee, letters, DS."""

    template_name = "calls/dossier_decision.html"
    context_object_name = "dossier"

    def get_queryset(self):
        return selectors.visible_dossiers(self.request.user).select_related(
            "amendment", "contract_line__axis__contract"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.dossier_decision_facts(self.object))
        context["next_actions"] = actions.actions_for(self.request.user, self.object)
        return context


class DecisionLetterDownloadView(CallsPermissionMixin, View):
    """Send a decision letter of a dossier the user may see; any other answers 404."""

    def get(self, request, pk, letter_pk):
        letter = get_object_or_404(
            DecisionLetter.objects.filter(
                dossier__in=selectors.visible_dossiers(request.user).values("pk"), dossier_id=pk
            ),
            pk=letter_pk,
        )
        return FileResponse(
            letter.file.open("rb"),
            as_attachment=True,
            filename=str(letter),
            content_type="application/pdf",
        )
