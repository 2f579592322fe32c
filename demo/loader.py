"""The demo data set: Grand Est, two GHTs, one account per role, two contracts, one call.

The regions and départements come with ``migrate``; the demo adds people and contracts:
the Aube et Sézannais contract as signed on 29 August 2025 (figures below the envelope are
illustrative, and the contract page says so), and a fictitious draft of GHT Sud Lorraine
to walk through approval; Grand Est's CLACT 2024 call, bound to DS démarche 91234.

Idempotent: a second run finds everything in place and changes nothing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from demo.calls import load_clact_2024_campaign
from demo.contracts import load_contract, load_draft_copy, sign_contract
from territories import reference
from territories.access import (
    ROLE_GROUP_NAMES,
    Role,
    grant_hospital_group_scope,
    grant_national_scope,
    grant_region_scope,
    sync_roles,
)
from territories.models import (
    Department,
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    MembershipRole,
    Region,
)

GRAND_EST_CODE = "44"
AUBE_SEZANNAIS_CODE = "GE-AUBE-SEZANNAIS"
SUD_LORRAINE_CODE = "GE-SUD-LORRAINE"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    role: Role
    scope: str  # "region", "hospital_group" or "national"
    is_staff: bool = False
    hospital_group_code: str = AUBE_SEZANNAIS_CODE


DEMO_ACCOUNTS = [
    DemoAccount("manager", "Claire", "Martin", Role.ARS_MANAGER, "region"),
    DemoAccount("manager2", "Hugo", "Lambert", Role.ARS_MANAGER, "region"),
    DemoAccount("validator", "Paul", "Durand", Role.ARS_VALIDATOR, "region"),
    DemoAccount("director", "Sophie", "Bernard", Role.GHT_DIRECTOR, "hospital_group"),
    DemoAccount(
        "director2",
        "Julien",
        "Moreau",
        Role.GHT_DIRECTOR,
        "hospital_group",
        hospital_group_code=SUD_LORRAINE_CODE,
    ),
    DemoAccount("auditor", "Nadia", "Rousseau", Role.AUDITOR, "national"),
    DemoAccount("admin", "Marc", "Petit", Role.ADMINISTRATOR, "national", is_staff=True),
]


class DemoRefused(RuntimeError):
    """Raised when the demo data would be loaded where demo accounts are off."""


@transaction.atomic
def load_territory() -> tuple[Region, HospitalGroup]:
    """Load the reference territory and GHT Aube et Sézannais with its convention members."""
    reference.load_regions_and_departments()
    region = Region.objects.get(code=GRAND_EST_CODE)
    hospital_group, _ = HospitalGroup.objects.get_or_create(
        code=AUBE_SEZANNAIS_CODE,
        defaults={
            "name": "GHT de l'Aube et du Sézannais",
            "region": region,
            "common_direction": "Hôpitaux Champagne Sud",
            "convention_date": "2016-07-08",
        },
    )
    reference.load_convention_members(
        hospital_group=hospital_group,
        path=reference.FIXTURES_DIR / "ght_aube_sezannais_members_2016.csv",
    )
    return region, hospital_group


@transaction.atomic
def load_second_hospital_group(region: Region) -> HospitalGroup:
    """Create GHT Sud Lorraine with its support establishment, the CHRU de Nancy."""
    hospital_group, _ = HospitalGroup.objects.get_or_create(
        code=SUD_LORRAINE_CODE, defaults={"name": "GHT Sud Lorraine", "region": region}
    )
    support, _ = Establishment.objects.get_or_create(
        finess=None,
        name="Centre hospitalier régional universitaire de Nancy",
        defaults={"commune": "Nancy", "department": Department.objects.get(code="54")},
    )
    HospitalGroupMembership.objects.get_or_create(
        hospital_group=hospital_group,
        establishment=support,
        defaults={"role": MembershipRole.SUPPORT},
    )
    return hospital_group


@transaction.atomic
def load_accounts(*, region: Region, hospital_group: HospitalGroup) -> list:
    """Create one account per role with its scope; existing accounts are left as they are."""
    user_model = get_user_model()
    users = []
    for account in DEMO_ACCOUNTS:
        user, created = user_model.objects.get_or_create(
            username=account.username,
            defaults={
                "first_name": account.first_name,
                "last_name": account.last_name,
                "email": f"{account.username}@demo.invalid",
                "is_staff": account.is_staff,
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[account.role]))
        if account.scope == "region":
            grant_region_scope(user=user, region=region)
        elif account.scope == "hospital_group":
            grant_hospital_group_scope(
                user=user,
                hospital_group=HospitalGroup.objects.get(code=account.hospital_group_code),
            )
        else:
            grant_national_scope(user=user)
        users.append(user)
    return users


def load_demo() -> dict[str, object]:
    """Load the whole demo data set; refuse where demo accounts are off (production)."""
    if not settings.DEMO_ACCOUNTS_ALLOWED:
        raise DemoRefused(
            "Les comptes de démonstration sont interdits avec ces réglages (production)."
        )
    with transaction.atomic():
        sync_roles()
        region, hospital_group = load_territory()
        second_group = load_second_hospital_group(region)
        users = load_accounts(region=region, hospital_group=hospital_group)
        by_name = {user.username: user for user in users}
        contract = load_contract(actor=by_name["manager2"], hospital_group=hospital_group)
        contract = sign_contract(
            contract=contract, submitter=by_name["manager2"], approver=by_name["validator"]
        )
        draft = load_draft_copy(
            actor=by_name["manager"], source=contract, hospital_group=second_group
        )
        campaign = load_clact_2024_campaign(actor=by_name["manager"], region=region)
    return {
        "region": region,
        "hospital_group": hospital_group,
        "second_hospital_group": second_group,
        "users": users,
        "contract": contract,
        "draft_contract": draft,
        "campaign": campaign,
    }
