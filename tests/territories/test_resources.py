import pytest
import tablib
from django.conf import settings
from import_export.formats.base_formats import CSV, XLSX

from audit.spreadsheet import neutralise_cell
from territories.models import HospitalGroupMembership, MembershipRole
from territories.resources import (
    EstablishmentResource,
    HospitalGroupMembershipResource,
)

from .factories import EstablishmentFactory, HospitalGroupFactory, LegalEntityFactory

pytestmark = pytest.mark.django_db

HEADERS = ["code_ght", "role", "etablissement", "finess_entite_juridique"]


class TestEstablishmentExport:
    def test_neutralises_every_formula_cell(self):
        assert settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is True
        EstablishmentFactory(
            name='=HYPERLINK("http://x")', long_name="+cmd|' /C calc'!A0", commune="@SUM(1)"
        )

        exported = CSV().export_data(EstablishmentResource().export())

        assert "=HYPERLINK" not in exported.replace("'=HYPERLINK", "")
        assert "'+cmd" in exported
        assert "'@SUM(1)" in exported

    def test_quotes_signed_numbers_and_phone_numbers_too(self):
        # One rule for every export (audit.spreadsheet): no exception to get wrong.
        assert neutralise_cell("+33 3 25 49 49 49") == "'+33 3 25 49 49 49"
        assert neutralise_cell("-12.5") == "'-12.5"
        assert neutralise_cell("-1+HYPERLINK()") == "'-1+HYPERLINK()"

    def test_exports_to_xlsx(self):
        establishment = EstablishmentFactory()

        dataset = EstablishmentResource().export()
        content = XLSX().export_data(dataset)

        assert content[:2] == b"PK"
        assert dataset.dict[0]["finess"] == establishment.finess
        assert dataset.dict[0]["departement"] == establishment.department.code


class TestMembershipImport:
    def test_previews_in_a_dry_run_then_writes(self):
        hospital_group = HospitalGroupFactory(code="GE-AUBE")
        establishment = EstablishmentFactory()
        legal_entity = LegalEntityFactory()
        dataset = tablib.Dataset(
            ["GE-AUBE", "support", establishment.finess, ""],
            ["GE-AUBE", "membre", "", legal_entity.finess],
            headers=HEADERS,
        )

        preview = HospitalGroupMembershipResource().import_data(dataset, dry_run=True)
        assert not preview.has_errors() and not preview.has_validation_errors()
        assert preview.totals["new"] == 2
        assert not HospitalGroupMembership.objects.exists()

        HospitalGroupMembershipResource().import_data(dataset, dry_run=False)
        roles = dict(hospital_group.memberships.values_list("role", "establishment__finess"))
        assert roles == {
            MembershipRole.SUPPORT: establishment.finess,
            MembershipRole.MEMBER: None,
        }

    def test_finds_an_establishment_by_name(self):
        HospitalGroupFactory(code="GE-AUBE")
        establishment = EstablishmentFactory(name="EPSM de l'Aube")
        dataset = tablib.Dataset(["GE-AUBE", "MEMBER", "EPSM de l'Aube", ""], headers=HEADERS)

        result = HospitalGroupMembershipResource().import_data(dataset, dry_run=False)

        assert not result.has_errors() and not result.has_validation_errors()
        assert HospitalGroupMembership.objects.get().establishment == establishment

    @pytest.mark.parametrize(
        "row",
        [
            ["GE-AUBE", "chef", "", ""],
            ["GE-AUBE", "support", "", ""],
            ["GE-AUBE", "support", "Inconnu", ""],
        ],
        ids=["unknown role", "no member", "unknown establishment"],
    )
    def test_reports_a_bad_row_and_writes_nothing(self, row):
        HospitalGroupFactory(code="GE-AUBE")
        dataset = tablib.Dataset(row, headers=HEADERS)

        result = HospitalGroupMembershipResource().import_data(dataset, dry_run=False)

        assert result.has_errors() or result.has_validation_errors()
        assert not HospitalGroupMembership.objects.exists()

    def test_previews_a_second_support_as_an_error_in_french(self):
        hospital_group = HospitalGroupFactory(code="GE-AUBE")
        first, second = EstablishmentFactory(), EstablishmentFactory()
        dataset = tablib.Dataset(
            ["GE-AUBE", "support", first.finess, ""],
            ["GE-AUBE", "support", second.finess, ""],
            headers=HEADERS,
        )

        # The admin previews in a dry run and offers no confirmation while rows are invalid.
        result = HospitalGroupMembershipResource().import_data(dataset, dry_run=True)

        assert result.has_validation_errors()
        messages = str([row.error.messages for row in result.invalid_rows])
        assert "seul établissement support" in messages
        assert not hospital_group.memberships.exists()
