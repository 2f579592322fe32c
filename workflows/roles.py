"""What each role may do: the model permissions of its group, kept in sync at migrate time.

Scope (which region or GHT) is separate: per-object permissions on scope groups, see
``territories.services``.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from territories.roles import ROLE_GROUP_NAMES, Role

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
JOURNAL_MODELS = ["contracts.auditevent"]


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
