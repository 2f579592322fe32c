"""Scheme figures as data, and every scheme line checked wherever it is written.

The figures are the seeds' own: seeds/001 (CLACT 2024: 50 % FIR, 5 actions, credits
consumed by 31/12/2026), seeds/000 (IPA: « Jusqu'à 70 000 € par étudiant »).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.journal import AuditAction, AuditEvent
from contracts import services
from contracts.exceptions import BusinessRuleError
from contracts.imports import export_contract_file, import_contract_file
from contracts.models import FundingLine, SchemeParameterSet, scheme_parameters_on
from contracts.schemes import SchemeCode
from tests.territories.factories import RegionFactory, UserFactory

from .factories import ContractFactory, FundingLineFactory
from .test_imports import csv_file, csv_rows, new_line
from .test_services import refused

pytestmark = pytest.mark.django_db

D = Decimal


def parameter_set(scheme, *, region=None, effective_date, **values) -> SchemeParameterSet:
    parameter_set = SchemeParameterSet(
        scheme=scheme,
        region=region,
        effective_date=effective_date,
        values={
            name: {"value": value, "source": "Cahier des charges de la campagne (test)"}
            for name, value in values.items()
        },
    )
    parameter_set.full_clean()
    parameter_set.save()
    return parameter_set


def add_line(manager, contract, *, scheme, amount, details, code="9.1"):
    return services.add_funding_line(
        actor=manager,
        axis=contract.axes.get(number=1),
        code=code,
        scheme=scheme,
        label=f"Ligne {scheme}",
        beneficiary=contract.carrier_establishment,
        amounts_by_year={2025: D(amount)},
        details=details,
    )


class TestSchemeParameterSet:
    def test_refuses_a_figure_without_its_source(self):
        parameter_set = SchemeParameterSet(
            scheme=SchemeCode.CLACT,
            effective_date=datetime.date(2025, 1, 1),
            values={"clact_max_actions": {"value": "4"}},
        )
        with pytest.raises(ValidationError, match="sa source"):
            parameter_set.full_clean()

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("ipa_cap_per_student", "70000", "n'est pas un paramètre du dispositif CLACT"),
            ("clact_fir_share", 0.5, "flottant"),
            ("clact_fir_share", "la moitié", "n'est pas un nombre valide"),
            ("clact_consumption_deadline", "31/12/2026", "n'est pas valide"),
        ],
    )
    def test_refuses_unknown_or_malformed_figures(self, name, value, message):
        with pytest.raises(ValidationError, match=message):
            parameter_set(
                SchemeCode.CLACT, effective_date=datetime.date(2025, 1, 1), **{name: value}
            )

    def test_regional_figures_override_national_ones_from_their_date(self):
        region = RegionFactory()
        parameter_set(
            SchemeCode.CLACT, effective_date=datetime.date(2025, 1, 1), clact_max_actions="4"
        )
        parameter_set(
            SchemeCode.CLACT,
            region=region,
            effective_date=datetime.date(2025, 6, 1),
            clact_max_actions="3",
        )

        def max_actions(region, day):
            on = datetime.date.fromisoformat(day)
            params = scheme_parameters_on(scheme=SchemeCode.CLACT, region=region, on=on)
            return params.clact_max_actions

        assert max_actions(region, "2024-12-31") == 5  # seeds/001
        assert max_actions(region, "2025-05-31") == 4
        assert max_actions(region, "2025-06-01") == 3
        assert max_actions(RegionFactory(), "2025-06-01") == 4


class TestLinesAreCheckedWithTheFiguresInForce:
    def test_a_1_000_000_euro_clact_line_without_details_is_refused(self, contract, manager):
        contract.envelope_amount = D("2000000.00")
        contract.save()

        message = refused(
            lambda: add_line(
                manager, contract, scheme=SchemeCode.CLACT, amount="1000000.00", details={}
            ),
            contract,
        )

        assert "« actions » (nombre d'actions) est obligatoire" in message
        assert "« project_cost » (coût total du projet) est obligatoire" in message

    def test_a_clact_line_gets_the_campaign_consumption_deadline(self, contract, manager):
        line = add_line(
            manager,
            contract,
            scheme=SchemeCode.CLACT,
            amount="5000.00",
            details={"actions": 1, "project_cost": "10000.00"},
        )

        assert line.consumption_deadline_date == datetime.date(2026, 12, 31)  # seeds/001

    def test_a_regional_campaign_figure_applies_to_an_unsigned_contract(self, contract, manager):
        parameter_set(
            SchemeCode.CLACT,
            region=contract.region,
            effective_date=contract.start_date,
            clact_max_actions="4",
            clact_consumption_deadline="2027-12-31",
        )
        refused(
            lambda: add_line(
                manager,
                contract,
                scheme=SchemeCode.CLACT,
                amount="5000.00",
                details={"actions": 5, "project_cost": "10000.00"},
            ),
            contract,
            match="au-delà de 4 actions",
        )
        line = add_line(
            manager,
            contract,
            scheme=SchemeCode.CLACT,
            amount="5000.00",
            details={"actions": 4, "project_cost": "10000.00"},
        )
        assert line.consumption_deadline_date == datetime.date(2027, 12, 31)

    def test_a_signed_contract_keeps_the_figures_it_was_signed_under(self, manager, validator):
        contract = ContractFactory(with_lines=True, signed=True)  # signed 15/12/2024
        line = FundingLineFactory(
            axis=contract.axes.get(number=1),
            code="9.2",
            scheme=SchemeCode.IPA,
            details={"students": 1},
            amounts={2025: D("60000.00")},
        )
        parameter_set(
            SchemeCode.IPA,
            region=contract.region,
            effective_date=datetime.date(2025, 1, 1),
            ipa_cap_per_student="50000.00",
        )

        amendment = services.draft_amendment(
            actor=manager,
            contract=contract,
            reason="Remplacement plus long",
            proposal=services.AmendmentProposal(allocations={line.pk: {2025: D("70000.00")}}),
        )
        services.approve_amendment(actor=validator, amendment=amendment)

        assert line.allocations.get(year=2025).allocated_amount == D("70000.00")

    def test_an_amendment_that_breaks_the_cap_is_refused_when_drafted(self, manager):
        contract = ContractFactory(with_lines=True, signed=True)
        line = FundingLineFactory(
            axis=contract.axes.get(number=1),
            code="9.3",
            scheme=SchemeCode.IPA,
            details={"students": 1},
            amounts={2025: D("60000.00")},
        )

        refused(
            lambda: services.draft_amendment(
                actor=manager,
                contract=contract,
                reason="Hausse",
                proposal=services.AmendmentProposal(allocations={line.pk: {2025: D("70000.01")}}),
            ),
            contract,
            match="70\u202f000,00 €",  # seeds/000: « Jusqu'à 70 000 € par étudiant »
        )

    def test_a_change_of_wording_checks_the_scheme_rules(self, contract, manager):
        line = FundingLineFactory(
            axis=contract.axes.get(number=1),
            code="9.4",
            scheme=SchemeCode.CLACT,
            details={},
            amounts={2025: D("1000.00")},
        )

        with pytest.raises(BusinessRuleError, match="project_cost"):
            services.change_funding_line(actor=manager, line=line, label="Nouvel intitulé")

    def test_an_imported_clact_line_without_details_is_refused_on_its_line(self, contract, manager):
        rows = csv_rows(
            export_contract_file(
                actor=manager, contract=contract, kind="lines", file_format="csv"
            ).content
        )
        rows.append(new_line(contract, dispositif="CLACT", parametres=""))

        report = import_contract_file(
            actor=manager,
            contract=contract,
            kind="lines",
            file_format="csv",
            content=csv_file(rows),
            dry_run=False,
        )

        assert not report.is_valid
        assert any(
            error.startswith(f"Ligne {len(rows) + 1} :") and "« project_cost »" in error
            for error in report.errors
        ), report.errors
        assert not FundingLine.objects.filter(axis__contract=contract, code="2.9").exists()


class TestAdmin:
    @pytest.fixture
    def superuser(self, db):
        return UserFactory(superuser=True)

    def post(self, client, url, **data):
        form = {"scheme": "CLACT", "region": "", "effective_date": "2026-01-01", "note": ""}
        form.update(data)
        return client.post(url, form)

    def test_a_new_set_and_its_change_are_journaled(self, client, superuser):
        client.force_login(superuser)
        values = '{"clact_max_actions": {"value": "4", "source": "Cahier des charges 2026"}}'

        response = self.post(
            client, reverse("admin:contracts_schemeparameterset_add"), values=values
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        parameter_set = SchemeParameterSet.objects.get()
        created = AuditEvent.objects.order_by("-id").first()
        assert created.action == AuditAction.CREATE
        assert created.changes["values"]["after"]["clact_max_actions"]["value"] == "4"

        changed_values = values.replace('"4"', '"3"')
        url = reverse("admin:contracts_schemeparameterset_change", args=[parameter_set.pk])
        response = self.post(client, url, values=changed_values)
        assert response.status_code == 302, response.content.decode()[:3000]
        changed = AuditEvent.objects.order_by("-id").first()
        assert changed.action == AuditAction.CHANGE
        assert changed.changes["values"]["before"]["clact_max_actions"]["value"] == "4"
        assert changed.changes["values"]["after"]["clact_max_actions"]["value"] == "3"

    def test_a_figure_without_source_is_refused_in_french(self, client, superuser):
        client.force_login(superuser)

        response = self.post(
            client,
            reverse("admin:contracts_schemeparameterset_add"),
            values='{"clact_max_actions": {"value": "4"}}',
        )

        assert response.status_code == 200
        assert "doit indiquer sa valeur et sa source" in response.content.decode()
        assert not SchemeParameterSet.objects.exists()

    def test_a_set_a_signed_contract_may_hold_is_read_only(self, client, superuser):
        contract = ContractFactory(signed=True)  # signed 15/12/2024
        parameter_set(
            SchemeCode.CLACT,
            region=contract.region,
            effective_date=datetime.date(2024, 1, 1),
            clact_max_actions="4",
        )
        parameter_set_in_use = SchemeParameterSet.objects.get()
        client.force_login(superuser)
        url = reverse("admin:contracts_schemeparameterset_change", args=[parameter_set_in_use.pk])

        self.post(client, url, values="{}", region=str(contract.region.pk))

        parameter_set_in_use.refresh_from_db()
        assert parameter_set_in_use.values["clact_max_actions"]["value"] == "4"
        delete_url = reverse(
            "admin:contracts_schemeparameterset_delete", args=[parameter_set_in_use.pk]
        )
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
