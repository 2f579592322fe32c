"""The filter form of the regional overview (GET: the values stay in the URL)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.schemes import SchemeCode
from territories.access import visible_hospital_groups

from .selectors import DEFAULT_SORT, SORT_KEYS, OverviewFilters

SORT_CHOICES = [
    ("reference", _("Référence")),
    ("ght", _("GHT")),
    ("-delegated_rate", _("Consommé / délégué (décroissant)")),
    ("delegated_rate", _("Consommé / délégué (croissant)")),
    ("-allocated_rate", _("Consommé / alloué (décroissant)")),
    ("allocated_rate", _("Consommé / alloué (croissant)")),
    ("-late", _("Jalons en retard (décroissant)")),
    ("-pending", _("Décisions en attente (décroissant)")),
]


class OverviewFilterForm(forms.Form):
    ght = forms.ModelChoiceField(
        label=_("GHT"), queryset=None, required=False, empty_label=_("Tous")
    )
    scheme = forms.ChoiceField(
        label=_("Dispositif"), choices=[("", _("Tous")), *SchemeCode.choices], required=False
    )
    axis = forms.IntegerField(label=_("Axe n°"), min_value=1, max_value=99, required=False)
    year = forms.IntegerField(label=_("Année"), min_value=2000, max_value=2100, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ght"].queryset = visible_hospital_groups(user).order_by("name")

    def filters(self) -> OverviewFilters:
        if not self.is_valid():
            return OverviewFilters()
        data = self.cleaned_data
        return OverviewFilters(
            hospital_group_id=data["ght"].pk if data["ght"] else None,
            scheme=data["scheme"] or None,
            axis_number=data["axis"],
            year=data["year"],
        )

    def sort(self) -> str:
        value = (self.data.get("sort") or DEFAULT_SORT).strip()
        return value if value.lstrip("-") in SORT_KEYS else DEFAULT_SORT
