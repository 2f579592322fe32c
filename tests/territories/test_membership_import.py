"""GHT members imported from a CSV file: all or nothing, errors by line and column."""

import pytest

from audit.journal import AuditAction, AuditEvent
from territories.membership_import import import_membership_file
from territories.models import HospitalGroupMembership

from .factories import EstablishmentFactory, HospitalGroupFactory, LegalEntityFactory

pytestmark = pytest.mark.django_db

HEADER = "code_ght;role;etablissement;finess_entite_juridique\n"


def test_a_dry_run_writes_nothing_then_the_import_writes_all_journaled():
    HospitalGroupFactory(code="GE-AUBE")
    establishment, legal_entity = EstablishmentFactory(), LegalEntityFactory()
    content = (
        HEADER + f"GE-AUBE;support;{establishment.finess};\nGE-AUBE;membre;;{legal_entity.finess}\n"
    ).encode()
    seen = []
    report = import_membership_file(
        content=content, dry_run=True, progress=lambda *p: seen.append(p)
    )
    assert report["valid"] and report["counts"]["new"] == 2 and not report["written"]
    assert seen == [(0, 2), (2, 2)]
    assert not HospitalGroupMembership.objects.exists()
    report = import_membership_file(content=content, dry_run=False, filename="membres.csv")
    assert report["written"] and HospitalGroupMembership.objects.count() == 2
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.object_label == "membres.csv"


def test_one_bad_row_refuses_the_whole_file_naming_line_and_column():
    HospitalGroupFactory(code="GE-AUBE")
    establishment = EstablishmentFactory()
    content = (HEADER + f"GE-AUBE;membre;{establishment.finess};\nGE-AUBE;chef;;\n").encode()
    report = import_membership_file(content=content, dry_run=False)
    assert not report["valid"] and not report["written"]
    assert any(error.startswith("Ligne 3") and "chef" in error for error in report["errors"]), (
        report
    )
    assert not HospitalGroupMembership.objects.exists()


def test_missing_columns_and_too_many_rows_are_refused_before_reading(settings):
    report = import_membership_file(content=b"code_ght;role\nGE;support\n")
    assert report["errors"] == [
        "Ligne 1 : colonnes manquantes : etablissement, finess_entite_juridique."
    ]
    settings.GHT_MEMBERS_IMPORT_MAX_ROWS = 1
    report = import_membership_file(content=(HEADER + "A;support;;\nB;support;;\n").encode())
    assert report["errors"] == ["Le fichier dépasse 1 lignes (limite) : il en compte 2."]
