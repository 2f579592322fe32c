"""The world of the workflow tests, built from factories and the reference contract data.

A region, a GHT with its support and member establishments, one account per role under
the demo's user names (so ``client_for("manager")`` reads as the demo does), and the
Aube et Sézannais contract structure (``fixtures/contract_aube_sezannais_2025.json``)
created as a draft through the services. The demo loader is not used: the demo can
change (people, states, a second contract) without moving these tests.
"""

from django.contrib.auth import get_user_model

from contracts.models import Contract
from demo.contracts import load_contract
from territories.access import Role, sync_roles
from territories.models import HospitalGroup
from tests.contracts.factories import user_with_role
from tests.territories.factories import (
    EstablishmentFactory,
    HospitalGroupFactory,
    HospitalGroupMembershipFactory,
    RegionFactory,
)

REGION_CODE = "44"
HOSPITAL_GROUP_CODE = "GE-AUBE-SEZANNAIS"
CONTRACT_REFERENCE = "CAT-GE-2025-AUBE-SEZANNAIS"
SUPPORT = "Centre hospitalier de Troyes"
MEMBERS = [
    "Centre hospitalier de Bar-sur-Aube",
    "Etablissement public de santé mentale de l'Aube (EPSMA)",
    "Groupement Hospitalier Aube Marne (GHAM) – site de Romilly-sur-Seine",
]
# user name, role, scope ("region", "hospital_group" or "national"), staff
ACCOUNTS = [
    ("manager", Role.ARS_MANAGER, "region"),
    ("manager2", Role.ARS_MANAGER, "region"),
    ("validator", Role.ARS_VALIDATOR, "region"),
    ("director", Role.GHT_DIRECTOR, "hospital_group"),
    ("auditor", Role.AUDITOR, "national"),
]


def build_world() -> dict:
    """Create the region, the GHT, the accounts and the draft contract; return them.

    A second call returns the world already built.
    """
    hospital_group = HospitalGroup.objects.filter(code=HOSPITAL_GROUP_CODE).first()
    if hospital_group is not None:
        return {
            "region": hospital_group.region,
            "hospital_group": hospital_group,
            "users": {
                user.username: user
                for user in get_user_model().objects.filter(
                    username__in=[username for username, _, _ in ACCOUNTS]
                )
            },
            "contract": Contract.objects.get(reference=CONTRACT_REFERENCE),
        }
    sync_roles()
    region = RegionFactory(code=REGION_CODE, name="Grand Est")
    hospital_group = HospitalGroupFactory(
        code=HOSPITAL_GROUP_CODE, name="GHT de l'Aube et du Sézannais", region=region
    )
    HospitalGroupMembershipFactory(
        hospital_group=hospital_group,
        support=True,
        establishment=EstablishmentFactory(name=SUPPORT, department__region=region),
    )
    for name in MEMBERS:
        HospitalGroupMembershipFactory(
            hospital_group=hospital_group,
            establishment=EstablishmentFactory(name=name, department__region=region),
        )
    users = {}
    for username, role, scope in ACCOUNTS:
        users[username] = user_with_role(
            role,
            username=username,
            region=region if scope == "region" else None,
            hospital_group=hospital_group if scope == "hospital_group" else None,
            national=scope == "national",
            email=f"{username}@ars.invalid",
        )
    contract = load_contract(actor=users["manager"], hospital_group=hospital_group)
    return {
        "region": region,
        "hospital_group": hospital_group,
        "users": users,
        "contract": contract,
    }
