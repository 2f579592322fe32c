import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm, get_objects_for_user

from territories.access import (
    HOSPITAL_GROUP_SCOPE_PERMISSION,
    REGION_SCOPE_PERMISSION,
    grant_hospital_group_scope,
    grant_national_scope,
    grant_region_scope,
    visible_hospital_group_ids,
    visible_hospital_groups,
    visible_region_ids,
)
from territories.models import HospitalGroup, Region

from .factories import HospitalGroupFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    grand_est, other_region = RegionFactory(), RegionFactory()
    return {
        "grand_est": grand_est,
        "aube": HospitalGroupFactory(region=grand_est),
        "marne": HospitalGroupFactory(region=grand_est),
        "elsewhere": HospitalGroupFactory(region=other_region),
    }


def visible(user) -> set:
    return set(visible_hospital_groups(user))


class TestVisibleHospitalGroups:
    def test_a_ght_director_sees_only_their_ght(self, territory):
        director = UserFactory()
        grant_hospital_group_scope(user=director, hospital_group=territory["aube"])

        assert visible(director) == {territory["aube"]}

    def test_a_regional_user_sees_the_ghts_of_their_region(self, territory):
        manager = UserFactory()
        grant_region_scope(user=manager, region=territory["grand_est"])

        assert visible(manager) == {territory["aube"], territory["marne"]}

    def test_a_national_user_sees_every_ght(self, territory):
        auditor = UserFactory()
        grant_national_scope(user=auditor)

        assert visible(auditor) == set(territory.values()) - {territory["grand_est"]}

    def test_an_anonymous_user_sees_none(self, territory):
        assert visible(AnonymousUser()) == set()

    def test_an_inactive_user_sees_none_even_with_a_scope(self, territory):
        former = UserFactory(inactive=True)
        grant_region_scope(user=former, region=territory["grand_est"])

        assert visible(former) == set()

    def test_a_user_without_scope_sees_none(self, territory):
        assert visible(UserFactory()) == set()

    def test_filters_in_sql_whatever_the_number_of_ghts(self, territory):
        manager = UserFactory()
        grant_region_scope(user=manager, region=territory["grand_est"])

        def queries() -> int:
            user = type(manager).objects.get(pk=manager.pk)
            with CaptureQueriesContext(connection) as context:
                list(visible_hospital_groups(user))
            return len(context)

        few = queries()
        HospitalGroupFactory.create_batch(20, region=territory["grand_est"])

        assert queries() == few

    def test_reads_the_ids_once_per_user_object_and_filters_on_them(self, territory):
        manager = UserFactory()
        grant_region_scope(user=manager, region=territory["grand_est"])
        user = type(manager).objects.get(pk=manager.pk)
        list(visible_hospital_groups(user))  # reads the scope ids
        with CaptureQueriesContext(connection) as context:
            assert visible(user) == {territory["aube"], territory["marne"]}
        (query,) = context.captured_queries
        # The GHTs by their ids, not guardian's permission subquery (planner estimates).
        assert "guardian" not in query["sql"]

    def test_a_new_grant_is_seen_by_the_same_user_object(self, territory):
        manager = UserFactory()
        grant_region_scope(user=manager, region=territory["grand_est"])
        assert visible(manager) == {territory["aube"], territory["marne"]}

        grant_hospital_group_scope(user=manager, hospital_group=territory["elsewhere"])

        assert visible(manager) == set(territory.values()) - {territory["grand_est"]}


class TestScopeIdsAsGuardianReadsThem:
    """The scope ids come from one raw query: they must be what guardian answers."""

    def guardian_ids(self, user, permission, model):
        objects = get_objects_for_user(user, permission, klass=model, accept_global_perms=False)
        return set(objects.values_list("pk", flat=True))

    def expected_hospital_groups(self, user):
        regions = self.guardian_ids(user, REGION_SCOPE_PERMISSION, Region)
        direct = self.guardian_ids(user, HOSPITAL_GROUP_SCOPE_PERMISSION, HospitalGroup)
        return direct | set(
            HospitalGroup.objects.filter(region__in=regions).values_list("pk", flat=True)
        )

    def test_grants_to_groups_and_to_the_user_alone_and_foreign_permissions(self, territory):
        third = RegionFactory()
        lone = HospitalGroupFactory(region=third)
        user = UserFactory()
        grant_hospital_group_scope(user=user, hospital_group=territory["elsewhere"])
        grant_region_scope(user=user, region=territory["grand_est"])
        # Granted to the user alone (guardian's user object permission), not to a group.
        assign_perm("territories.access_hospitalgroup", user, lone)
        # Another permission on a region, and a scope granted to someone else: not scope.
        assign_perm("territories.change_region", user, third)
        grant_region_scope(user=UserFactory(), region=third)
        fresh = type(user).objects.get(pk=user.pk)

        with CaptureQueriesContext(connection) as queries:
            regions = visible_region_ids(fresh)
            hospital_groups = visible_hospital_group_ids(fresh)

        assert len(queries) == 1  # both sets, one query
        assert regions == self.guardian_ids(fresh, REGION_SCOPE_PERMISSION, Region)
        assert regions == {territory["grand_est"].pk}
        assert hospital_groups == self.expected_hospital_groups(fresh)
        assert hospital_groups == {
            territory["aube"].pk,
            territory["marne"].pk,
            territory["elsewhere"].pk,
            lone.pk,
        }

    def test_a_user_without_grants_sees_no_ids(self, territory):
        user = UserFactory()

        assert visible_region_ids(user) == frozenset()
        assert visible_hospital_group_ids(user) == frozenset()
