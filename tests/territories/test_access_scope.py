import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm, get_objects_for_user

from territories.access import (
    HOSPITAL_GROUP_SCOPE_PERMISSION,
    REGION_SCOPE_PERMISSION,
    grant_hospital_group_scope,
    grant_national_scope,
    grant_region_scope,
    load_rights,
    load_rights_with,
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


class TestRightsInOneStatement:
    """``load_rights`` reads the model permissions with the scope: they must be the very
    sets Django's ``ModelBackend`` reads, in its own caches."""

    def backend_sets(self, user):
        fresh = type(user).objects.get(pk=user.pk)
        backend = ModelBackend()
        return (
            backend.get_user_permissions(fresh),
            backend.get_group_permissions(fresh),
            backend.get_all_permissions(fresh),
        )

    def test_the_permissions_of_the_user_and_of_their_groups_and_the_scope(self, territory):
        user = UserFactory()
        grant_region_scope(user=user, region=territory["grand_est"])
        first, second = Group.objects.create(name="Premier"), Group.objects.create(name="Second")
        first.permissions.add(*Permission.objects.filter(codename__in=["view_region"]))
        second.permissions.add(
            *Permission.objects.filter(codename__in=["view_region", "change_hospitalgroup"])
        )
        user.groups.add(first, second)
        user.user_permissions.add(
            *Permission.objects.filter(codename__in=["change_hospitalgroup", "add_region"])
        )
        # Someone else's permissions are not the user's.
        UserFactory().user_permissions.add(Permission.objects.get(codename="delete_region"))
        fresh = type(user).objects.get(pk=user.pk)

        with CaptureQueriesContext(connection) as queries:
            load_rights(fresh)
            assert fresh.has_perm("territories.add_region")
            assert fresh.has_perm("territories.view_region")
            assert not fresh.has_perm("territories.delete_region")
            assert visible_hospital_group_ids(fresh) == {
                territory["aube"].pk,
                territory["marne"].pk,
            }

        assert len(queries) == 1
        own, of_groups, every = self.backend_sets(user)
        assert "territories.add_region" in own and "territories.view_region" in of_groups
        assert fresh._user_perm_cache == own
        assert fresh._group_perm_cache == of_groups
        assert fresh._perm_cache == every
        assert fresh.get_all_permissions() == every

    def test_a_user_without_permissions_or_scope(self, territory):
        user = type(UserFactory()).objects.get(pk=UserFactory().pk)

        load_rights(user)

        assert user._perm_cache == set() == self.backend_sets(user)[2]
        assert visible_hospital_group_ids(user) == frozenset()

    def test_reads_nothing_once_read(self, territory):
        user = UserFactory()
        load_rights(user)

        with CaptureQueriesContext(connection) as queries:
            load_rights(user)
            user.has_perm("territories.view_region")

        assert len(queries) == 0

    def test_permissions_django_already_read_are_not_read_again(self, territory):
        user = UserFactory()
        grant_region_scope(user=user, region=territory["grand_est"])
        fresh = type(user).objects.get(pk=user.pk)
        # Django's own backend reads the permissions alone (the project's reads the scope
        # with them: config.auth_backends).
        ModelBackend().get_all_permissions(fresh)

        with CaptureQueriesContext(connection) as queries:
            load_rights(fresh)

        (query,) = queries.captured_queries
        assert "auth_user_user_permissions" not in query["sql"]
        assert visible_region_ids(fresh) == {territory["grand_est"].pk}

    @pytest.mark.parametrize("flag", ["is_superuser", "is_active"])
    def test_superusers_and_inactive_users_are_left_to_django(self, territory, flag):
        user = UserFactory(**{flag: flag == "is_superuser"})
        fresh = type(user).objects.get(pk=user.pk)

        load_rights(fresh)

        assert not hasattr(fresh, "_perm_cache")
        # Django answers as ever: a superuser has every permission, an inactive user none.
        assert fresh.has_perm("territories.delete_region") is (flag == "is_superuser")

    def test_a_question_of_the_page_rides_with_the_rights(self, territory):
        user = UserFactory()
        grant_region_scope(user=user, region=territory["grand_est"])
        fresh = type(user).objects.get(pk=user.pk)
        question = "SELECT 'X', r.id, r.name, NULL FROM territories_region r WHERE r.id = %s"
        expected = self.backend_sets(user)[2]

        with CaptureQueriesContext(connection) as queries:
            rows = load_rights_with(fresh, question, [territory["grand_est"].pk])
            assert fresh.get_all_permissions() == expected
            assert visible_region_ids(fresh) == {territory["grand_est"].pk}

        assert len(queries) == 1
        assert rows == [("X", territory["grand_est"].pk, territory["grand_est"].name, None)]
        # Read already: nothing is run, the caller asks alone.
        with CaptureQueriesContext(connection) as queries:
            assert load_rights_with(fresh, question, [territory["grand_est"].pk]) is None
        assert len(queries) == 0
