"""Who the flows' messages go to: the active members of a role in the process's GHT or
region, each address once, in order (``workflows.notifications._recipients``)."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from territories.access import (
    ROLE_GROUP_NAMES,
    Role,
    hospital_group_scope_group_name,
    region_scope_group_name,
)
from territories.models import HospitalGroup, Region
from workflows.notifications import _recipients

pytestmark = pytest.mark.django_db


def member(username, email, *groups, active=True):
    user = get_user_model().objects.create(username=username, email=email, is_active=active)
    user.groups.add(*groups)
    return user


def test_only_active_members_of_the_role_in_the_scope_with_an_address_once_in_order():
    region = Region.objects.create(code="ZZ1", name="Région des destinataires")
    hospital_group = HospitalGroup.objects.create(code="GHT-ZZ", name="GHT Z", region=region)
    other_group = HospitalGroup.objects.create(code="GHT-YY", name="GHT Y", region=region)
    director = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[Role.GHT_DIRECTOR])[0]
    manager = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[Role.ARS_MANAGER])[0]
    ght = Group.objects.get_or_create(name=hospital_group_scope_group_name(hospital_group))[0]
    other = Group.objects.get_or_create(name=hospital_group_scope_group_name(other_group))[0]
    in_region = Group.objects.get_or_create(name=region_scope_group_name(region))[0]
    member("b", "b@ght.invalid", director, ght)
    member("a", "a@ght.invalid", director, ght, other)  # two scopes: still once
    member("a2", "a@ght.invalid", director, ght)  # the same address twice: sent once
    member("gone", "gone@ght.invalid", director, ght, active=False)
    member("silent", "", director, ght)
    member("elsewhere", "elsewhere@ght.invalid", director, other)
    member("not-director", "manager@ars.invalid", manager, ght, in_region)
    process = SimpleNamespace(hospital_group=hospital_group, region=region)

    assert _recipients(process, Role.GHT_DIRECTOR) == ["a@ght.invalid", "b@ght.invalid"]
    assert _recipients(process, Role.ARS_MANAGER) == ["manager@ars.invalid"]
