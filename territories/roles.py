"""The roles of the product, each a Django group, and the scope groups of guardian."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A role; its label is the name of its group."""

    ARS_MANAGER = "ARS_MANAGER", _("Chargé de mission ARS")
    ARS_VALIDATOR = "ARS_VALIDATOR", _("Validateur ARS")
    GHT_DIRECTOR = "GHT_DIRECTOR", _("Directeur de GHT")
    AUDITOR = "AUDITOR", _("Auditeur")
    ADMINISTRATOR = "ADMINISTRATOR", _("Administrateur")


# Group names are data (stored in auth_group): they stay in French whatever the language.
ROLE_GROUP_NAMES = {
    Role.ARS_MANAGER: "Chargé de mission ARS",
    Role.ARS_VALIDATOR: "Validateur ARS",
    Role.GHT_DIRECTOR: "Directeur de GHT",
    Role.AUDITOR: "Auditeur",
    Role.ADMINISTRATOR: "Administrateur",
}

NATIONAL_SCOPE_GROUP_NAME = "Périmètre national"
REGION_SCOPE_PERMISSION = "territories.access_region"
HOSPITAL_GROUP_SCOPE_PERMISSION = "territories.access_hospitalgroup"


def region_scope_group_name(region) -> str:
    """Return the name of the group whose members see everything of ``region``."""
    return f"Périmètre région {region.code}"


def hospital_group_scope_group_name(hospital_group) -> str:
    """Return the name of the group whose members see everything of ``hospital_group``."""
    return f"Périmètre GHT {hospital_group.code}"


def user_has_role(user, role: Role) -> bool:
    """Return whether ``user`` belongs to the group of ``role`` (uses the prefetched groups)."""
    name = ROLE_GROUP_NAMES[role]
    return any(group.name == name for group in user.groups.all())
