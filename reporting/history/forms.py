"""The filters of the timeline and of the journal search (GET forms)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import ACTION_CHOICES, OBJECT_TYPE_CHOICES, TimelineFilters


class TimelineFilterForm(forms.Form):
    actor = forms.CharField(label=_("Acteur"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Toutes"))] + ACTION_CHOICES
    )
    object_type = forms.ChoiceField(
        label=_("Type d'objet"),
        required=False,
        choices=[("", _("Tous"))] + OBJECT_TYPE_CHOICES,
    )
    date_from = forms.DateField(
        label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> TimelineFilters:
        """Return the valid filters; an invalid field is ignored (and shown as such)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return TimelineFilters(
            actor=(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=(data.get("q") or "").strip(),
        )

    def as_query(self) -> dict:
        """Return the filters as given, for the journal (what the auditor looked at)."""
        return {name: value for name, value in self.data.items() if name in self.fields and value}


class SearchForm(TimelineFilterForm):
    q = forms.CharField(label=_("Texte"), required=False, max_length=200)

    field_order = ["q", "actor", "action", "object_type", "date_from", "date_to"]
