"""Writes on the territory: scopes granted to users."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from guardian.shortcuts import assign_perm

from .models import HospitalGroup, Region
from .roles import (
    HOSPITAL_GROUP_SCOPE_PERMISSION,
    NATIONAL_SCOPE_GROUP_NAME,
    REGION_SCOPE_PERMISSION,
    hospital_group_scope_group_name,
    region_scope_group_name,
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
