"""Forms of the dossier steps: what the instructor and the committee's recorder type."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from calls.models import (
    SCORE_FIELDS,
    CommitteeOutcome,
    DossierReview,
    FundingInstrument,
    Opinion,
    SelectionCommittee,
)
from calls.services_decisions import action_cap
from calls.services_funding import convention_period
from contracts.models import ContractStatus, StrategicAxis
from contracts.money import format_euros
from contracts.selectors import visible_contracts

from .forms import long_text

COMPLETE, INCOMPLETE = "COMPLETE", "INCOMPLETE"
# The latest complements deadline accepted: its timer fires the next day (no date overflow).
LATEST_DEADLINE = datetime.date(2099, 12, 31)


def amount_field(label, *, initial=None, help_text=""):
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        initial=initial,
        help_text=help_text,
    )


class CheckDossierForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Pièces du dossier"),
        widget=forms.RadioSelect,
        choices=[
            (COMPLETE, _("Dossier complet : recevable")),
            (INCOMPLETE, _("Demander des compléments au porteur")),
        ],
    )
    message = long_text(
        _("Message au porteur (pièces attendues)"),
        required=False,
        help_text=_("Envoyé sur Démarches simplifiées ; obligatoire pour des compléments."),
    )
    deadline_date = forms.DateField(
        label=_("Date limite des compléments"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Sans retour à cette date, le dossier est rejeté automatiquement."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == INCOMPLETE:
            if not (cleaned.get("message") or "").strip():
                self.add_error("message", _("Écrivez au porteur les pièces attendues."))
            if not cleaned.get("deadline_date"):
                self.add_error("deadline_date", _("Indiquez la date limite des compléments."))
            elif cleaned["deadline_date"] > LATEST_DEADLINE:
                self.add_error("deadline_date", _("Indiquez une date avant le 31/12/2099."))
        return cleaned

    @property
    def complete(self) -> bool:
        return self.cleaned_data["outcome"] == COMPLETE

    def step_values(self) -> dict:
        """Return the arguments of ``steps.check_dossier`` (the page and the API)."""
        return {
            "complete": self.complete,
            "message": self.cleaned_data["message"],
            "deadline_date": self.cleaned_data["deadline_date"],
        }


class RecordComplementsForm(forms.Form):
    received = forms.BooleanField(
        label=_("Les compléments demandés ont été déposés sur Démarches simplifiées"),
    )


def _action_label(action, what) -> str:
    return _("Action %(rank)s : %(what)s") % {"rank": action.rank, "what": what}


def _action_help(action, extra) -> str:
    return _("%(label)s — coût %(cost)s, demandé %(asked)s. %(extra)s") % {
        "label": action.label[:80],
        "cost": format_euros(action.cost_amount),
        "asked": format_euros(action.ars_requested_amount),
        "extra": extra,
    }


class ActionAmountsMixin:
    """One amount field per action of the dossier, named ``action_<id>``."""

    amount_prefix = "action_"
    amount_label = ""

    def add_action_fields(self, actions, *, initial_of, help_text):
        self.actions = list(actions)
        for action in self.actions:
            self.fields[f"{self.amount_prefix}{action.pk}"] = amount_field(
                _action_label(action, self.amount_label),
                initial=initial_of(action),
                help_text=_action_help(action, help_text(action)),
            )

    def amounts(self) -> dict:
        return {
            action.pk: self.cleaned_data[f"{self.amount_prefix}{action.pk}"]
            for action in self.actions
        }


class InstructDossierForm(ActionAmountsMixin, forms.Form):
    amount_label = _("part ARS proposée")
    opinion = forms.ChoiceField(label=_("Avis de l'instructeur"), choices=Opinion.choices)
    comment = long_text(_("Motivation de l'avis"))
    previous_conventions = long_text(
        _("Exécution des conventions CLACT précédentes"),
        required=False,
        help_text=_("Actions financées, réalisées ou non, et explications de l'établissement."),
    )
    has_unexecuted_past_actions = forms.BooleanField(
        label=_("Des actions financées il y a plus de 2 ans n'ont pas été réalisées"),
        required=False,
    )

    def __init__(self, *args, actions, caps, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SCORE_FIELDS:
            label = str(DossierReview._meta.get_field(name).verbose_name)
            self.fields[name] = forms.TypedChoiceField(
                label=label[:1].upper() + label[1:],
                choices=[(n, str(n)) for n in range(4)],
                coerce=int,
                help_text=_("De 0 (absent) à 3 (fort)."),
            )
        self.add_action_fields(
            actions,
            initial_of=lambda action: caps[action.pk],
            help_text=lambda action: (
                _("Plafond : %(cap)s (part ARS du coût, arrondie).")
                % {"cap": format_euros(caps[action.pk])}
            ),
        )

    def scores(self) -> dict:
        return {name: self.cleaned_data[name] for name in SCORE_FIELDS}

    def step_values(self) -> dict:
        """Return the arguments of ``steps.instruct_dossier`` (the page and the API)."""
        data = self.cleaned_data
        return {
            "opinion": data["opinion"],
            "comment": data["comment"],
            "scores": self.scores(),
            "proposed_by_action": self.amounts(),
            "previous_conventions": data["previous_conventions"],
            "has_unexecuted_past_actions": data["has_unexecuted_past_actions"],
        }


def instruct_form_kwargs(dossier) -> dict:
    """Return what ``InstructDossierForm`` needs of ``dossier``: its actions and their caps."""
    actions = list(dossier.actions.order_by("rank"))
    return {
        "actions": actions,
        "caps": {action.pk: action_cap(action, dossier.campaign) for action in actions},
    }


class DecideDossierForm(ActionAmountsMixin, forms.Form):
    amount_label = _("part ARS accordée")
    committee = forms.ModelChoiceField(label=_("Séance du comité"), queryset=None)
    outcome = forms.ChoiceField(label=_("Décision"), choices=CommitteeOutcome.choices)
    reasons = long_text(_("Motifs de la décision"))

    def __init__(self, *args, committees, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees
        self.fields["committee"].empty_label = None
        self.add_action_fields(
            actions,
            initial_of=lambda action: action.ars_proposed_amount,
            help_text=lambda action: (
                _("Proposé par l'instructeur : %(amount)s.")
                % {"amount": format_euros(action.ars_proposed_amount)}
            ),
        )

    def step_values(self) -> dict:
        """Return the arguments of ``steps.decide_dossier`` (the page and the API)."""
        data = self.cleaned_data
        return {
            "committee": data["committee"],
            "outcome": data["outcome"],
            "granted_by_action": self.amounts(),
            "reasons": data["reasons"],
        }


def decide_form_kwargs(dossier) -> dict:
    """Return what ``DecideDossierForm`` needs of ``dossier``: its campaign's sessions, its
    actions."""
    return {
        "committees": SelectionCommittee.objects.filter(campaign_id=dossier.campaign_id).order_by(
            "-session_date"
        ),
        "actions": list(dossier.actions.order_by("rank")),
    }


class NotifyDecisionForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Produire la lettre de décision datée d'aujourd'hui et l'envoyer au porteur"),
    )


class FundDossierForm(forms.Form):
    """How the granted dossier is funded: a line of its GHT's contract by amendment, or a
    funding convention of its own (the contract, axis and code serve the amendment only)."""

    instrument = forms.ChoiceField(
        label=_("Instrument de financement"),
        widget=forms.RadioSelect,
        choices=[
            (
                FundingInstrument.CONTRACT_AMENDMENT,
                _("Avenant au contrat du GHT : une nouvelle ligne du contrat en vigueur"),
            ),
            (
                FundingInstrument.FUNDING_CONVENTION,
                _("Convention de financement avec l'établissement porteur"),
            ),
        ],
    )
    contract = forms.ModelChoiceField(
        label=_("Contrat du GHT"), queryset=None, required=False, help_text=_("Avenant seulement.")
    )
    axis = forms.ModelChoiceField(
        label=_("Axe du contrat"), queryset=None, required=False, help_text=_("Avenant seulement.")
    )
    code = forms.CharField(
        label=_("Code de la nouvelle ligne"),
        max_length=30,
        required=False,
        help_text=_("Avenant seulement ; la convention a une ligne unique, 1.1."),
    )
    indicator_label = forms.CharField(
        label=_("Indicateur suivi"),
        max_length=255,
        initial=_("Taux d'absentéisme"),
        help_text=_("Indicateur de suivi du cahier des charges (par exemple l'absentéisme)."),
    )
    baseline_value = forms.DecimalField(
        label=_("Valeur de départ"), max_digits=14, decimal_places=2
    )
    target_value = forms.DecimalField(label=_("Cible"), max_digits=14, decimal_places=2)
    due_date = forms.DateField(
        label=_("Échéance de l'indicateur"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, contracts, axes, period=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.period = period
        self.fields["contract"].queryset = contracts
        self.fields["axis"].queryset = axes
        self.fields["axis"].label_from_instance = lambda axis: (
            f"{axis.contract.reference} – {axis.number}. {axis.title}"
        )
        if period is not None:
            self.fields["instrument"].help_text = _(
                "Convention : du %(start)s au %(end)s (actions réalisées au plus tard le "
                "%(completion)s, crédits consommés au plus tard le %(deadline)s)."
            ) % {
                "start": f"{period.start_date:%d/%m/%Y}",
                "end": f"{period.end_date:%d/%m/%Y}",
                "completion": f"{period.completion_date:%d/%m/%Y}",
                "deadline": f"{(period.consumption_deadline or period.end_date):%d/%m/%Y}",
            }

    @property
    def by_convention(self) -> bool:
        return self.cleaned_data.get("instrument") == FundingInstrument.FUNDING_CONVENTION

    def clean(self):
        cleaned = super().clean()
        if self.by_convention:
            due = cleaned.get("due_date")
            period = self.period
            if due and period and not period.start_date <= due <= period.end_date:
                self.add_error(
                    "due_date",
                    _(
                        "L'échéance doit tomber dans la période de la convention (%(start)s – %(end)s)."
                    )
                    % {
                        "start": f"{period.start_date:%d/%m/%Y}",
                        "end": f"{period.end_date:%d/%m/%Y}",
                    },
                )
            return cleaned
        if cleaned.get("instrument") != FundingInstrument.CONTRACT_AMENDMENT:
            return cleaned
        for name, message in (
            ("contract", _("Choisissez le contrat du GHT qui reçoit la ligne.")),
            ("axis", _("Choisissez l'axe de la nouvelle ligne.")),
            ("code", _("Indiquez le code de la nouvelle ligne.")),
        ):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, message)
        contract, axis = cleaned.get("contract"), cleaned.get("axis")
        if contract and axis and axis.contract_id != contract.pk:
            self.add_error("axis", _("Choisissez un axe de ce contrat."))
        return cleaned

    def indicators(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "title": _("Indicateur CLACT : %(label)s") % {"label": data["indicator_label"]},
                "due_date": data["due_date"],
                "indicator_label": data["indicator_label"],
                "baseline_value": data["baseline_value"],
                "target_value": data["target_value"],
            }
        ]


def fund_form_kwargs(dossier, user, *, today) -> dict:
    """Return what ``FundDossierForm`` needs: the GHT contracts in force that ``user`` sees in
    the dossier's region, their axes, and the period a convention would cover."""
    contracts = visible_contracts(user).filter(
        status=ContractStatus.ACTIVE, region_id=dossier.campaign.region_id
    )
    return {
        "contracts": contracts,
        "axes": StrategicAxis.objects.filter(contract__in=contracts)
        .select_related("contract")
        .order_by("contract__reference", "number"),
        "period": convention_period(dossier, today=today),
    }
