"""Import and export of the territory as spreadsheets (django-import-export)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget, Widget

from audit.spreadsheet import neutralise_cell

from .models import (
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    LegalEntity,
    MembershipRole,
)
from .validators import is_valid_finess, normalize_identifier

ROLE_ALIASES = {
    **{role.value.lower(): role.value for role in MembershipRole},
    **{str(role.label).lower(): role.value for role in MembershipRole},
    "support": MembershipRole.SUPPORT.value,
    "s": MembershipRole.SUPPORT.value,
    "membre": MembershipRole.MEMBER.value,
    "m": MembershipRole.MEMBER.value,
    "partenaire": MembershipRole.PARTNER.value,
}


class FormulaSafeResource(resources.ModelResource):
    """Export every cell neutralised against spreadsheet formulas."""

    def export_field(self, field, instance, **kwargs):
        return neutralise_cell(super().export_field(field, instance, **kwargs))


class RoleWidget(Widget):
    """Read a role as its code (SUPPORT) or its French name (support, membre, partenaire)."""

    def clean(self, value, row=None, **kwargs):
        role = ROLE_ALIASES.get(str(value or "").strip().lower())
        if role is None:
            raise ValueError(
                _("Rôle « %(value)s » inconnu : support, membre ou partenaire.") % {"value": value}
            )
        return role

    def render(self, value, obj=None, **kwargs):
        return value or ""


class KnownKeyWidget(ForeignKeyWidget):
    """Find a row by a key; an unknown key is refused in French, naming what was looked for."""

    def __init__(self, model, field: str, message: str, **kwargs):
        super().__init__(model, field, **kwargs)
        self.message = message

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(self.message % {"value": value}) from None


class EstablishmentWidget(ForeignKeyWidget):
    """Find an establishment by its FINESS number or, failing that, by its exact name."""

    def __init__(self, **kwargs):
        super().__init__(Establishment, "finess", **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        number = normalize_identifier(text)
        if is_valid_finess(number):
            return self.get_queryset(value, row).get(finess=number)
        matches = list(self.get_queryset(value, row).filter(name=text)[:2])
        if len(matches) != 1:
            raise ValueError(
                _("Établissement « %(value)s » : aucun ou plusieurs portent ce nom.")
                % {"value": text}
            )
        return matches[0]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value.finess or value.name


class HospitalGroupMembershipResource(FormulaSafeResource):
    """GHT members, one row each: GHT code, role, establishment, legal entity FINESS."""

    hospital_group = fields.Field(
        attribute="hospital_group",
        column_name="code_ght",
        widget=KnownKeyWidget(
            HospitalGroup, "code", _("GHT « %(value)s » inconnu (colonne code_ght).")
        ),
    )
    role = fields.Field(attribute="role", column_name="role", widget=RoleWidget())
    establishment = fields.Field(
        attribute="establishment", column_name="etablissement", widget=EstablishmentWidget()
    )
    legal_entity = fields.Field(
        attribute="legal_entity",
        column_name="finess_entite_juridique",
        widget=KnownKeyWidget(
            LegalEntity,
            "finess",
            _(
                "Entité juridique de FINESS « %(value)s » inconnue (colonne finess_entite_juridique)."
            ),
        ),
    )

    class Meta:
        model = HospitalGroupMembership
        fields = ("hospital_group", "role", "establishment", "legal_entity")
        import_id_fields = ("hospital_group", "establishment", "legal_entity")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return (
            super().get_queryset().select_related("hospital_group", "establishment", "legal_entity")
        )

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.establishment_id is None and instance.legal_entity_id is None:
            raise ValidationError(
                _("Indiquez un établissement ou le FINESS d'une entité juridique.")
            )


class EstablishmentResource(FormulaSafeResource):
    """Establishments as the registry knows them, for export."""

    legal_entity = fields.Field(
        attribute="legal_entity",
        column_name="finess_entite_juridique",
        widget=ForeignKeyWidget(LegalEntity, "finess"),
    )
    department = fields.Field(
        attribute="department__code", column_name="departement", readonly=True
    )

    class Meta:
        model = Establishment
        fields = (
            "finess",
            "siret",
            "name",
            "long_name",
            "legal_entity",
            "department",
            "commune",
            "address",
            "postal_line",
            "phone",
            "category_code",
            "category_label",
            "opened_date",
            "registry_updated_date",
        )
        export_order = fields
        import_id_fields = ("finess",)

    def get_queryset(self):
        return super().get_queryset().select_related("legal_entity", "department")
