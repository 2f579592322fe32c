"""The award forms: the fields each scheme's rule reads, and the CAE breach."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AwardKind, IndividualAward

PERSON = ("last_name", "first_name", "identifier")
# The figures each kind's rule reads (``calls.schedules``), in the order of the form.
KIND_FIELDS = {
    AwardKind.IPA: (*PERSON, "start_date", "tuition_amount", "replacement_amount"),
    AwardKind.CAE: (*PERSON, "start_date", "months", "yearly_amount", "commitment_start_date"),
    AwardKind.PET: (
        *PERSON,
        "start_date",
        "months",
        "half_days",
        "other_sites",
        "distance_km",
        "derogation",
    ),
    AwardKind.ASTP: (*PERSON, "start_date", "yearly_amount", "half_days", "other_sites"),
    AwardKind.PECH: (
        *PERSON,
        "start_date",
        "locally_scarce",
        "nationally_scarce",
        "working_time_ratio",
        "appointment_date",
    ),
}
REQUIRED = {
    AwardKind.IPA: {"tuition_amount", "replacement_amount"},
    AwardKind.CAE: {"months", "yearly_amount"},
    AwardKind.PET: {"months", "half_days", "other_sites", "distance_km"},
    AwardKind.ASTP: set(),
    AwardKind.PECH: set(),
}
LABELS = {
    AwardKind.IPA: {
        "start_date": _("Début de la formation"),
        "identifier": _("RPPS de l'infirmier"),
        "tuition_amount": _("Frais pédagogiques (€)"),
        "replacement_amount": _("Coût de remplacement (€)"),
    },
    AwardKind.CAE: {
        "identifier": _("Numéro d'étudiant"),
        "start_date": _("Début de l'allocation"),
        "months": _("Nombre de mois d'allocation financés"),
        "yearly_amount": _("Montant annuel de l'allocation (€)"),
        "commitment_start_date": _("Date d'embauche (début de l'engagement)"),
    },
    AwardKind.PET: {
        "identifier": _("RPPS du praticien"),
        "start_date": _("Début de la convention tripartite"),
        "months": _("Nombre de mois de prime"),
        "half_days": _("Demi-journées hebdomadaires moyennes hors site principal"),
        "other_sites": _("Nombre de sites d'exercice hors site principal"),
    },
    AwardKind.ASTP: {
        "identifier": _("RPPS de l'assistant"),
        "start_date": _("Début de la convention d'exercice partagé (2 ans)"),
        "yearly_amount": _("Part annuelle du traitement financée (€)"),
        "half_days": _("PET de l'assistant : demi-journées hebdomadaires hors site principal"),
        "other_sites": _("PET de l'assistant : nombre de sites hors site principal"),
    },
    AwardKind.PECH: {
        "identifier": _("RPPS du praticien"),
        "start_date": _("Date de la convention d'engagement"),
    },
}
HELP = {
    AwardKind.ASTP: {
        "yearly_amount": _(
            "À renseigner si la campagne n'a pas fixé de coût moyen ; sinon le coût moyen de la "
            "campagne s'applique."
        ),
        "half_days": _("Laisser vide si l'assistant ne perçoit pas de PET."),
    },
    AwardKind.PECH: {
        "working_time_ratio": _("Par exemple 0,5 pour un mi-temps ; vide : temps plein."),
        "appointment_date": _("Date du second versement ; à renseigner à la nomination."),
    },
    AwardKind.CAE: {
        "commitment_start_date": _(
            "L'étudiant s'engage pour le double de la durée financée à compter de cette date."
        ),
    },
}


def award_form_class(kind: str) -> type[forms.Form]:
    """Return the form of an award of ``kind``: its rule's fields and a reason."""
    kind = AwardKind(kind)
    fields = forms.fields_for_model(IndividualAward, fields=KIND_FIELDS[kind])
    for name, field in fields.items():
        field.label = LABELS[kind].get(name, field.label[:1].upper() + field.label[1:])
        field.help_text = HELP.get(kind, {}).get(name, "")
        if name in REQUIRED[kind] or name in (*PERSON, "start_date"):
            field.required = True
        if isinstance(field, forms.DateField):
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    fields["reason"] = forms.CharField(
        label=_("Motif (facultatif)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Repris dans le journal et, pour un contrat signé, dans l'avenant."),
    )
    return type(f"{kind.value.title()}AwardForm", (forms.Form,), fields)


class BreachForm(forms.Form):
    breach_date = forms.DateField(
        label=_("Date de la rupture"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    served_months = forms.IntegerField(
        label=_("Mois d'engagement effectués"), min_value=0, max_value=1000
    )
    reason = forms.CharField(
        label=_("Motif de la rupture"), widget=forms.Textarea(attrs={"rows": 3})
    )


class BreachDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision"),
        choices=[
            ("approve", _("Décider le reversement")),
            ("send_back", _("Renvoyer au chargé de mission")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Motif (obligatoire pour un renvoi)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AwardStepForm(forms.Form):
    """One step of an award's lifecycle: its date and an optional reason."""

    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Repris dans le journal."),
    )

    def __init__(self, *args, date_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if date_label:
            self.fields["date"].label = date_label


class RecoveryDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision"),
        choices=[
            ("approve", _("Valider la reprise")),
            ("send_back", _("Renvoyer pour un nouveau calcul")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Motif (obligatoire pour un renvoi)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
