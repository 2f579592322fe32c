"""Forms of the workflow steps: what each person types; the services decide."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from contracts import services
from contracts.documents import EVIDENCE_TYPES, SIGNED_DOCUMENT_TYPES, check_document
from contracts.exceptions import BusinessRuleError
from contracts.models import ContractStatus, RecoveryMode
from contracts.money import format_euros

APPROVE = "APPROVED"
RETURN = "RETURNED"

#: Longest comment or reason a step keeps (the journal and the pages show it whole).
TEXT_MAX_LENGTH = 2000


def long_text(label, *, required=True, help_text=""):
    """Return a comment or reason field, limited to ``TEXT_MAX_LENGTH`` characters."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text or _("2 000 caractères au plus."),
        error_messages={
            "max_length": _(
                "Le texte est trop long : %(limit_value)d caractères au plus "
                "(vous en avez saisi %(show_value)d)."
            )
        },
    )


class DecisionForm(forms.Form):
    """Approve, or send back with a mandatory reason."""

    approve_label = _("Valider")
    return_label = _("Renvoyer pour correction")

    decision = forms.ChoiceField(label=_("Décision"), widget=forms.RadioSelect)
    reason = long_text(
        _("Motif"),
        required=False,
        help_text=_("Obligatoire en cas de renvoi ; 2 000 caractères au plus."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            (APPROVE, self.approve_label),
            (RETURN, self.return_label),
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == RETURN and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Indiquez le motif du renvoi."))
        return cleaned

    @property
    def approved(self) -> bool:
        return self.cleaned_data["decision"] == APPROVE


class ChosenUnderLock(forms.ModelChoiceField):
    """A choice of object whose chosen one, inside a transaction (a step's POST), is read
    under its row lock and handed to the service as locked (``services.read_locked``):
    one read of it instead of two. The choices themselves are listed without a lock."""

    def to_python(self, value):
        if value in self.empty_values or not transaction.get_connection().in_atomic_block:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        key = self.to_field_name or "pk"
        try:
            return services.read_locked(self.queryset).get(**{key: value})
        except (ValueError, TypeError, self.queryset.model.DoesNotExist, ValidationError):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None


class ContractChoiceForm(forms.Form):
    """Pick a contract among those the user may act on, in a given status."""

    contract = ChosenUnderLock(label=_("Contrat"), queryset=None)

    def __init__(self, *args, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts


class SubmitContractForm(ContractChoiceForm):
    comment = long_text(_("Commentaire pour le validateur"), required=False)


class ResubmitContractForm(forms.Form):
    comment = long_text(_("Corrections apportées"))


class SignatureForm(forms.Form):
    signature_date = forms.DateField(
        label=_("Date de signature"), widget=forms.DateInput(attrs={"type": "date"})
    )
    signatories = forms.CharField(
        label=_("Signataires"),
        max_length=255,
        help_text=_(
            "Par exemple : le directeur général de l'ARS et le directeur de l'établissement support."
        ),
    )
    signed_document = forms.FileField(
        label=_("Contrat signé (PDF)"),
        help_text=_("Le document est conservé et son empreinte SHA-256 inscrite au journal."),
    )

    def __init__(self, *args, contract, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.today = today

    def clean_signature_date(self):
        signature_date = self.cleaned_data["signature_date"]
        problem = self.contract.signature_date_problem(signature_date, today=self.today)
        if problem:
            raise forms.ValidationError(problem)
        return signature_date

    def clean_signed_document(self):
        upload = self.cleaned_data["signed_document"]
        check_document(upload, allowed=SIGNED_DOCUMENT_TYPES)
        return upload


class PrepareDelegationForm(ContractChoiceForm):
    year = forms.IntegerField(label=_("Année"), min_value=2000, max_value=2100)


class DelegationDecisionForm(DecisionForm):
    approve_label = _("Valider la délégation")
    decision_reference = forms.CharField(
        label=_("Référence de la décision"), max_length=60, required=False
    )
    decision_date = forms.DateField(
        label=_("Date de la décision"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, contract, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.today = today

    def clean_decision_date(self):
        decision_date = self.cleaned_data.get("decision_date")
        if decision_date is None:
            return decision_date
        earliest = date(self.contract.start_date.year - 1, 1, 1)
        if decision_date > self.today:
            raise forms.ValidationError(_("La date de la décision ne peut pas être dans le futur."))
        if decision_date < earliest:
            raise forms.ValidationError(
                _(
                    "La date de la décision ne peut pas précéder le %(date)s "
                    "(contrat commencé en %(year)s)."
                )
                % {
                    "date": date_format(earliest, "SHORT_DATE_FORMAT"),
                    "year": self.contract.start_date.year,
                }
            )
        return decision_date

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == APPROVE:
            if not (cleaned.get("decision_reference") or "").strip():
                self.add_error("decision_reference", _("La référence de la décision est requise."))
            if not cleaned.get("decision_date"):
                self.add_error("decision_date", _("La date de la décision est requise."))
        return cleaned


class RevisePreparedDelegationForm(forms.Form):
    comment = long_text(_("Ce qui change par rapport à la version renvoyée"))


class ReportMilestoneForm(forms.Form):
    actual_value = forms.DecimalField(label=_("Valeur atteinte"), max_digits=14, decimal_places=2)
    comment = long_text(_("Commentaire"), required=False)
    evidence = forms.FileField(
        label=_("Pièce justificative"),
        required=False,
        help_text=_("PDF, image PNG ou JPEG, tableur XLSX, document DOCX ou ODT, fichier CSV."),
    )
    evidence_description = forms.CharField(
        label=_("Description de la pièce"), required=False, max_length=255
    )

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload:
            check_document(upload, allowed=EVIDENCE_TYPES)
        return upload


class ContractDecisionForm(DecisionForm):
    approve_label = _("Valider le contrat")


class AmendmentDecisionForm(DecisionForm):
    approve_label = _("Valider l'avenant")


class ReviewMilestoneForm(DecisionForm):
    approve_label = _("Valider")
    return_label = _("Demander un complément")


class FollowUpForm(forms.Form):
    comment = long_text(_("Suite donnée (relance, nouvelle échéance…)"))


class OpenClosingForm(forms.Form):
    allocation = forms.ModelChoiceField(label=_("Ligne et année"), queryset=None)

    def __init__(self, *args, allocations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = allocations
        self.fields["allocation"].label_from_instance = lambda allocation: (
            f"{allocation.funding_line.axis.contract.reference} – "
            f"{allocation.funding_line.code} {allocation.funding_line.label} – {allocation.year}"
        )


class DeclareStatementForm(forms.Form):
    consumed_amount = forms.DecimalField(
        label=_("Crédits consommés (€)"), max_digits=14, decimal_places=2, min_value=0
    )
    non_compliant_amount = forms.DecimalField(
        label=_("Dont dépenses non conformes (€)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        initial=0,
    )
    comment = long_text(_("Commentaire"), required=False)

    def clean(self):
        cleaned = super().clean()
        consumed = cleaned.get("consumed_amount")
        non_compliant = cleaned.get("non_compliant_amount")
        if consumed is not None and non_compliant is not None and non_compliant > consumed:
            self.add_error(
                "non_compliant_amount",
                _(
                    "Les dépenses non conformes ne peuvent pas dépasser les crédits "
                    "consommés déclarés."
                ),
            )
        return cleaned


class CheckStatementForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("En cas de crédits à reprendre"),
        choices=RecoveryMode.choices,
        widget=forms.RadioSelect,
        initial=RecoveryMode.OFFSET,
    )
    comment = long_text(_("Commentaire"), required=False)


class RecoveryDecisionForm(DecisionForm):
    approve_label = _("Valider la reprise")
    return_label = _("Renvoyer au chargé de mission")


class AmendmentForm(forms.Form):
    """The amendment's reason and, for each figure, its proposed value (blank: unchanged)."""

    reason = long_text(_("Objet de l'avenant"))
    envelope_amount = forms.DecimalField(
        label=_("Nouvelle enveloppe (€)"), required=False, max_digits=14, decimal_places=2
    )
    end_date = forms.DateField(
        label=_("Nouvelle date de fin"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.allocation_fields = {}
        self.milestone_fields = {}
        self.lines = {}
        lines = (
            contract.axes.all()
            .prefetch_related("lines__allocations", "milestones")
            .order_by("number")
        )
        for axis in lines:
            for line in axis.lines.all():
                self.lines[line.pk] = line
                for allocation in line.allocations.all():
                    name = f"allocation_{line.pk}_{allocation.year}"
                    self.fields[name] = forms.DecimalField(
                        label=_("Axe %(axis)s, ligne %(line)s, %(year)s (actuel : %(amount)s €)")
                        % {
                            "axis": axis.number,
                            "line": line.code,
                            "year": allocation.year,
                            "amount": allocation.allocated_amount,
                        },
                        required=False,
                        max_digits=14,
                        decimal_places=2,
                        min_value=0,
                    )
                    self.allocation_fields[name] = (line.pk, allocation.year, allocation)
            for milestone in axis.milestones.all():
                name = f"milestone_{milestone.pk}"
                self.fields[name] = forms.DateField(
                    label=_("Échéance « %(title)s » (actuelle : %(due)s)")
                    % {
                        "title": milestone.title,
                        "due": date_format(milestone.due_date, "SHORT_DATE_FORMAT"),
                    },
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
                self.milestone_fields[name] = milestone

    def proposal(self):
        """Return the ``AmendmentProposal`` of the values that differ from the contract."""
        from contracts.services import AmendmentProposal

        data = self.cleaned_data
        proposal = AmendmentProposal()
        if data.get("envelope_amount") is not None and (
            data["envelope_amount"] != self.contract.envelope_amount
        ):
            proposal.envelope_amount = data["envelope_amount"]
        if data.get("end_date") and data["end_date"] != self.contract.end_date:
            proposal.end_date = data["end_date"]
        for name, (line_id, year, allocation) in self.allocation_fields.items():
            value = data.get(name)
            if value is not None and value != allocation.allocated_amount:
                proposal.allocations.setdefault(line_id, {})[year] = value
        for name, milestone in self.milestone_fields.items():
            value = data.get(name)
            if value and value != milestone.due_date:
                proposal.milestones[milestone.pk] = {"due_date": value}
        return proposal

    def _check_period_and_envelope(self, cleaned):
        contract = self.contract
        end_date = cleaned.get("end_date") or contract.end_date
        for name, milestone in self.milestone_fields.items():
            due = cleaned.get(name) or milestone.due_date
            if due and not contract.start_date <= due <= end_date:
                self.add_error(
                    name,
                    _("L'échéance doit tomber dans la période du contrat (%(start)s – %(end)s).")
                    % {
                        "start": date_format(contract.start_date, "SHORT_DATE_FORMAT"),
                        "end": date_format(end_date, "SHORT_DATE_FORMAT"),
                    },
                )
        if self.errors:
            return
        envelope = cleaned.get("envelope_amount")
        if envelope is None:
            envelope = contract.envelope_amount
        total = Decimal("0")
        for name, (_line_id, _year, allocation) in self.allocation_fields.items():
            value = cleaned.get(name)
            total += allocation.allocated_amount if value is None else value
        if total > envelope:
            message = _(
                "Le total programmé après l'avenant (%(total)s) dépasse l'enveloppe (%(envelope)s)."
            ) % {"total": format_euros(total), "envelope": format_euros(envelope)}
            self.add_error("envelope_amount", message)

    def _check_derived_amounts(self):
        """Refuse, next to the first changed field, amounts typed for a line whose amounts
        another layer owns (the sum of its individual awards): the service's own check."""
        from contracts.services.lines import refuse_derived_amounts

        for line_id, amounts in self.proposal().allocations.items():
            try:
                refuse_derived_amounts(self.lines[line_id], amounts)
            except BusinessRuleError as error:
                name = next(
                    name
                    for name, (field_line, year, _allocation) in self.allocation_fields.items()
                    if field_line == line_id and year in amounts
                )
                self.add_error(name, error.messages)

    def clean(self):
        cleaned = super().clean()
        self._check_period_and_envelope(cleaned)
        if not self.errors:
            self._check_derived_amounts()
        if not self.errors and self.proposal().is_empty():
            raise forms.ValidationError(_("L'avenant ne change aucun montant ni aucune date."))
        return cleaned


class ReviseAmendmentForm(AmendmentForm):
    """The sent-back amendment, prefilled: submit it again, corrected, or abandon it."""

    RESUBMIT, ABANDON = "RESUBMIT", "ABANDON"

    action = forms.ChoiceField(
        label=_("Suite à donner"),
        choices=[
            (RESUBMIT, _("Soumettre à nouveau l'avenant corrigé")),
            (ABANDON, _("Abandonner l'avenant")),
        ],
        widget=forms.RadioSelect,
        initial=RESUBMIT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data.get("action") == self.ABANDON:
            for name, field in self.fields.items():
                field.required = name == "action"

    @property
    def abandoned(self) -> bool:
        return self.cleaned_data.get("action") == self.ABANDON

    def clean(self):
        if self.cleaned_data.get("action") == self.ABANDON:
            return self.cleaned_data
        return super().clean()


def amendment_initial(amendment) -> dict:
    """Return the form values of ``amendment``'s proposal, to prefill its correction."""
    from contracts.services import AmendmentProposal

    proposal = AmendmentProposal.from_json(amendment.proposed)
    initial = {"reason": amendment.reason}
    if proposal.envelope_amount is not None:
        initial["envelope_amount"] = proposal.envelope_amount
    if proposal.end_date is not None:
        initial["end_date"] = proposal.end_date
    for line_id, years in proposal.allocations.items():
        for year, amount in years.items():
            initial[f"allocation_{line_id}_{year}"] = amount
    for milestone_id, values in proposal.milestones.items():
        if "due_date" in values:
            initial[f"milestone_{milestone_id}"] = values["due_date"]
    return initial


ACTIVE_STATUSES = [ContractStatus.ACTIVE]
