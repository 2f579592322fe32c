"""Reads of the territory, always filtered in SQL to what a user may see."""

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from .models import HospitalGroup, Region
from .roles import HOSPITAL_GROUP_SCOPE_PERMISSION, REGION_SCOPE_PERMISSION


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
