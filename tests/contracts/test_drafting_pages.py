"""Drafting a contract in the pages: axes, line and milestone removal, the to-do panel."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from audit.journal import AuditEvent
from contracts.models import FundingLine, Milestone

from .factories import ContractFactory, make_ready

pytestmark = pytest.mark.django_db


def detail(client, contract):
    return client.get(reverse("contracts:contract_detail", args=[contract.pk]))


class TestAxesInThePages:
    def test_add_edit_move_and_remove_an_axis(self, client, contract, manager):
        client.force_login(manager)
        url = reverse("contracts:axis_add", args=[contract.pk])
        assert client.post(url, {"title": "Fidélisation"}).status_code == 302
        axis = contract.axes.get(title="Fidélisation")
        change = reverse("contracts:axis_change", args=[contract.pk, axis.pk])
        assert client.post(change, {"title": "Fidéliser"}).status_code == 302
        move = reverse("contracts:axis_move", args=[contract.pk, axis.pk, "up"])
        assert client.post(move).status_code == 302
        assert contract.axes.get(number=2).title == "Fidéliser"
        remove = reverse("contracts:axis_remove", args=[contract.pk, axis.pk])
        client.post(remove)
        assert not contract.axes.filter(title="Fidéliser").exists()
        assert AuditEvent.objects.filter(object_type="contracts.StrategicAxis").count() >= 4

    def test_moving_is_post_only_and_refused_on_a_signed_contract(self, client, manager):
        from .test_views import manager_scope

        contract = ContractFactory(
            signed=True, with_lines=True, hospital_group=manager_scope(manager)
        )
        client.force_login(manager)
        axis = contract.axes.get(number=2)
        move = reverse("contracts:axis_move", args=[contract.pk, axis.pk, "up"])
        assert client.get(move).status_code == 405
        client.post(move)
        assert contract.axes.get(pk=axis.pk).number == 2

    def test_a_director_cannot_change_the_axes(self, client, contract, director):
        client.force_login(director)
        axis = contract.axes.get(number=2)
        move = reverse("contracts:axis_move", args=[contract.pk, axis.pk, "up"])
        assert client.post(move).status_code == 403


class TestRemovingAndEditing:
    def test_remove_a_line_and_a_milestone(self, client, contract, manager):
        client.force_login(manager)
        line = FundingLine.objects.filter(axis__contract=contract).first()
        milestone = Milestone.objects.filter(axis__contract=contract).first()
        client.post(reverse("contracts:line_remove", args=[contract.pk, line.pk]))
        client.post(reverse("contracts:milestone_remove", args=[contract.pk, milestone.pk]))
        assert not FundingLine.objects.filter(pk=line.pk).exists()
        assert not Milestone.objects.filter(pk=milestone.pk).exists()

    def test_edit_a_milestone(self, client, contract, manager):
        client.force_login(manager)
        milestone = Milestone.objects.filter(axis__contract=contract).first()
        url = reverse("contracts:milestone_change", args=[contract.pk, milestone.pk])
        assert client.get(url).status_code == 200
        data = {
            "axis": milestone.axis_id,
            "title": "Recrutements",
            "due_date": "2027-03-31",
            "indicator_label": "Postes",
            "indicator_unit": "ETP",
            "baseline_value": "1",
            "target_value": "5",
        }
        assert client.post(url, data).status_code == 302
        milestone.refresh_from_db()
        assert (milestone.title, milestone.target_value) == ("Recrutements", D("5.00"))
        data["due_date"] = "2031-01-01"
        response = client.post(url, data)
        assert response.status_code == 400
        assert "période du contrat" in response.content.decode()


class TestTheToDoPanel:
    def test_lists_what_is_missing_and_withholds_the_submit_action(self, client, manager):
        from .test_views import manager_scope

        contract = ContractFactory(hospital_group=manager_scope(manager))
        client.force_login(manager)
        html = detail(client, contract).content.decode()
        assert "reste à faire avant la soumission" in html
        assert "aucun axe stratégique." in html
        assert "disabled" in html
        assert "?contract=" not in html  # no link to start the approval flow

    def test_a_complete_draft_offers_the_submission(self, client, manager):
        from .test_views import manager_scope

        contract = make_ready(
            ContractFactory(with_lines=True, hospital_group=manager_scope(manager))
        )
        client.force_login(manager)
        html = detail(client, contract).content.decode()
        assert "Rien : le brouillon est complet" in html
        assert "Soumettre pour validation" in html
        assert "disabled" not in html.split("ars-actions")[1].split("</nav>")[0]


class TestTheImportAsAThirdWayIn:
    def test_the_creation_page_leads_to_the_import_of_the_new_draft(
        self, client, contract, manager
    ):
        client.force_login(manager)
        page = client.get(reverse("contracts:contract_add")).content.decode()
        assert 'name="then_import"' in page
        assert reverse("contracts:contract_copy") in page
        response = client.post(
            reverse("contracts:contract_add"),
            {
                "hospital_group": contract.hospital_group.pk,
                "reference": "CAT-IMPORT",
                "title": "Contrat importé",
                "start_date": "2026-01-01",
                "end_date": "2028-12-31",
                "envelope_amount": "500000.00",
                "axes": "Marque employeur\n",
                "then_import": "on",
            },
        )
        created = contract.__class__.objects.get(reference="CAT-IMPORT")
        assert response.url == reverse("contracts:import", args=[created.pk])
        import_page = client.get(response.url).content.decode()
        # A dry run always comes first: the page launches it, the import waits for a confirmation.
        assert "Lancer la simulation" in import_page
        assert 'name="wet_run"' not in import_page
