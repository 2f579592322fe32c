"""The territory as the State's registry knows it: regions, GHTs and FINESS establishments."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .validators import validate_finess, validate_siren, validate_siret


class Region(models.Model):
    """A French region, the territory of one ARS (INSEE region code)."""

    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    agency_name = models.CharField(_("agence régionale de santé"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["name"]
        permissions = [("access_region", _("Accéder aux GHT et contrats de la région"))]

    def __str__(self):
        return self.name


class Department(models.Model):
    """A département; FINESS codes overseas ones 9A-9F, INSEE 971-976."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departments", verbose_name=_("région")
    )

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} – {self.name}"


class LegalEntity(models.Model):
    """A FINESS legal entity (EJ), identified by its FINESS number and its SIREN.

    The number may be unknown (empty) for an entity entered from a GHT convention.
    """

    finess = models.CharField(
        _("FINESS juridique"),
        max_length=9,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_finess],
    )
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    name = models.CharField(_("raison sociale"), max_length=255)
    long_name = models.CharField(_("raison sociale longue"), max_length=255, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_entities",
        verbose_name=_("département"),
    )
    legal_status_code = models.CharField(_("statut juridique"), max_length=4, blank=True)
    finess_plus_id = models.CharField(
        _("identifiant FINESS+"), max_length=20, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("entité juridique")
        verbose_name_plural = _("entités juridiques")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finess__isnull=True) | Q(finess__regex=r"^[0-9][0-9AB][0-9]{7}$"),
                name="legal_entity_finess_shape",
                violation_error_message=_("Le FINESS juridique doit compter 9 caractères."),
            ),
            models.CheckConstraint(
                condition=Q(siren="") | Q(siren__regex=r"^[0-9]{9}$"),
                name="legal_entity_siren_shape",
                violation_error_message=_("Le SIREN doit compter 9 chiffres."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.finess})" if self.finess else self.name


class Establishment(models.Model):
    """A FINESS geographic establishment (ET), a site owned by a legal entity.

    The FINESS number may be unknown (empty) for establishments entered from a
    convention before the registry import; known numbers are unique.
    """

    finess = models.CharField(
        _("FINESS géographique"),
        max_length=9,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_finess],
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    name = models.CharField(_("raison sociale"), max_length=255)
    long_name = models.CharField(_("raison sociale longue"), max_length=255, blank=True)
    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="establishments",
        verbose_name=_("entité juridique"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="establishments",
        verbose_name=_("département"),
    )
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_line = models.CharField(_("ligne d'acheminement"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    category_code = models.CharField(_("code catégorie"), max_length=4, blank=True)
    category_label = models.CharField(_("catégorie"), max_length=255, blank=True)
    category_group_code = models.CharField(_("code agrégat de catégorie"), max_length=4, blank=True)
    category_group_label = models.CharField(_("agrégat de catégorie"), max_length=255, blank=True)
    opened_date = models.DateField(_("date d'ouverture"), null=True, blank=True)
    registry_updated_date = models.DateField(_("mise à jour FINESS"), null=True, blank=True)
    geo_x = models.DecimalField(
        _("coordonnée X"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    geo_y = models.DecimalField(
        _("coordonnée Y"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    geo_source = models.CharField(_("source de géolocalisation"), max_length=255, blank=True)
    finess_plus_id = models.CharField(
        _("identifiant FINESS+"), max_length=20, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finess__isnull=True) | Q(finess__regex=r"^[0-9][0-9AB][0-9]{7}$"),
                name="establishment_finess_shape",
                violation_error_message=_("Le FINESS géographique doit compter 9 caractères."),
            ),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"),
                name="establishment_siret_shape",
                violation_error_message=_("Le SIRET doit compter 14 chiffres."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="establishment_name_required",
                violation_error_message=_("Un établissement doit avoir une raison sociale."),
            ),
        ]
        indexes = [models.Index(fields=["category_code"], name="establishment_category_idx")]

    def __str__(self):
        return f"{self.name} ({self.finess})" if self.finess else self.name


class HospitalGroup(models.Model):
    """A GHT (groupement hospitalier de territoire): one support establishment and members."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=255)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="hospital_groups", verbose_name=_("région")
    )
    convention_date = models.DateField(
        _("date de la convention constitutive"), null=True, blank=True
    )
    common_direction = models.CharField(
        _("direction commune"),
        max_length=255,
        blank=True,
        help_text=_("Nom d'usage de la direction commune ; ce n'est pas une personne morale."),
    )
    finess_plus_id = models.CharField(
        _("identifiant FINESS+"), max_length=20, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("GHT")
        verbose_name_plural = _("GHT")
        ordering = ["name"]
        permissions = [("access_hospitalgroup", _("Accéder au GHT et à ses contrats"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^\S") & Q(name__regex=r"\S"),
                name="hospital_group_code_name_required",
                violation_error_message=_("Un GHT doit avoir un code et un nom."),
            ),
        ]

    def __str__(self):
        return self.name


class MembershipRole(models.TextChoices):
    SUPPORT = "SUPPORT", _("Établissement support")
    MEMBER = "MEMBER", _("Membre")
    PARTNER = "PARTNER", _("Partenaire")


class HospitalGroupMembership(models.Model):
    """The place of an establishment (or a whole legal entity) in a GHT."""

    hospital_group = models.ForeignKey(
        HospitalGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("GHT")
    )
    role = models.CharField(_("rôle"), max_length=10, choices=MembershipRole.choices)
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("établissement"),
    )
    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("entité juridique"),
    )
    note = models.CharField(_("remarque"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("membre de GHT")
        verbose_name_plural = _("membres de GHT")
        ordering = ["hospital_group", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital_group"],
                condition=Q(role="SUPPORT"),
                name="one_support_per_hospital_group",
                violation_error_message=_("Un GHT n'a qu'un seul établissement support."),
            ),
            models.UniqueConstraint(
                fields=["hospital_group", "establishment"],
                name="unique_establishment_per_hospital_group",
                violation_error_message=_("Cet établissement figure déjà dans ce GHT."),
            ),
            models.UniqueConstraint(
                fields=["hospital_group", "legal_entity"],
                name="unique_legal_entity_per_hospital_group",
                violation_error_message=_("Cette entité juridique figure déjà dans ce GHT."),
            ),
            models.CheckConstraint(
                condition=Q(establishment__isnull=False) | Q(legal_entity__isnull=False),
                name="membership_names_a_member",
                violation_error_message=_(
                    "Un membre de GHT est un établissement ou une entité juridique."
                ),
            ),
            models.CheckConstraint(
                condition=Q(role__in=MembershipRole.values),
                name="membership_role_valid",
                violation_error_message=_("Rôle de membre inconnu."),
            ),
        ]

    def __str__(self):
        member = self.establishment or self.legal_entity
        return f"{self.hospital_group} – {member} ({self.get_role_display()})"
