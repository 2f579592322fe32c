"""Forms of the workflow steps: what each person types; the services decide."""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from contracts.documents import EVIDENCE_TYPES, SIGNED_DOCUMENT_TYPES, check_document
from contracts.models import ContractStatus, RecoveryMode

APPROVE = "APPROVED"
RETURN = "RETURNED"


class DecisionForm(forms.Form):
    """Approve, or send back with a mandatory reason."""

    approve_label = _("Approuver")
    return_label = _("Renvoyer pour correction")

    decision = forms.ChoiceField(label=_("Décision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Motif"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire en cas de renvoi."),
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


class ContractChoiceForm(forms.Form):
    """Pick a contract among those the user may act on, in a given status."""

    contract = forms.ModelChoiceField(label=_("Contrat"), queryset=None)

    def __init__(self, *args, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts


class SubmitContractForm(ContractChoiceForm):
    comment = forms.CharField(
        label=_("Commentaire pour le validateur"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResubmitContractForm(forms.Form):
    comment = forms.CharField(
        label=_("Corrections apportées"), widget=forms.Textarea(attrs={"rows": 3})
    )


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

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == APPROVE:
            if not (cleaned.get("decision_reference") or "").strip():
                self.add_error("decision_reference", _("La référence de la décision est requise."))
            if not cleaned.get("decision_date"):
                self.add_error("decision_date", _("La date de la décision est requise."))
        return cleaned


class RevisePreparedDelegationForm(forms.Form):
    comment = forms.CharField(
        label=_("Ce qui change par rapport à la version renvoyée"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportMilestoneForm(forms.Form):
    actual_value = forms.DecimalField(label=_("Valeur atteinte"), max_digits=14, decimal_places=2)
    comment = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
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
    comment = forms.CharField(
        label=_("Suite donnée (relance, nouvelle échéance…)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
    comment = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CheckStatementForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("En cas de crédits à reprendre"),
        choices=RecoveryMode.choices,
        widget=forms.RadioSelect,
        initial=RecoveryMode.OFFSET,
    )
    comment = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RecoveryDecisionForm(DecisionForm):
    approve_label = _("Valider la récupération")
    return_label = _("Renvoyer au chargé de mission")


class AmendmentForm(forms.Form):
    """The amendment's reason and, for each figure, its proposed value (blank: unchanged)."""

    reason = forms.CharField(
        label=_("Objet de l'avenant"), widget=forms.Textarea(attrs={"rows": 3})
    )
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
        lines = (
            contract.axes.all()
            .prefetch_related("lines__allocations", "milestones")
            .order_by("number")
        )
        for axis in lines:
            for line in axis.lines.all():
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

    def clean(self):
        cleaned = super().clean()
        if not self.errors and self.proposal().as_json() == {
            "envelope_amount": None,
            "end_date": None,
            "allocations": {},
            "milestones": {},
        }:
            raise forms.ValidationError(_("L'avenant ne change aucun montant ni aucune date."))
        return cleaned


ACTIVE_STATUSES = [ContractStatus.ACTIVE]
