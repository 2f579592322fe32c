"""Who changes rights: an administrator manages others, never itself; a superuser grants
superuser and staff status, raw permissions and the administrator role; all is journaled."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import reverse
from guardian.shortcuts import assign_perm

from audit.models import AuditEvent
from territories.access import (
    HOSPITAL_GROUP_SCOPE_PERMISSION,
    ROLE_GROUP_NAMES,
    RightsChangeRefused,
    Role,
    acting_as,
    assign_role,
    grant_hospital_group_scope,
    grant_region_scope,
    remove_role,
    set_account_flags,
)

from .factories import HospitalGroupFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    user = UserFactory(staff=True)
    assign_role(actor=None, user=user, role=Role.ADMINISTRATOR)
    return user


@pytest.fixture
def superuser():
    return UserFactory(superuser=True)


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def rights_events(user):
    return AuditEvent.objects.filter(object_type="auth.User", object_id=str(user.pk))


class TestTheRoleService:
    def test_lets_an_administrator_give_a_role_to_someone_else_and_journals_it(self, administrator):
        colleague = UserFactory()
        assign_role(actor=administrator, user=colleague, role=Role.ARS_VALIDATOR)

        assert ROLE_GROUP_NAMES[Role.ARS_VALIDATOR] in group_names(colleague)
        event = rights_events(colleague).latest("id")
        assert event.actor_id == administrator.pk
        assert event.changes["groups"] == {
            "before": [],
            "after": [ROLE_GROUP_NAMES[Role.ARS_VALIDATOR]],
        }

    def test_refuses_an_administrator_its_own_role_in_french(self, administrator):
        events_before = AuditEvent.objects.count()
        with pytest.raises(RightsChangeRefused, match="ses propres rôles"):
            assign_role(actor=administrator, user=administrator, role=Role.ARS_VALIDATOR)

        assert ROLE_GROUP_NAMES[Role.ARS_VALIDATOR] not in group_names(administrator)
        assert AuditEvent.objects.count() == events_before

    def test_refuses_an_administrator_to_drop_its_own_role(self, administrator):
        with pytest.raises(RightsChangeRefused):
            remove_role(actor=administrator, user=administrator, role=Role.ADMINISTRATOR)
        assert ROLE_GROUP_NAMES[Role.ADMINISTRATOR] in group_names(administrator)

    def test_refuses_an_administrator_to_make_another_administrator(self, administrator):
        colleague = UserFactory()
        with pytest.raises(RightsChangeRefused, match="superutilisateur"):
            assign_role(actor=administrator, user=colleague, role=Role.ADMINISTRATOR)
        assert not colleague.groups.exists()

    def test_refuses_a_user_without_the_right_to_manage_users(self):
        manager, colleague = UserFactory(), UserFactory()
        assign_role(actor=None, user=manager, role=Role.ARS_MANAGER)
        with pytest.raises(RightsChangeRefused):
            assign_role(actor=manager, user=colleague, role=Role.ARS_MANAGER)

    def test_lets_a_superuser_make_an_administrator(self, superuser):
        colleague = UserFactory()
        assign_role(actor=superuser, user=colleague, role=Role.ADMINISTRATOR)
        assert ROLE_GROUP_NAMES[Role.ADMINISTRATOR] in group_names(colleague)


class TestTheScopeServices:
    def test_refuse_an_administrator_its_own_scope(self, administrator):
        with pytest.raises(RightsChangeRefused):
            grant_region_scope(actor=administrator, user=administrator, region=RegionFactory())
        assert not administrator.groups.filter(name__startswith="Périmètre").exists()

    def test_journal_a_scope_given_to_someone_else_with_its_actor(self, administrator):
        colleague = UserFactory()
        hospital_group = HospitalGroupFactory()
        group = grant_hospital_group_scope(
            actor=administrator, user=colleague, hospital_group=hospital_group
        )

        event = rights_events(colleague).latest("id")
        assert event.actor_id == administrator.pk
        assert event.changes["groups"]["after"] == [group.name]

    def test_refuse_a_scope_group_joined_from_the_group_side(self, administrator):
        group = grant_region_scope(user=UserFactory(), region=RegionFactory())
        with acting_as(administrator), pytest.raises(RightsChangeRefused), transaction.atomic():
            group.user_set.add(administrator)
        assert not administrator.groups.filter(pk=group.pk).exists()

    def test_refuse_an_object_permission_an_administrator_gives_itself(self, administrator):
        hospital_group = HospitalGroupFactory()
        with acting_as(administrator), pytest.raises(RightsChangeRefused), transaction.atomic():
            assign_perm(HOSPITAL_GROUP_SCOPE_PERMISSION, administrator, hospital_group)
        assert not administrator.has_perm(HOSPITAL_GROUP_SCOPE_PERMISSION, hospital_group)


class TestAccountFlags:
    def test_are_a_superusers_to_give_and_journaled(self, superuser):
        colleague = UserFactory()
        set_account_flags(actor=superuser, user=colleague, is_staff=True)

        colleague.refresh_from_db()
        assert colleague.is_staff
        event = rights_events(colleague).latest("id")
        assert event.actor_id == superuser.pk
        assert event.changes == {"is_staff": {"before": False, "after": True}}

    @pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
    def test_are_refused_to_an_administrator(self, administrator, flag):
        colleague = UserFactory()
        with pytest.raises(RightsChangeRefused, match="Seul un superutilisateur"):
            set_account_flags(actor=administrator, user=colleague, **{flag: True})
        colleague.refresh_from_db()
        assert not getattr(colleague, flag)

    def test_raw_permissions_are_refused_to_an_administrator(self, administrator):
        colleague = UserFactory()
        permission = Permission.objects.get(codename="change_user")
        with acting_as(administrator), pytest.raises(RightsChangeRefused), transaction.atomic():
            colleague.user_permissions.add(permission)
        assert not colleague.user_permissions.exists()


def user_form(user, **extra) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%d/%m/%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
    }
    data.update(extra)
    return data


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


class TestTheUserAdmin:
    def test_refuses_an_administrator_posting_is_superuser_on_itself(self, client, administrator):
        client.force_login(administrator)
        response = client.post(
            change_url(administrator),
            user_form(administrator, is_superuser="on", is_staff="on"),
        )

        assert response.status_code == 403
        administrator.refresh_from_db()
        assert not administrator.is_superuser

    def test_refuses_an_administrator_joining_the_validator_group(self, client, administrator):
        client.force_login(administrator)
        validators = Group.objects.get(name=ROLE_GROUP_NAMES[Role.ARS_VALIDATOR])
        data = user_form(administrator)
        data["groups"].append(str(validators.pk))

        response = client.post(change_url(administrator), data)

        assert response.status_code == 403
        assert validators.name not in group_names(administrator)

    def test_refuses_an_administrator_posting_is_superuser_on_someone_else(
        self, client, administrator
    ):
        colleague = UserFactory()
        client.force_login(administrator)
        response = client.post(change_url(colleague), user_form(colleague, is_superuser="on"))

        assert response.status_code == 403
        colleague.refresh_from_db()
        assert not colleague.is_superuser
        assert not colleague.is_staff

    def test_shows_the_flags_read_only_and_offers_no_administrator_role(
        self, client, administrator
    ):
        colleague = UserFactory()
        client.force_login(administrator)
        form = client.get(change_url(colleague)).context["adminform"].form

        assert "is_superuser" not in form.fields
        assert "is_staff" not in form.fields
        assert "user_permissions" not in form.fields
        offered = set(form.fields["groups"].queryset.values_list("name", flat=True))
        assert ROLE_GROUP_NAMES[Role.ADMINISTRATOR] not in offered
        assert ROLE_GROUP_NAMES[Role.ARS_VALIDATOR] in offered

    def test_lets_an_administrator_give_a_role_to_someone_else_and_journals_it(
        self, client, administrator
    ):
        colleague = UserFactory()
        validators = Group.objects.get(name=ROLE_GROUP_NAMES[Role.ARS_VALIDATOR])
        client.force_login(administrator)
        data = user_form(colleague)
        data["groups"].append(str(validators.pk))

        response = client.post(change_url(colleague), data)

        assert response.status_code == 302
        assert validators.name in group_names(colleague)
        event = rights_events(colleague).latest("id")
        assert event.actor_id == administrator.pk
        assert event.changes["groups"]["after"] == [validators.name]

    def test_lets_a_superuser_grant_staff_status_and_journals_it(self, client, superuser):
        colleague = UserFactory()
        client.force_login(superuser)
        response = client.post(change_url(colleague), user_form(colleague, is_staff="on"))

        assert response.status_code == 302
        colleague.refresh_from_db()
        assert colleague.is_staff
        event = rights_events(colleague).latest("id")
        assert event.actor_id == superuser.pk
        assert event.changes == {"is_staff": {"before": False, "after": True}}


class TestTheGroupAdmin:
    def test_ignores_and_refuses_permissions_posted_by_an_administrator(
        self, client, administrator
    ):
        group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.AUDITOR])
        held = set(group.permissions.values_list("pk", flat=True))
        change_user = Permission.objects.get(codename="change_user")
        client.force_login(administrator)

        response = client.post(
            reverse("admin:auth_group_change", args=[group.pk]),
            {"name": group.name, "permissions": [str(change_user.pk)]},
        )

        assert response.status_code == 403
        assert set(group.permissions.values_list("pk", flat=True)) == held

    def test_does_not_let_an_administrator_change_the_administrator_role(
        self, client, administrator
    ):
        group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.ADMINISTRATOR])
        client.force_login(administrator)
        response = client.post(
            reverse("admin:auth_group_change", args=[group.pk]), {"name": "Renommé"}
        )
        assert response.status_code == 403
        group.refresh_from_db()
        assert group.name == ROLE_GROUP_NAMES[Role.ADMINISTRATOR]
