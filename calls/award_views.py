"""The award pages: the list of a line (or a dossier) with schedules, add/edit, CAE breach.

ARS staff only (``calls.view_individualaward``): the pages show names and identifiers. Lines
and dossiers outside the user's regions answer 404, in SQL.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from contracts.money import ZERO

from . import award_states, awards, selectors
from .award_forms import (
    KIND_FIELDS,
    AwardStepForm,
    BreachDecisionForm,
    BreachForm,
    RecoveryDecisionForm,
    award_form_class,
)
from .models import AwardKind, AwardStatus, IndividualAward

VIEW_PERMISSION = "calls.view_individualaward"
INVALID_FORM_STATUS = 400


class AwardPermissionMixin(LoginRequiredMixin):
    """Refuse (403) anyone but ARS staff: the awards carry personal data."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied(
                _(
                    "Les attributions individuelles ne sont consultables que par les agents de l'ARS."
                )
            )
        return super().dispatch(request, *args, **kwargs)


def _schedule_summary(instalments) -> list[dict]:
    """Group consecutive instalments of one amount: « 12 × 250,00 € du 01/01 au 01/12 »."""
    groups: list[dict] = []
    for instalment in instalments:
        last = groups[-1] if groups else None
        if (
            last
            and last["amount"] == instalment.amount
            and instalment.due_date is not None
            and last["last"] is not None
        ):
            last["count"] += 1
            last["last"] = instalment.due_date
        else:
            groups.append(
                {
                    "count": 1,
                    "amount": instalment.amount,
                    "first": instalment.due_date,
                    "last": instalment.due_date,
                    "label": instalment.label,
                }
            )
    return groups


class AwardListView(AwardPermissionMixin, TemplateView):
    """The awards of a line (``line_pk``) or of a dossier (``dossier_pk``) with schedules."""

    template_name = "calls/award_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if "line_pk" in self.kwargs:
            line = get_object_or_404(selectors.visible_award_lines(user), pk=self.kwargs["line_pk"])
            contract = line.axis.contract
            items = selectors.line_awards(line)
            by_year = selectors.awards_by_year(line)
            programmed = {a.year: a.allocated_amount for a in line.allocations.all()}
            years = sorted(set(by_year) | set(programmed))
            context.update(
                line=line,
                contract=contract,
                region=contract.region,
                kind=AwardKind(line.scheme),
                add_url=reverse("calls:award_add", kwargs={"line_pk": line.pk}),
                years=[
                    {
                        "year": year,
                        "awards": by_year.get(year, ZERO),
                        "programmed": programmed.get(year, ZERO),
                        "gap": by_year.get(year, ZERO) != programmed.get(year, ZERO),
                    }
                    for year in years
                ],
                pending_amendment=selectors.pending_amendment(contract),
            )
        else:
            dossier = get_object_or_404(
                selectors.visible_dossiers(user), pk=self.kwargs["dossier_pk"]
            )
            items = selectors.dossier_awards(dossier)
            context.update(
                dossier=dossier,
                region=dossier.campaign.region,
                kind=AwardKind(dossier.campaign.scheme)
                if dossier.campaign.scheme in AwardKind.values
                else None,
                add_url=reverse("calls:dossier_award_add", kwargs={"dossier_pk": dossier.pk}),
            )
        rows = [
            {"award": award, "schedule": _schedule_summary(award.instalments.all())}
            for award in items
        ]
        context["rows"] = rows
        context["total"] = sum((row["award"].total_amount for row in rows), ZERO)
        context["can_manage"] = context["kind"] is not None and awards.can_manage_awards(
            user, context["region"]
        )
        context["can_decide"] = user.has_perm(awards.DECIDE_PERMISSION)
        context["editable_states"] = [
            str(state) for states in award_states.EDITABLE.values() for state in states
        ]
        return context


class AwardFormMixin(AwardPermissionMixin):
    template_name = "calls/award_form.html"

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=INVALID_FORM_STATUS)

    def get_form_class(self):
        return award_form_class(self.kind)

    def run_service(self, data, reason):
        raise NotImplementedError

    def parent_label(self) -> str:
        line = getattr(self, "line", None) or getattr(
            getattr(self, "award", None), "funding_line", None
        )
        dossier = getattr(self, "dossier", None) or getattr(
            getattr(self, "award", None), "dossier", None
        )
        if line is not None:
            return _("Ligne %(code)s – %(label)s (contrat %(contract)s)") % {
                "code": line.code,
                "label": line.label,
                "contract": line.axis.contract.reference,
            }
        return _("Dossier %(number)s – %(name)s") % {
            "number": dossier.ds_number,
            "name": dossier.applicant_name,
        }

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            self.run_service(data, reason)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                form.add_error(None, error.messages)
            return self.form_invalid(form)
        return redirect(self.back_url)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            back_url=self.back_url,
            kind_label=AwardKind(self.kind).label,
            title=self.title,
            parent_label=self.parent_label(),
        )
        return context


class AwardCreateView(AwardFormMixin, FormView):
    """Add an award under a line or a dossier; its kind is the line's or campaign's scheme."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.line = self.dossier = None
        if "line_pk" in kwargs:
            self.line = get_object_or_404(
                selectors.visible_award_lines(request.user), pk=kwargs["line_pk"]
            )
            self.kind = self.line.scheme
            region = self.line.axis.contract.region
            self.back_url = reverse("calls:line_awards", kwargs={"line_pk": self.line.pk})
        else:
            self.dossier = get_object_or_404(
                selectors.visible_dossiers(request.user), pk=kwargs["dossier_pk"]
            )
            if self.dossier.campaign.scheme not in AwardKind.values:
                raise PermissionDenied(
                    _("Cette campagne ne finance pas d'attributions individuelles.")
                )
            self.kind = self.dossier.campaign.scheme
            region = self.dossier.campaign.region
            self.back_url = reverse("calls:dossier_awards", kwargs={"dossier_pk": self.dossier.pk})
        if not awards.can_manage_awards(request.user, region):
            raise PermissionDenied(_("Seul un chargé de mission ARS saisit une attribution."))
        self.title = _("Nouvelle attribution individuelle")
        return super().dispatch(request, *args, **kwargs)

    def run_service(self, data, reason):
        awards.create_award(
            actor=self.request.user,
            kind=self.kind,
            funding_line=self.line,
            dossier=self.dossier,
            reason=reason,
            **data,
        )


def _award_back_url(award: IndividualAward) -> str:
    if award.funding_line_id:
        return reverse("calls:line_awards", kwargs={"line_pk": award.funding_line_id})
    return reverse("calls:dossier_awards", kwargs={"dossier_pk": award.dossier_id})


class ScopedAwardMixin(AwardPermissionMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.award = get_object_or_404(
            IndividualAward.objects.visible_to(request.user), pk=kwargs["pk"]
        )
        self.back_url = _award_back_url(self.award)
        return super().dispatch(request, *args, **kwargs)


class AwardChangeView(ScopedAwardMixin, AwardFormMixin, FormView):
    def get(self, request, *args, **kwargs):
        self._require_manager()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._require_manager()
        return super().post(request, *args, **kwargs)

    def _require_manager(self):
        if not awards.can_manage_awards(self.request.user, self.award.region):
            raise PermissionDenied(_("Seul un chargé de mission ARS modifie une attribution."))
        if self.award.status not in award_states.EDITABLE[self.award.kind]:
            raise PermissionDenied(
                _("Une attribution au statut « %(status)s » ne se modifie plus.")
                % {"status": self.award.get_status_display()}
            )

    @property
    def kind(self):
        return self.award.kind

    @property
    def title(self):
        return _("Modifier l'attribution de %(name)s") % {"name": self.award.full_name}

    def get_initial(self):
        return {name: getattr(self.award, name) for name in KIND_FIELDS[AwardKind(self.kind)]}

    def run_service(self, data, reason):
        awards.change_award(actor=self.request.user, award=self.award, reason=reason, **data)


class AwardBreachView(ScopedAwardMixin, FormView):
    """Record the breach of a CAE commitment, or decide its repayment (another person)."""

    template_name = "calls/award_breach.html"

    def get_form_class(self):
        if self.award.status == AwardStatus.BREACH_RECORDED:
            if not self.request.user.has_perm(awards.DECIDE_PERMISSION):
                raise PermissionDenied(_("Seul un validateur ARS décide un reversement."))
            return BreachDecisionForm
        if self.award.kind != AwardKind.CAE or self.award.status != AwardStatus.IN_COMMITMENT:
            raise PermissionDenied(_("Aucune rupture à constater sur cette attribution."))
        if not awards.can_manage_awards(self.request.user, self.award.region):
            raise PermissionDenied(_("Seul un chargé de mission ARS constate une rupture."))
        return BreachForm

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=INVALID_FORM_STATUS)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if isinstance(form, BreachDecisionForm):
                awards.decide_cae_breach(
                    actor=self.request.user,
                    award=self.award,
                    approve=data["decision"] == "approve",
                    reason=data["reason"],
                )
            else:
                awards.record_cae_breach(actor=self.request.user, award=self.award, **data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                form.add_error(None, error.messages)
            return self.form_invalid(form)
        return redirect("calls:award_detail", pk=self.award.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unserved = (
            self.award.commitment_months - self.award.served_months
            if self.award.served_months is not None and self.award.commitment_months
            else None
        )
        context.update(award=self.award, back_url=self.back_url, unserved_months=unserved)
        return context


def _add_errors(form, error: ValidationError, aliases: dict | None = None) -> None:
    """Put a service's French problems next to their field, the others above the form."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            field = aliases.get(field, field)
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class AwardDetailView(ScopedAwardMixin, TemplateView):
    """One award: its facts, schedule, state, the steps it may take, its repayment."""

    template_name = "calls/award_detail.html"

    def post(self, request, *args, **kwargs):
        """Prepare (again) the recovery of a decided repayment."""
        try:
            awards.prepare_award_recovery(actor=request.user, award=self.award)
        except ValidationError as error:
            context = self.get_context_data(recovery_errors=error.messages)
            return self.render_to_response(context, status=INVALID_FORM_STATUS)
        return redirect("calls:award_detail", pk=self.award.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        award = self.award
        user = self.request.user
        can_manage = awards.can_manage_awards(user, award.region)
        recoveries = awards.award_recoveries(award)
        pending = [r for r in recoveries if r.status != "REJECTED"]
        waiting = [r for r in recoveries if r.status == "PREPARED"]
        steps = award_states.allowed_transitions(award.kind, award.status)
        context.update(
            award=award,
            back_url=self.back_url,
            instalments=list(award.instalments.order_by("number")),
            steps=steps if can_manage else [],
            can_edit=can_manage and award.status in award_states.EDITABLE[award.kind],
            can_decide_breach=award.status == "BREACH_RECORDED"
            and user.has_perm(awards.DECIDE_PERMISSION)
            and award.breach_recorded_by_id != user.pk,
            recoveries=recoveries,
            recovery_split=awards.recovery_split(award) if award.recovery_amount else {},
            can_prepare_recovery=award.status == "BROKEN"
            and award.funding_line_id
            and not pending
            and awards.can_prepare_award_recovery(user, award),
            can_decide_recovery=bool(waiting)
            and user.has_perm(awards.DECIDE_PERMISSION)
            and all(r.prepared_by_id != user.pk for r in waiting),
            waiting_recoveries=waiting,
            parent=award.funding_line or award.dossier,
        )
        return context


class AwardStepView(ScopedAwardMixin, FormView):
    """Confirm one step of an award's lifecycle: what it does, its date; errors by the field."""

    template_name = "calls/award_step.html"
    form_class = AwardStepForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)

    def get_step(self):
        step = award_states.transition(self.award.kind, self.kwargs["event"])
        if step is None or step.own_page:
            raise PermissionDenied(_("Cette étape n'existe pas pour ce dispositif."))
        if not awards.can_manage_awards(self.request.user, self.award.region):
            raise PermissionDenied(
                _("Seul un chargé de mission ARS de la région fait avancer une attribution.")
            )
        return step

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["date_label"] = self.get_step().date_label
        return kwargs

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=INVALID_FORM_STATUS)

    def form_valid(self, form):
        try:
            awards.advance_award(
                actor=self.request.user,
                award=self.award,
                event=self.kwargs["event"],
                date=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error, {"event": None})
            return self.form_invalid(form)
        return redirect("calls:award_detail", pk=self.award.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        step = self.get_step()
        context.update(
            award=self.award,
            step=step,
            allowed=self.award.status in step.sources,
            target_label=AwardStatus(step.target).label,
            detail_url=reverse("calls:award_detail", args=[self.award.pk]),
        )
        return context


class AwardRecoveryView(ScopedAwardMixin, FormView):
    """Decide the recoveries of an award's repayment: a validator who did not prepare them."""

    template_name = "calls/award_recovery.html"
    form_class = RecoveryDecisionForm

    def get_form(self, form_class=None):
        if not self.request.user.has_perm(awards.DECIDE_PERMISSION):
            raise PermissionDenied(_("Seul un validateur ARS décide une reprise."))
        return super().get_form(form_class)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=INVALID_FORM_STATUS)

    def form_valid(self, form):
        try:
            awards.decide_award_recovery(
                actor=self.request.user,
                award=self.award,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        return redirect("calls:award_detail", pk=self.award.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recoveries = awards.award_recoveries(self.award)
        waiting = [r for r in recoveries if r.status == "PREPARED"]
        context.update(
            award=self.award,
            recoveries=recoveries,
            waiting=waiting,
            waiting_total=sum((r.amount for r in waiting), ZERO),
            own=any(r.prepared_by_id == self.request.user.pk for r in waiting),
            detail_url=reverse("calls:award_detail", args=[self.award.pk]),
        )
        return context
