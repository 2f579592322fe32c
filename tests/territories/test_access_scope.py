import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from territories.access import (
    grant_hospital_group_scope,
    grant_national_scope,
    grant_region_scope,
    visible_hospital_groups,
)

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
