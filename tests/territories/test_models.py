import pytest
from django.db import IntegrityError, transaction

from territories.models import (
    Establishment,
    HospitalGroupMembership,
    LegalEntity,
    MembershipRole,
)

from .factories import (
    EstablishmentFactory,
    HospitalGroupFactory,
    HospitalGroupMembershipFactory,
    LegalEntityFactory,
)

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (
        list(LegalEntity.objects.order_by("pk").values()),
        list(Establishment.objects.order_by("pk").values()),
        list(HospitalGroupMembership.objects.order_by("pk").values()),
    )


def assert_refused(write) -> None:
    before = state()
    with pytest.raises(IntegrityError), transaction.atomic():
        write()
    assert state() == before


class TestTheDatabase:
    def test_refuses_a_second_support_in_one_ght(self):
        support = HospitalGroupMembershipFactory(support=True)
        other = HospitalGroupMembershipFactory(hospital_group=support.hospital_group)
        other.role = MembershipRole.SUPPORT

        assert_refused(other.save)

    def test_accepts_one_support_in_each_of_two_ghts(self):
        HospitalGroupMembershipFactory(support=True)
        HospitalGroupMembershipFactory(support=True)

        assert HospitalGroupMembership.objects.filter(role=MembershipRole.SUPPORT).count() == 2

    def test_refuses_the_same_establishment_twice_in_one_ght(self):
        membership = HospitalGroupMembershipFactory()

        assert_refused(
            lambda: HospitalGroupMembership.objects.create(
                hospital_group=membership.hospital_group,
                establishment=membership.establishment,
                role=MembershipRole.PARTNER,
            )
        )

    def test_refuses_a_membership_naming_no_member(self):
        hospital_group = HospitalGroupFactory()

        assert_refused(
            lambda: HospitalGroupMembership.objects.create(
                hospital_group=hospital_group, role=MembershipRole.MEMBER
            )
        )

    def test_refuses_an_unknown_role(self):
        assert_refused(lambda: HospitalGroupMembershipFactory(role="CHIEF"))

    def test_refuses_a_duplicate_finess_number(self):
        establishment = EstablishmentFactory()

        assert_refused(lambda: EstablishmentFactory(finess=establishment.finess))

    def test_accepts_several_establishments_without_finess(self):
        EstablishmentFactory(from_convention=True)
        EstablishmentFactory(from_convention=True)

        assert Establishment.objects.filter(finess__isnull=True).count() == 2

    @pytest.mark.parametrize(
        "values",
        [{"finess": "01000002"}, {"finess": "0100000X4"}, {"siret": "2601000450001"}, {"name": ""}],
        ids=["short finess", "letter in finess", "short siret", "no name"],
    )
    def test_refuses_a_badly_shaped_establishment(self, values):
        assert_refused(lambda: EstablishmentFactory(**values))

    @pytest.mark.parametrize("values", [{"finess": "1234"}, {"siren": "12345678"}])
    def test_refuses_a_badly_shaped_legal_entity(self, values):
        assert_refused(lambda: LegalEntityFactory(**values))

    def test_accepts_a_corsican_finess_number(self):
        assert EstablishmentFactory(finess="2A0000012").pk
