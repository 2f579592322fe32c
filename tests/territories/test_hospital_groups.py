"""GHTs managed in the product: built from imported establishments, journaled, scoped."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.journal import AuditEvent
from territories.access import Role
from territories.models import HospitalGroup, MembershipRole
from territories.services import HospitalGroupInput, save_hospital_group
from tests.contracts.factories import user_with_role

from .factories import DepartmentFactory, EstablishmentFactory, HospitalGroupFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)


@pytest.fixture
def department():
    return DepartmentFactory()


@pytest.fixture
def region(department):
    return department.region


@pytest.fixture
def establishments(department):
    return EstablishmentFactory.create_batch(5, department=department)


def user_with(role, region=None, username="claire"):
    return user_with_role(role, region=region, username=username)


def composition(hospital_group):
    return {
        (m.establishment.name, m.role)
        for m in hospital_group.memberships.select_related("establishment")
    }


class TestSavingAHospitalGroup:
    def test_creates_it_with_support_members_and_partners_and_journals_it(
        self, region, establishments
    ):
        support, member, other_member, partner, _ = establishments
        admin = user_with(Role.ADMINISTRATOR)

        ght = save_hospital_group(
            actor=admin,
            today=TODAY,
            data=HospitalGroupInput(
                code="GE-TEST",
                name="GHT de test",
                region=region,
                support=support,
                members=(member, other_member),
                partners=(partner,),
                convention_date=date(2016, 7, 1),
            ),
        )

        assert composition(ght) == {
            (support.name, MembershipRole.SUPPORT),
            (member.name, MembershipRole.MEMBER),
            (other_member.name, MembershipRole.MEMBER),
            (partner.name, MembershipRole.PARTNER),
        }
        event = AuditEvent.objects.get(object_type="territories.HospitalGroup")
        assert event.summary == "GHT créé"
        assert event.changes["SUPPORT"]["after"] == [support.finess]
        assert event.changes["convention_date"]["after"] == "2016-07-01"

    def test_changes_the_support_and_journals_before_and_after(self, region, establishments):
        support, member, *_ = establishments
        admin = user_with(Role.ADMINISTRATOR)
        data = HospitalGroupInput(
            code="GE-TEST", name="GHT de test", region=region, support=support, members=(member,)
        )
        ght = save_hospital_group(actor=admin, today=TODAY, data=data)

        save_hospital_group(
            actor=admin,
            today=TODAY,
            hospital_group=ght,
            data=HospitalGroupInput(
                code="GE-TEST",
                name="GHT de test",
                region=region,
                support=member,
                members=(support,),
            ),
        )

        assert composition(ght) == {
            (member.name, MembershipRole.SUPPORT),
            (support.name, MembershipRole.MEMBER),
        }
        event = AuditEvent.objects.filter(summary="GHT modifié").get()
        assert event.changes["SUPPORT"] == {"before": [support.finess], "after": [member.finess]}

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"members": "support"}, "members", "support ne peut pas être aussi membre"),
            ({"convention_date": date(2027, 1, 1)}, "convention_date", "dans le futur"),
            ({"support": "elsewhere"}, "support", "dans la région du GHT"),
        ],
    )
    def test_refuses_an_incoherent_group_with_the_reason_on_the_field(
        self, region, establishments, change, field, message
    ):
        support, member, *_ = establishments
        values = {"code": "GE-TEST", "name": "GHT", "region": region, "support": support}
        if change.get("members") == "support":
            values["members"] = (member, support)
        elif change.get("support") == "elsewhere":
            values["support"] = EstablishmentFactory()
        else:
            values.update(change)

        administrator = user_with(Role.ADMINISTRATOR)
        events = AuditEvent.objects.count()
        with pytest.raises(ValidationError) as refused:
            save_hospital_group(actor=administrator, today=TODAY, data=HospitalGroupInput(**values))

        assert message in " ".join(refused.value.message_dict[field])
        assert not HospitalGroup.objects.exists()
        assert AuditEvent.objects.count() == events


class TestTheHospitalGroupPages:
    def post(self, client, url, region, establishments, **overrides):
        support, member, *_ = establishments
        data = {
            "code": "GE-PAGE",
            "name": "GHT créé par la page",
            "region": region.pk,
            "support": support.pk,
            "members": [member.pk],
            "convention_date": "2016-07-08",
            **overrides,
        }
        return client.post(url, data)

    def test_an_ars_manager_creates_a_ght_of_their_region(self, client, region, establishments):
        client.force_login(user_with(Role.ARS_MANAGER, region=region))
        response = self.post(client, reverse("territories:add"), region, establishments)

        assert response.status_code == 302
        ght = HospitalGroup.objects.get(code="GE-PAGE")
        assert ght.memberships.get(role=MembershipRole.SUPPORT).establishment == establishments[0]
        assert client.get(reverse("territories:index")).status_code == 200

    def test_shows_the_error_next_to_the_field_and_keeps_the_input(
        self, client, region, establishments
    ):
        client.force_login(user_with(Role.ARS_MANAGER, region=region))
        response = self.post(
            client,
            reverse("territories:add"),
            region,
            establishments,
            members=[establishments[0].pk],
        )

        assert response.status_code == 400
        form = response.context["form"]
        assert "support ne peut pas être aussi membre" in form.errors["members"][0]
        assert form["name"].value() == "GHT créé par la page"

    def test_a_manager_cannot_edit_a_ght_of_another_region(self, client, region, establishments):
        other = HospitalGroupFactory()
        client.force_login(user_with(Role.ARS_MANAGER, region=region))
        assert client.get(reverse("territories:change", args=[other.pk])).status_code == 404

    @pytest.mark.parametrize("role", [Role.ARS_VALIDATOR, Role.GHT_DIRECTOR, Role.AUDITOR])
    def test_other_roles_are_forbidden(self, client, region, role):
        client.force_login(user_with(role, region=region if role != Role.AUDITOR else None))
        assert client.get(reverse("territories:add")).status_code == 403
