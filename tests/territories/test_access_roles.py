import pytest
from django.contrib.auth.models import Group

from territories.access import ROLE_GROUP_NAMES, ROLE_PERMISSIONS, Role, sync_roles

pytestmark = pytest.mark.django_db


class TestRoles:
    def test_exist_as_groups_after_migrate(self):
        names = set(Group.objects.values_list("name", flat=True))
        assert set(ROLE_GROUP_NAMES.values()) <= names

    def test_hold_exactly_their_permissions(self):
        for role, codes in ROLE_PERMISSIONS.items():
            group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
            held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
            assert held == set(codes), role

    def test_give_the_auditor_no_write_permission(self):
        group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.AUDITOR])
        codenames = group.permissions.values_list("codename", flat=True)
        assert codenames.exists()
        assert all(codename.startswith("view_") for codename in codenames)

    def test_sync_restores_a_permission_removed_by_hand(self):
        group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.ARS_MANAGER])
        group.permissions.clear()
        sync_roles()
        assert group.permissions.count() == len(ROLE_PERMISSIONS[Role.ARS_MANAGER])


class TestContractDocuments:
    """Signed contracts: every reader sees them, managers add them, nobody changes them."""

    def codes(self, role):
        group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
        return {p.codename for p in group.permissions.filter(codename__endswith="contractdocument")}

    def test_every_role_that_reads_contracts_views_them(self):
        for role in Role:
            assert "view_contractdocument" in self.codes(role), role

    def test_only_managers_add_them_and_nobody_changes_or_deletes_them(self):
        assert self.codes(Role.ARS_MANAGER) == {"view_contractdocument", "add_contractdocument"}
        for role in Role:
            assert not self.codes(role) & {"change_contractdocument", "delete_contractdocument"}
            if role != Role.ARS_MANAGER:
                assert self.codes(role) == {"view_contractdocument"}, role
