"""The permissions every page asks first: Django's answer, read in one query with the
user's scope (which every page asks next)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.utils.functional import SimpleLazyObject

from config.auth_backends import DemoGuardModelBackend
from territories.access import forget_scope, visible_hospital_group_ids, visible_region_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    user = get_user_model().objects.create(username="lecteur")
    user.user_permissions.add(Permission.objects.get(codename="view_permission"))
    both = Permission.objects.get(codename="view_group")  # held directly and via a group
    user.user_permissions.add(both)
    group = Group.objects.create(name="Lecteurs")
    group.permissions.add(both, Permission.objects.get(codename="change_group"))
    user.groups.add(group)
    get_user_model().objects.create(username="autre").user_permissions.add(
        Permission.objects.get(codename="delete_group")
    )
    return user


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_reads_what_django_reads_in_one_query(person, django_assert_num_queries):
    expected = ModelBackend().get_all_permissions(fresh(person))
    assert expected == {"auth.view_permission", "auth.view_group", "auth.change_group"}
    user = fresh(person)
    with django_assert_num_queries(1):
        assert DemoGuardModelBackend().get_all_permissions(user) == expected
        assert user.has_perm("auth.change_group")
        assert not user.has_perm("auth.delete_group")
        assert visible_hospital_group_ids(user) == frozenset()  # read with them


def test_a_superuser_has_every_permission_and_an_inactive_user_none(person):
    person.is_superuser = True
    person.save()
    assert DemoGuardModelBackend().get_all_permissions(fresh(person)) == (
        ModelBackend().get_all_permissions(fresh(person))
    )
    person.is_superuser = False
    person.is_active = False
    person.save()
    assert DemoGuardModelBackend().get_all_permissions(fresh(person)) == set()


def test_the_request_users_scope_is_the_one_read_with_its_permissions(
    person, django_assert_num_queries
):
    """A request's user is a lazy object in front of the user: the permissions (asked of
    the user by Django's backends) and the scope (asked of the lazy object by the pages)
    are one cache, one statement (issue 17: the scope used to be read again)."""
    user = fresh(person)
    lazy = SimpleLazyObject(lambda: user)
    with django_assert_num_queries(1):
        assert lazy.has_perm("auth.change_group")
        assert visible_hospital_group_ids(lazy) == frozenset()
        assert visible_region_ids(lazy) == frozenset()
    forget_scope(lazy)
    with django_assert_num_queries(1):  # forgotten on the user itself: read again, once
        assert visible_hospital_group_ids(lazy) == frozenset()
        assert visible_hospital_group_ids(user) == frozenset()
