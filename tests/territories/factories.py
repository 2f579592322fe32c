"""Factories of the territory, with traits for the situations tests name."""

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from territories.models import (
    Department,
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    LegalEntity,
    MembershipRole,
    Region,
)
from territories.validators import luhn_is_valid

BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TEST_PASSWORD = "mot-de-passe-de-test"


def luhn_complete(prefix: str) -> str:
    """Return ``prefix`` followed by the digit that makes it pass the Luhn check."""
    return next(prefix + digit for digit in "0123456789" if luhn_is_valid(prefix + digit))


def finess_number(sequence: int, *, offset: int = 0) -> str:
    """Return a valid FINESS number (Luhn) in a mainland département, unique per sequence."""
    department = sequence % 89 + 1  # 01-89: no Corsican letter, no overseas 97/98
    return luhn_complete(f"{department:02d}{(sequence + offset) % 1_000_000:06d}")


def siren_number(sequence: int) -> str:
    return luhn_complete(f"{300000000 + sequence:09d}"[:8])


def siret_number(sequence: int) -> str:
    return luhn_complete(siren_number(sequence) + f"{sequence % 10000:04d}")


def _code(prefix: str, sequence: int) -> str:
    return prefix + BASE36[sequence // 36 % 36] + BASE36[sequence % 36]


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: _code("X", n))
    name = factory.Sequence(lambda n: f"Région {n}")
    agency_name = factory.LazyAttribute(lambda region: f"ARS {region.name}")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: _code("Y", n))
    name = factory.Sequence(lambda n: f"Département {n}")
    region = factory.SubFactory(RegionFactory)


class LegalEntityFactory(DjangoModelFactory):
    class Meta:
        model = LegalEntity

    finess = factory.Sequence(lambda n: finess_number(n, offset=500_000))
    siren = factory.Sequence(siren_number)
    name = factory.Sequence(lambda n: f"Entité juridique {n}")
    department = factory.SubFactory(DepartmentFactory)

    class Params:
        from_convention = factory.Trait(finess=None, siren="")


class EstablishmentFactory(DjangoModelFactory):
    class Meta:
        model = Establishment

    finess = factory.Sequence(finess_number)
    siret = factory.Sequence(siret_number)
    name = factory.Sequence(lambda n: f"Centre hospitalier {n}")
    legal_entity = factory.SubFactory(LegalEntityFactory)
    department = factory.SubFactory(DepartmentFactory)
    commune = "Troyes"

    class Params:
        from_convention = factory.Trait(finess=None, siret="", legal_entity=None)


class HospitalGroupFactory(DjangoModelFactory):
    class Meta:
        model = HospitalGroup

    code = factory.Sequence(lambda n: f"GHT-{n:04d}")
    name = factory.Sequence(lambda n: f"GHT numéro {n}")
    region = factory.SubFactory(RegionFactory)


class HospitalGroupMembershipFactory(DjangoModelFactory):
    class Meta:
        model = HospitalGroupMembership

    hospital_group = factory.SubFactory(HospitalGroupFactory)
    role = MembershipRole.MEMBER
    establishment = factory.SubFactory(EstablishmentFactory)

    class Params:
        support = factory.Trait(role=MembershipRole.SUPPORT)
        partner = factory.Trait(role=MembershipRole.PARTNER)
        whole_legal_entity = factory.Trait(
            establishment=None, legal_entity=factory.SubFactory(LegalEntityFactory)
        )


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)
    is_active = True

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)
        inactive = factory.Trait(is_active=False)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()
