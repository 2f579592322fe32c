"""Who may see and do what: the one place for roles, their permissions and their scope.

- A *role* is a Django group (``Role``); ``ROLE_PERMISSIONS`` gives each role exactly its
  model and workflow permissions, re-applied after every ``migrate`` (``sync_roles``).
- A *scope* is what a user sees: a region (ARS staff), a GHT (its support establishment's
  director) or the whole country (auditors). It is a guardian object permission held by one
  group per region or GHT (``grant_*_scope``), read in SQL by ``visible_regions`` and
  ``visible_hospital_groups``; every other layer filters its lists through these two.
- Four-eyes (who prepared a decision never decides it) is a property of the decision:
  ``contracts.decisions.FourEyesDecision``.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm, get_objects_for_user

from .models import HospitalGroup, Region


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


# Scope: what a user sees ---------------------------------------------------------------


def has_national_scope(user) -> bool:
    """Return whether ``user`` sees every region (global, not per-object, permission)."""
    return user.is_active and (user.is_superuser or user.has_perm(REGION_SCOPE_PERMISSION))


def visible_regions(user) -> QuerySet[Region]:
    """Return the regions ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if has_national_scope(user):
        return Region.objects.all()
    return get_objects_for_user(
        user, REGION_SCOPE_PERMISSION, klass=Region, accept_global_perms=False
    )


def visible_hospital_groups(user) -> QuerySet[HospitalGroup]:
    """Return the GHTs ``user`` may see: their own GHT(s), or every GHT of their region(s)."""
    if not user.is_authenticated or not user.is_active:
        return HospitalGroup.objects.none()
    if has_national_scope(user):
        return HospitalGroup.objects.all()
    regions = get_objects_for_user(
        user, REGION_SCOPE_PERMISSION, klass=Region, accept_global_perms=False
    )
    hospital_groups = get_objects_for_user(
        user, HOSPITAL_GROUP_SCOPE_PERMISSION, klass=HospitalGroup, accept_global_perms=False
    )
    return HospitalGroup.objects.filter(
        Q(pk__in=hospital_groups.values("pk")) | Q(region__in=regions.values("pk"))
    )


@transaction.atomic
def grant_region_scope(*, user, region: Region) -> Group:
    """Give ``user`` sight of every GHT and contract of ``region``, through its scope group.

    Object permissions go to one group per region rather than to each user, so the
    permission checks stay one query whatever the number of users.
    """
    group, _ = Group.objects.get_or_create(name=region_scope_group_name(region))
    assign_perm(REGION_SCOPE_PERMISSION, group, region)
    user.groups.add(group)
    return group


@transaction.atomic
def grant_hospital_group_scope(*, user, hospital_group: HospitalGroup) -> Group:
    """Give ``user`` sight of ``hospital_group`` and its contracts, through its scope group."""
    group, _ = Group.objects.get_or_create(name=hospital_group_scope_group_name(hospital_group))
    assign_perm(HOSPITAL_GROUP_SCOPE_PERMISSION, group, hospital_group)
    user.groups.add(group)
    return group


@transaction.atomic
def grant_national_scope(*, user) -> Group:
    """Give ``user`` sight of every region (a global permission, for national auditors)."""
    group, _ = Group.objects.get_or_create(name=NATIONAL_SCOPE_GROUP_NAME)
    app_label, codename = REGION_SCOPE_PERMISSION.split(".")
    group.permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    user.groups.add(group)
    return group


# What each role may do -------------------------------------------------------------------

TERRITORY_MODELS = [
    "territories.region",
    "territories.department",
    "territories.legalentity",
    "territories.establishment",
    "territories.hospitalgroup",
    "territories.hospitalgroupmembership",
]
CONTRACT_MODELS = [
    "contracts.contract",
    "contracts.strategicaxis",
    "contracts.fundingline",
    "contracts.yearlyallocation",
    "contracts.milestone",
    "contracts.evidencedocument",
    "contracts.creditdelegation",
    "contracts.creditdelegationline",
    "contracts.consumptionstatement",
    "contracts.recovery",
    "contracts.amendment",
]
JOURNAL_MODELS = ["audit.auditevent"]


def _perms(actions: list[str], models: list[str]) -> list[str]:
    perms = []
    for model in models:
        app_label, model_name = model.split(".")
        perms.extend(f"{app_label}.{action}_{model_name}" for action in actions)
    return perms


PROCESS_MODELS = ["workflows.contractprocess"]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.ARS_MANAGER: [
        *_perms(["view"], TERRITORY_MODELS + JOURNAL_MODELS + PROCESS_MODELS),
        *_perms(["view", "add", "change"], CONTRACT_MODELS),
        "workflows.submit_contract",
        "workflows.record_signature",
        "workflows.prepare_delegation",
        "workflows.review_milestone",
        "workflows.check_statement",
        "workflows.draft_amendment",
    ],
    Role.ARS_VALIDATOR: [
        *_perms(["view"], TERRITORY_MODELS + CONTRACT_MODELS + JOURNAL_MODELS + PROCESS_MODELS),
        "workflows.approve_contract",
        "workflows.approve_delegation",
        "workflows.approve_recovery",
        "workflows.approve_amendment",
    ],
    Role.GHT_DIRECTOR: [
        *_perms(["view"], TERRITORY_MODELS + CONTRACT_MODELS + PROCESS_MODELS),
        "contracts.add_evidencedocument",
        "workflows.report_milestone",
        "workflows.submit_statement",
    ],
    Role.AUDITOR: [
        *_perms(["view"], TERRITORY_MODELS + CONTRACT_MODELS + JOURNAL_MODELS + PROCESS_MODELS),
    ],
    Role.ADMINISTRATOR: [
        *_perms(["view", "add", "change", "delete"], TERRITORY_MODELS),
        *_perms(["view"], CONTRACT_MODELS + JOURNAL_MODELS + PROCESS_MODELS),
        *_perms(["view", "add", "change"], ["auth.user", "auth.group"]),
    ],
}


def _permission_objects(codes: list[str]) -> list[Permission]:
    query = Q()
    for code in codes:
        app_label, codename = code.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = set(codes) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"Permissions inconnues pour les rôles : {', '.join(sorted(missing))}")
    return found


@transaction.atomic
def sync_roles() -> dict[str, int]:
    """Create the role groups and give each exactly its permissions; return counts per group."""
    counts = {}
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
        group.permissions.set(_permission_objects(codes))
        counts[group.name] = len(codes)
    return counts


def sync_roles_after_migrate(sender, using="default", **kwargs):
    """Keep the role groups in step with the code after every ``migrate``."""
    sync_roles()
