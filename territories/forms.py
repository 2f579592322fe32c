"""The GHT form: establishments already imported, chosen in the regions the user manages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Establishment, HospitalGroup, MembershipRole
from .services import HospitalGroupInput


class HospitalGroupForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Nom du GHT"), max_length=255)
    region = forms.ModelChoiceField(label=_("Région"), queryset=None)
    support = forms.ModelChoiceField(label=_("Établissement support"), queryset=None)
    members = forms.ModelMultipleChoiceField(
        label=_("Établissements membres"), queryset=None, required=False
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partenaires (EHPAD, associations…)"), queryset=None, required=False
    )
    convention_date = forms.DateField(
        label=_("Date de la convention constitutive"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    common_direction = forms.CharField(
        label=_("Direction commune (nom d'usage)"), max_length=255, required=False
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        establishments = (
            Establishment.objects.filter(department__region__in=regions)
            .select_related("department")
            .order_by("department__code", "name")
        )
        for name in ("support", "members", "partners"):
            self.fields[name].queryset = establishments
            self.fields[name].label_from_instance = _establishment_label

    @classmethod
    def initial_for(cls, hospital_group: HospitalGroup) -> dict:
        by_role: dict[str, list[int]] = {role: [] for role in MembershipRole.values}
        for membership in hospital_group.memberships.filter(establishment__isnull=False):
            by_role[membership.role].append(membership.establishment_id)
        return {
            "code": hospital_group.code,
            "name": hospital_group.name,
            "region": hospital_group.region_id,
            "support": next(iter(by_role[MembershipRole.SUPPORT]), None),
            "members": by_role[MembershipRole.MEMBER],
            "partners": by_role[MembershipRole.PARTNER],
            "convention_date": hospital_group.convention_date,
            "common_direction": hospital_group.common_direction,
        }

    def to_input(self) -> HospitalGroupInput:
        data = self.cleaned_data
        return HospitalGroupInput(
            code=data["code"],
            name=data["name"],
            region=data["region"],
            support=data["support"],
            members=tuple(data["members"]),
            partners=tuple(data["partners"]),
            convention_date=data["convention_date"],
            common_direction=data["common_direction"],
        )


def _establishment_label(establishment: Establishment) -> str:
    finess = establishment.finess or "sans FINESS"
    department = establishment.department.code if establishment.department else "?"
    return f"{establishment.name} ({department}, {finess})"


class FinessImportForm(forms.Form):
    """An extract of the FINESS registry (CSV) or a FINESS+ feed (JSON), within the size limit."""

    file = forms.FileField(
        label=_("Fichier FINESS (extrait CSV ou flux FINESS+ JSON)"),
        help_text=_(
            "Une simulation vérifie d'abord tout le fichier sans rien enregistrer ; vous "
            "confirmez ensuite l'import."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in ("csv", "json"):
            raise forms.ValidationError(
                _("Le fichier doit être un extrait FINESS (.csv) ou un flux FINESS+ (.json).")
            )
        limit = settings.FINESS_IMPORT_MAX_FILE_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("Le fichier dépasse %(limit)d Mo (limite) : il pèse %(size)d Mo.")
                % {"limit": limit // (1024 * 1024), "size": -(-upload.size // (1024 * 1024))}
            )
        return upload


class MembersImportForm(forms.Form):
    """A CSV file of GHT members, within the size limit."""

    file = forms.FileField(
        label=_("Fichier CSV des membres (code_ght, role, etablissement, finess_entite_juridique)"),
        help_text=_(
            "Une simulation vérifie d'abord tout le fichier sans rien enregistrer ; vous "
            "confirmez ensuite l'import."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Le fichier doit être au format CSV."))
        limit = settings.GHT_MEMBERS_IMPORT_MAX_FILE_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("Le fichier dépasse %(limit)d Mo (limite) : il pèse %(size)d Mo.")
                % {"limit": limit // (1024 * 1024), "size": -(-upload.size // (1024 * 1024))}
            )
        return upload
