import pytest
from django.urls import reverse

from territories.models import (
    Department,
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    LegalEntity,
    Region,
)

from .factories import (
    DepartmentFactory,
    EstablishmentFactory,
    HospitalGroupFactory,
    HospitalGroupMembershipFactory,
    LegalEntityFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, then the page: counts, rows and the filter choices, joined once.
LIST_PAGES = {
    Region: (RegionFactory, 5),
    Department: (DepartmentFactory, 6),
    LegalEntity: (LegalEntityFactory, 5),
    Establishment: (EstablishmentFactory, 5),
    HospitalGroup: (HospitalGroupFactory, 6),
    HospitalGroupMembership: (HospitalGroupMembershipFactory, 5),
}


def changelist(model) -> str:
    return reverse(f"admin:territories_{model._meta.model_name}_changelist")


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(superuser=True))
    return client


class TestListPages:
    @pytest.mark.parametrize("rows", [1, 50])
    @pytest.mark.parametrize("model", LIST_PAGES, ids=lambda model: model.__name__)
    def test_take_the_same_number_of_queries_for_1_and_50_rows(
        self, admin_client_, django_assert_num_queries, model, rows
    ):
        factory, queries = LIST_PAGES[model]
        factory.create_batch(rows)

        with django_assert_num_queries(queries):
            response = admin_client_.get(changelist(model))

        assert response.status_code == 200
        assert response.context["cl"].result_count == rows

    def test_search_an_establishment_by_finess(self, admin_client_):
        wanted, other = EstablishmentFactory(), EstablishmentFactory()

        response = admin_client_.get(changelist(Establishment), {"q": wanted.finess})

        assert list(response.context["cl"].result_list) == [wanted]
        assert other.finess not in response.content.decode()

    def test_search_a_legal_entity_by_departement(self, admin_client_):
        wanted = LegalEntityFactory()
        LegalEntityFactory()

        response = admin_client_.get(changelist(LegalEntity), {"q": wanted.department.code})

        assert list(response.context["cl"].result_list) == [wanted]

    def test_search_a_membership_by_establishment_finess(self, admin_client_):
        wanted = HospitalGroupMembershipFactory()
        HospitalGroupMembershipFactory()

        response = admin_client_.get(
            changelist(HospitalGroupMembership), {"q": wanted.establishment.finess}
        )

        assert list(response.context["cl"].result_list) == [wanted]


class TestPermissions:
    @pytest.mark.parametrize("model", LIST_PAGES, ids=lambda model: model.__name__)
    def test_a_staff_user_without_permission_gets_a_403(self, client, model):
        client.force_login(UserFactory(staff=True))

        response = client.get(changelist(model))

        assert response.status_code == 403

    def test_the_ght_page_offers_guardian_object_permissions(self, admin_client_):
        hospital_group = HospitalGroupFactory()

        response = admin_client_.get(
            reverse("admin:territories_hospitalgroup_permissions", args=[hospital_group.pk])
        )

        assert response.status_code == 200

    def test_the_ght_page_shows_its_members_inline(self, admin_client_):
        membership = HospitalGroupMembershipFactory(support=True)

        response = admin_client_.get(
            reverse("admin:territories_hospitalgroup_change", args=[membership.hospital_group.pk])
        )

        assert response.status_code == 200
        assert "memberships-TOTAL_FORMS" in response.content.decode()
