import json
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from territories.finess import STRUCTURE_FIELDS
from territories.importers import (
    CREATED,
    UNCHANGED,
    UPDATED,
    import_finess_extract,
    import_finess_file,
    import_finess_plus,
)
from territories.models import (
    Department,
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    LegalEntity,
    MembershipRole,
)
from territories.reference import load_regions_and_departments

from .factories import LegalEntityFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
EXTRACT = DATA / "finess_extract_sample.csv"
FEED = DATA / "finess_plus_sample.json"
HEADER = "finess;etalab;111;2026-05-12\n"
MODELS = (LegalEntity, Establishment, HospitalGroup, HospitalGroupMembership)
CH_FLEYRIAT = dict(
    zip(
        STRUCTURE_FIELDS,
        EXTRACT.read_text(encoding="utf-8").splitlines()[1].split(";"),
        strict=True,
    )
)


@pytest.fixture(autouse=True)
def territory():
    load_regions_and_departments()


@pytest.fixture
def without_wallis_and_futuna():
    """Remove the département the sample's line 13 uses (FINESS code 9J)."""
    Department.objects.filter(code="9J").delete()


def snapshot() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def structure_line(**overrides) -> str:
    values = CH_FLEYRIAT | overrides
    return ";".join(values[name] for name in STRUCTURE_FIELDS) + "\n"


def write(tmp_path, content, name="extract.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding, newline="")
    return path


def counts(report) -> dict:
    return {key: value for key, value in report.counts.items() if value}


class TestTheSampleExtract:
    def test_is_refused_whole_when_line_13_names_an_unknown_departement(
        self, without_wallis_and_futuna
    ):
        before = snapshot()

        report = import_finess_extract(path=EXTRACT, wet_run=True)

        assert not report.written
        assert [(line.location, line.reason) for line in report.rejected] == [
            ("ligne 13", "Département « 9J » inconnu.")
        ]
        assert snapshot() == before

    def test_dry_run_reports_exactly_what_the_wet_run_then_creates(self):
        before = {model: model.objects.count() for model in MODELS}

        dry = import_finess_extract(path=EXTRACT)
        assert {model: model.objects.count() for model in MODELS} == before
        wet = import_finess_extract(path=EXTRACT, wet_run=True)

        assert (
            counts(dry)
            == counts(wet)
            == {
                ("LegalEntity", CREATED): 13,
                ("Establishment", CREATED): 14,
            }
        )
        assert wet.written and not wet.rejected
        assert LegalEntity.objects.count() == before[LegalEntity] + 13
        assert Establishment.objects.count() == before[Establishment] + 14

    def test_a_second_run_changes_nothing(self):
        import_finess_extract(path=EXTRACT, wet_run=True)
        before = snapshot()

        again = import_finess_extract(path=EXTRACT, wet_run=True)

        assert again.get(Establishment, CREATED) == again.get(Establishment, UPDATED) == 0
        assert again.get(LegalEntity, CREATED) == 0
        assert again.get(Establishment, UNCHANGED) == 14
        assert snapshot() == before

    def test_maps_the_fields_of_an_establishment(self):
        import_finess_extract(path=EXTRACT, wet_run=True)

        establishment = Establishment.objects.select_related("legal_entity", "department").get(
            finess="010000024"
        )
        assert establishment.name == "CH DE FLEYRIAT"
        assert establishment.long_name == "CENTRE HOSPITALIER DE BOURG-EN-BRESSE FLEYRIAT"
        assert establishment.siret == "26010004500012"
        assert establishment.department.code == "01"
        assert establishment.legal_entity.finess == "010780054"
        assert establishment.address == "900 RTE DE PARIS"
        assert establishment.postal_line == "01440 VIRIAT"
        assert establishment.commune == "VIRIAT"
        assert establishment.category_code == "355"
        assert str(establishment.opened_date) == "1979-02-13"
        assert str(establishment.registry_updated_date) == "2020-02-04"
        quoted = Establishment.objects.get(finess="980501506")
        assert quoted.name == 'LIEU DE VIE "MAVOUNA MEMA 1"'
        assert Establishment.objects.get(finess="970102018").siret == ""

    def test_creates_a_stub_for_an_unknown_legal_entity_and_keeps_a_real_name(self):
        LegalEntityFactory(finess="010780054", name="CH de Bourg-en-Bresse", siren="")

        import_finess_extract(path=EXTRACT, wet_run=True)

        assert LegalEntity.objects.get(finess="010780054").name == "CH de Bourg-en-Bresse"
        assert LegalEntity.objects.get(finess="590799730").name == "Entité juridique 590799730"
        cayenne = LegalEntity.objects.get(finess="970302022")
        assert cayenne.establishments.count() == 2

    def test_updates_what_changed(self, tmp_path):
        import_finess_extract(path=EXTRACT, wet_run=True)
        changed = write(tmp_path, HEADER + structure_line(telephone="0474000000"))

        report = import_finess_extract(path=changed, wet_run=True)

        assert report.get(Establishment, UPDATED) == 1
        assert Establishment.objects.get(finess="010000024").phone == "0474000000"


class TestGeolocation:
    def test_sets_the_coordinates_then_changes_nothing(self, tmp_path):
        path = write(
            tmp_path,
            HEADER
            + structure_line()
            + "geolocalisation;010000024;870215.6;6563569.3;1,ATLASANTE,100,IGN;2024-01-15\n",
        )

        first = import_finess_extract(path=path, wet_run=True)
        again = import_finess_extract(path=path, wet_run=True)

        establishment = Establishment.objects.get(finess="010000024")
        assert str(establishment.geo_x) == "870215.60"
        assert establishment.geo_source == "1,ATLASANTE,100,IGN"
        assert first.get(Establishment, CREATED) == 1
        assert first.get(Establishment, UPDATED) == 0
        assert again.get(Establishment, UNCHANGED) == 1
        assert again.get(Establishment, UPDATED) == 0

    def test_of_an_unknown_establishment_is_rejected(self, tmp_path):
        path = write(tmp_path, HEADER + "geolocalisation;010780054;1;2;IGN;2024-01-15\n")

        report = import_finess_extract(path=path, wet_run=True)

        assert report.rejected[0].location == "ligne 2"
        assert "inconnu" in report.rejected[0].reason


class TestABadLine:
    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [
            ({"nofinesset": "010000025"}, "FINESS géographique « 010000025 » invalide"),
            ({"nofinessej": "01078005"}, "FINESS juridique « 01078005 » invalide"),
            ({"siret": "26010004500013"}, "SIRET « 26010004500013 » invalide"),
            ({"dateouv": "13/02/1979"}, "Date dateouv « 13/02/1979 » invalide"),
            ({"departement": "99"}, "Département « 99 » inconnu"),
            ({"rs": "", "rslongue": ""}, "Raison sociale absente"),
        ],
    )
    def test_names_its_line_and_reason_and_nothing_is_written(self, tmp_path, overrides, reason):
        path = write(
            tmp_path,
            HEADER
            + structure_line(nofinesset="010780054")
            + structure_line(**{"nofinesset": "010000024"} | overrides),
        )
        before = snapshot()

        report = import_finess_extract(path=path, wet_run=True, batch_size=1)

        assert len(report.rejected) == 1
        assert report.rejected[0].location == "ligne 3"
        assert reason in report.rejected[0].reason
        assert not report.written
        assert snapshot() == before

    def test_is_all_or_nothing_even_after_batches_were_written(self, tmp_path):
        good = [
            structure_line(nofinesset=number) for number in ("010780054", "970302022", "590799730")
        ]
        path = write(tmp_path, HEADER + "".join(good) + structure_line(nofinesset="010000025"))
        before = snapshot()

        report = import_finess_extract(path=path, wet_run=True, batch_size=1)

        assert report.get(Establishment, CREATED) == 3
        assert report.rejected[0].location == "ligne 5"
        assert snapshot() == before


def random_bytes(size: int) -> bytes:
    return os.urandom(size)


BAD_EXTRACTS = {
    "not UTF-8 nor Windows-1252": (
        HEADER.encode() + b"structureet;\x81\x8d\x90;x\n",
        "ni en Windows-1252",
    ),
    "binary with NUL bytes": (HEADER.encode() + b"\x00\x01\x02" * 100, "fichier binaire"),
    "a quoted field never closed": (
        (HEADER + structure_line(rs='"CH DE FLEYRIAT')).encode(),
        "guillemet jamais fermé",
    ),
    "a wrong first line": (("finess;autre;1\n" + structure_line()).encode(), "Première ligne"),
    "an empty file": (b"", "Première ligne"),
    "a duplicate FINESS number": (
        (HEADER + structure_line() + structure_line()).encode(),
        "FINESS 010000024 en double : lignes 2 et 3",
    ),
}
BAD_LINES = {
    "an unknown section": ("equipement;010000024;x\n", "Section « equipement » inconnue"),
    "missing fields": (structure_line()[:-40] + "\n", "champs au lieu de 32"),
}


class TestABadFile:
    @pytest.mark.parametrize("case", BAD_EXTRACTS, ids=list(BAD_EXTRACTS))
    def test_gets_a_clear_french_error_and_changes_nothing(self, tmp_path, case):
        content, message = BAD_EXTRACTS[case]
        path = write(tmp_path, content)
        before = snapshot()

        report = import_finess_file(path=path, wet_run=True)

        assert message in report.file_error
        assert not report.written
        assert snapshot() == before

    @pytest.mark.parametrize("case", BAD_LINES, ids=list(BAD_LINES))
    def test_with_a_bad_record_is_rejected_whole(self, tmp_path, case):
        line, message = BAD_LINES[case]
        path = write(tmp_path, HEADER + structure_line(nofinesset="010780054") + line)
        before = snapshot()

        report = import_finess_file(path=path, wet_run=True)

        assert report.rejected[0].location == "ligne 3"
        assert message in report.rejected[0].reason
        assert snapshot() == before

    def test_of_50_mb_of_random_bytes_is_refused_quickly(self, tmp_path):
        path = write(tmp_path, b"\x81" + random_bytes(50 * 1024 * 1024))

        report = import_finess_file(path=path, wet_run=True)

        assert "ni en Windows-1252" in report.file_error or "binaire" in report.file_error

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (FEED.read_bytes()[:5000], "JSON invalide ou tronqué, ligne"),
            (b"[1, 2]", "n'est pas un flux FINESS+"),
            (b'{"autre": 1}', "n'est pas un flux FINESS+"),
            (b"{" + random_bytes(4096), "JSON"),
        ],
        ids=["cut in the middle", "a list", "another object", "random bytes"],
    )
    def test_json_gets_a_clear_french_error_and_changes_nothing(self, tmp_path, content, message):
        path = write(tmp_path, content, name="feed.json")
        before = snapshot()

        report = import_finess_file(path=path, wet_run=True)

        assert message in report.file_error
        assert snapshot() == before

    def test_in_windows_1252_is_read(self, tmp_path):
        path = write(
            tmp_path, HEADER + structure_line(rs="CH DE FLEYRIAT ÉLÉGANT"), encoding="cp1252"
        )

        report = import_finess_extract(path=path, wet_run=True)

        assert report.written
        assert Establishment.objects.get(finess="010000024").name == "CH DE FLEYRIAT ÉLÉGANT"


class TestTheSampleFeed:
    def test_dry_run_reports_exactly_what_the_wet_run_then_creates(self):
        before = snapshot()

        dry = import_finess_plus(path=FEED)
        assert snapshot() == before
        wet = import_finess_plus(path=FEED, wet_run=True)

        expected = {("LegalEntity", CREATED): 3, ("Establishment", CREATED): 2}
        assert counts(dry) == counts(wet) == expected
        assert wet.written and not wet.rejected

    def test_skips_the_ghts_whose_region_cannot_be_told_without_blocking(self):
        report = import_finess_plus(path=FEED, wet_run=True)

        assert [line.location for line in report.skipped] == [f"$.gcc[{i}]" for i in range(5)]
        assert "région indéterminable" in report.skipped[0].reason
        assert "14967" in report.skipped[0].reason
        assert not HospitalGroup.objects.filter(code="27103").exists()

    def test_maps_legal_entities_and_sites(self):
        import_finess_plus(path=FEED, wet_run=True)

        entity = LegalEntity.objects.select_related("department").get(finess="010000156")
        assert (entity.name, entity.siren, entity.finess_plus_id) == (
            "CLINIQUE CONVERT",
            "772201489",
            "2",
        )
        assert entity.department.code == "01"
        assert entity.legal_status_code == "73"
        site = Establishment.objects.get(finess="010780195")
        assert site.legal_entity == entity
        assert (site.siret, site.finess_plus_id, site.commune) == (
            "77220148900022",
            "799",
            "BOURG EN BRESSE",
        )
        assert LegalEntity.objects.get(finess="010000164").name == "POLYCLINIQUE D'AMBERIEU"

    def test_a_second_run_changes_nothing(self):
        import_finess_plus(path=FEED, wet_run=True)
        before = snapshot()

        again = import_finess_plus(path=FEED, wet_run=True)

        assert counts(again) == {("LegalEntity", UNCHANGED): 3, ("Establishment", UNCHANGED): 2}
        assert snapshot() == before


def feed_with_ght(members) -> dict:
    return {
        "pmej": [
            {
                "informationsGeneralesPMEJ": {
                    "pmSmsseId": "501",
                    "numFinessPm": "100000017",
                    "denominationPm": "CH DE TROYES",
                    "siren": "261000038",
                },
                "adresse": [{"cogCommune": "10387"}],
                "ege": [],
            }
        ],
        "gcc": [
            {
                "gccId": "77",
                "nomGcc": "GHT Aube et Sézannais",
                "typeGcc": "001",
                "gccIdentifiantExterne": "44010",
                "pmejDuGcc": members,
            },
            {"gccId": "78", "nomGcc": "Autre groupement", "typeGcc": "002", "pmejDuGcc": []},
        ],
    }


class TestAGhtOfTheFeed:
    def test_is_created_in_the_region_of_its_support_with_its_known_members(self, tmp_path):
        member = LegalEntityFactory(finess_plus_id="502")
        path = write(
            tmp_path,
            json.dumps(
                feed_with_ght(
                    [
                        {"pmSmsseId": "501", "typeRoleEntiteGroupe": "S"},
                        {"pmSmsseId": "502", "typeRoleEntiteGroupe": "M"},
                        {"pmSmsseId": "999", "typeRoleEntiteGroupe": "M"},
                    ]
                )
            ),
            name="feed.json",
        )

        dry = import_finess_plus(path=path)
        wet = import_finess_plus(path=path, wet_run=True)
        again = import_finess_plus(path=path, wet_run=True)

        group = HospitalGroup.objects.get(code="44010")
        assert (group.region.code, group.finess_plus_id) == ("44", "77")
        roles = {m.legal_entity.finess: m.role for m in group.memberships.all()}
        assert roles == {"100000017": MembershipRole.SUPPORT, member.finess: MembershipRole.MEMBER}
        assert counts(dry) == counts(wet)
        assert wet.get(HospitalGroupMembership, CREATED) == 2
        assert "999" in wet.skipped[0].reason
        assert again.get(HospitalGroup, UNCHANGED) == 1
        assert again.get(HospitalGroupMembership, UNCHANGED) == 2
        assert again.get(HospitalGroupMembership, CREATED) == 0

    def test_with_two_supports_is_rejected(self, tmp_path):
        path = write(
            tmp_path,
            json.dumps(
                feed_with_ght(
                    [
                        {"pmSmsseId": "501", "typeRoleEntiteGroupe": "S"},
                        {"pmSmsseId": "502", "typeRoleEntiteGroupe": "S"},
                    ]
                )
            ),
            name="feed.json",
        )

        report = import_finess_plus(path=path, wet_run=True)

        assert report.rejected[0].location == "$.gcc[0]"
        assert "un seul établissement support" in report.rejected[0].reason
        assert not LegalEntity.objects.filter(finess="100000017").exists()


class TestTheCommand:
    def test_prints_the_counts_of_a_dry_run(self, capsys):
        call_command("import_finess", str(FEED))

        output = capsys.readouterr().out
        assert "simulation" in output
        assert "entité juridique" in output
        assert not LegalEntity.objects.filter(finess="010000156").exists()

    def test_fails_listing_the_rejected_lines(self, capsys, without_wallis_and_futuna):
        with pytest.raises(CommandError, match="1 enregistrement"):
            call_command("import_finess", str(EXTRACT), "--wet-run")

        assert "ligne 13 : Département « 9J » inconnu." in capsys.readouterr().out
        assert not Establishment.objects.filter(finess="010000024").exists()

    def test_fails_clearly_on_a_bad_file(self, tmp_path):
        path = write(tmp_path, b"\x00garbage")

        with pytest.raises(CommandError, match="binaire"):
            call_command("import_finess", str(path), "--wet-run")

    def test_writes_with_wet_run(self, capsys):
        call_command("import_finess", str(FEED), "--wet-run")

        assert "Import enregistré." in capsys.readouterr().out
        assert LegalEntity.objects.filter(finess="010000156").exists()


class TestGroupingsOfKnownEstablishments:
    """A FINESS+ grouping whose support and members are already imported becomes a GHT."""

    def known(self, finess_plus_id, *, sites=1):
        from territories.models import Department

        from .factories import EstablishmentFactory

        department = Department.objects.get(code="77")
        entity = LegalEntityFactory(finess_plus_id=finess_plus_id, department=department)
        return [
            EstablishmentFactory(legal_entity=entity, department=department) for _ in range(sites)
        ]

    def test_creates_the_ght_in_the_region_of_its_support_journaled(self):
        from audit.journal import AuditEvent

        [support_site] = self.known("75098")
        self.known("74827", sites=2)
        report = import_finess_plus(path=FEED, wet_run=True)

        ght = HospitalGroup.objects.get(code="11102")
        assert ght.name == "77 Sud"
        assert ght.region == support_site.department.region
        support = ght.memberships.get(role="SUPPORT")
        assert support.establishment == support_site  # the carrier of its contracts
        assert ght.memberships.get(role="MEMBER").establishment is None  # two sites: the entity
        assert "$.gcc[2]" not in [line.location for line in report.skipped]
        events = AuditEvent.objects.filter(
            object_type="territories.HospitalGroup", object_id=str(ght.pk)
        )
        assert events.filter(action="CREATE").exists()
        assert events.filter(summary__contains="Membres").exists()

    def test_a_second_import_changes_nothing_and_journals_nothing(self):
        from audit.journal import AuditEvent

        self.known("75098")
        self.known("74827")
        import_finess_plus(path=FEED, wet_run=True)
        events = AuditEvent.objects.count()
        import_finess_plus(path=FEED, wet_run=True)
        assert AuditEvent.objects.count() == events


class TestTheJournal:
    def test_records_one_import_event_with_what_a_wet_run_wrote(self):
        from audit.journal import AuditAction, AuditEvent

        events = AuditEvent.objects.count()
        import_finess_extract(path=EXTRACT)
        assert AuditEvent.objects.count() == events  # a dry run journals nothing

        import_finess_extract(path=EXTRACT, wet_run=True)

        event = AuditEvent.objects.filter(action=AuditAction.IMPORT).get()
        assert event.object_label == "finess_extract_sample.csv"
        assert event.changes["Establishment created"] == 14
        assert event.changes["records_read"] == 14

    def test_records_nothing_when_the_import_is_refused(self, without_wallis_and_futuna):
        from audit.journal import AuditEvent

        events = AuditEvent.objects.count()
        import_finess_extract(path=EXTRACT, wet_run=True)
        assert AuditEvent.objects.count() == events
