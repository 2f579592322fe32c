"""The campaign form: its region among the user's, its calendar and its envelope."""

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.money import MAX_AMOUNT
from contracts.schemes import SchemeCode

from .ds_mappings import KNOWN_FORMS
from .models import DocumentKind, DossierState


def _date(label, required=False):
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _datetime(label, help_text=""):
    return forms.DateTimeField(
        label=label,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
    )


class CampaignForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Région"), queryset=None)
    scheme = forms.ChoiceField(label=_("Dispositif"), choices=SchemeCode.choices)
    year = forms.IntegerField(label=_("Année"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    envelope_amount = forms.DecimalField(
        label=_("Enveloppe (€)"), min_value=0, max_value=MAX_AMOUNT, decimal_places=2
    )
    opens_at = _datetime(_("Ouverture (heure de Paris)"))
    deadline_at = _datetime(
        _("Date limite de dépôt (heure de Paris)"),
        _("Par exemple 10/05/2024 23:59:59 : un dossier déposé après est irrecevable."),
    )
    instruction_start_date = _date(_("Début de l'instruction"))
    instruction_end_date = _date(_("Fin de l'instruction"))
    complements_deadline_date = _date(_("Date limite des compléments"))
    answer_date = _date(_("Date de réponse"))
    notification_from_date = _date(_("Notification à partir du"))
    contracting_from_date = _date(_("Conventionnement à partir du"))
    consumption_deadline_date = _date(_("Consommation des crédits jusqu'au"))
    required_documents = forms.MultipleChoiceField(
        label=_("Pièces obligatoires"),
        choices=DocumentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Vide : les pièces du cahier des charges du dispositif."),
    )
    ds_demarche_number = forms.IntegerField(
        label=_("Numéro de démarche Démarches simplifiées"), required=False, min_value=1
    )
    ds_form = forms.ChoiceField(
        label=_("Formulaire DS"),
        required=False,
        choices=[("", _("— à lier plus tard —"))]
        + [(code, label) for code, (label, _mapping) in KNOWN_FORMS.items()],
        help_text=_("Correspondance des champs du formulaire DS avec les données du dossier."),
    )
    contact_email = forms.EmailField(label=_("Courriel de contact"), required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def clean(self):
        data = super().clean()
        opens_at, deadline_at = data.get("opens_at"), data.get("deadline_at")
        if opens_at and deadline_at and deadline_at <= opens_at:
            self.add_error("deadline_at", _("La date limite doit suivre l'ouverture."))
        start, end = data.get("instruction_start_date"), data.get("instruction_end_date")
        if start and end and end < start:
            self.add_error(
                "instruction_end_date", _("L'instruction doit finir après avoir commencé.")
            )
        code = data.pop("ds_form", "")
        data["ds_champ_mapping"] = dict(KNOWN_FORMS[code][1]) if code else {}
        return data


class DossierFilterForm(forms.Form):
    """The dashboard's filters, read from the URL (GET) so a filtered view can be shared."""

    state = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[("", _("Tous les états"))]
        + [(s.value, s.label) for s in DossierState if s != DossierState.DRAFT],
    )

    def filter(self, dossiers):
        """Return ``dossiers`` narrowed by the valid filters (all of them if none is valid)."""
        if self.is_valid() and self.cleaned_data["state"]:
            return dossiers.filter(state=self.cleaned_data["state"])
        return dossiers


class CommitteeForm(forms.Form):
    """A session of the selection committee."""

    session_date = forms.DateField(
        label=_("Date de la séance"), widget=forms.DateInput(attrs={"type": "date"})
    )
    members = forms.CharField(
        label=_("Membres ARS présents"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    external_partners = forms.CharField(
        label=_("Partenaires extérieurs"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : CARSAT Nord-Est, CARSAT Alsace-Moselle."),
    )
    minutes = forms.CharField(
        label=_("Procès-verbal"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
