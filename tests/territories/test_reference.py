import pytest

from territories.models import (
    Department,
    Establishment,
    HospitalGroupMembership,
    LegalEntity,
    MembershipRole,
    Region,
)
from territories.reference import (
    FIXTURES_DIR,
    load_convention_members,
    load_regions_and_departments,
)

from .factories import HospitalGroupFactory

pytestmark = pytest.mark.django_db

MEMBERS = FIXTURES_DIR / "ght_aube_sezannais_members_2016.csv"


@pytest.fixture
def aube_sezannais():
    load_regions_and_departments()
    return HospitalGroupFactory(code="GE-AUBE-SEZANNAIS", region=Region.objects.get(code="44"))


class TestRegionsAndDepartments:
    def test_are_loaded_once_then_left_unchanged(self):
        first = load_regions_and_departments()
        second = load_regions_and_departments()

        assert first.created == Region.objects.count() + Department.objects.count()
        assert (second.created, second.unchanged) == (0, first.created)

    def test_include_grand_est_and_the_overseas_finess_codes(self):
        load_regions_and_departments()

        grand_est = Region.objects.get(code="44")
        codes = set(grand_est.departments.values_list("code", flat=True))
        assert codes == {"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}
        assert Department.objects.filter(code__in=["2A", "2B", "9A", "9F"]).count() == 4


class TestConventionMembers:
    def test_are_loaded_once_then_left_unchanged(self, aube_sezannais):
        load_convention_members(hospital_group=aube_sezannais, path=MEMBERS)
        counts = (LegalEntity.objects.count(), Establishment.objects.count())

        second = load_convention_members(hospital_group=aube_sezannais, path=MEMBERS)

        assert second.created == 0
        assert (LegalEntity.objects.count(), Establishment.objects.count()) == counts

    def test_make_gham_one_legal_entity_with_sites_in_10_and_51(self, aube_sezannais):
        load_convention_members(hospital_group=aube_sezannais, path=MEMBERS)

        gham = LegalEntity.objects.get(name="Groupement Hospitalier Aube Marne (GHAM)")
        departments = set(gham.establishments.values_list("department__code", flat=True))
        assert departments == {"10", "51"}
        assert gham.establishments.get(commune="Sézanne").department.code == "51"
        assert HospitalGroupMembership.objects.get(legal_entity=gham).role == MembershipRole.MEMBER

    def test_name_the_ch_de_troyes_as_the_only_support(self, aube_sezannais):
        load_convention_members(hospital_group=aube_sezannais, path=MEMBERS)

        support = aube_sezannais.memberships.get(role=MembershipRole.SUPPORT)
        assert support.establishment.name == "Centre hospitalier de Troyes"
        assert aube_sezannais.memberships.filter(role=MembershipRole.PARTNER).count() == 6
