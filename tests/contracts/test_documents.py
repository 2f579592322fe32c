"""Evidence and signed documents: type by content, size limit, storage, journal, scoped download."""

import datetime
import hashlib
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.journal import AuditEvent
from contracts import documents, services
from contracts.exceptions import BusinessRuleError
from contracts.models import ContractDocument, ContractStatus, EvidenceDocument
from territories.access import Role

from .factories import ContractFactory, hospital_group_with_support, make_ready, user_with_role

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Indicateur"
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "piece.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


class TestTheTypeOfAFile:
    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            (PDF_BYTES, documents.PDF),
            (PNG_BYTES, documents.PNG),
            (JPEG_BYTES, documents.JPEG),
            (b"code;nom\n10;Aube\n51;Marne\n", documents.CSV),
            ("finess;raison sociale\n100000017;CH de Troyes – Aube\n".encode(), documents.CSV),
            (
                zipped({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}),
                documents.DOCX,
            ),
            (zipped({"mimetype": documents.ODT.encode(), "content.xml": b"<o/>"}), documents.ODT),
        ],
    )
    def test_is_read_from_its_content(self, content, expected):
        assert documents.detect_content_type(upload(content)) == expected

    def test_recognises_a_real_xlsx_workbook(self):
        assert documents.detect_content_type(upload(xlsx_bytes())) == documents.XLSX

    def test_ignores_the_extension(self):
        html_named_pdf = upload(b"<html><script>alert(1)</script></html>", "contrat.pdf")
        with pytest.raises(ValidationError, match="Type de fichier non accepté"):
            documents.check_document(html_named_pdf)
        assert documents.check_document(upload(PDF_BYTES, "scan.jpg")) == documents.PDF

    @pytest.mark.parametrize(
        "content",
        [b"MZ\x90\x00\x03\x00\x00\x00", zipped({"evil.exe": b"MZ"}), b"\x00\x01\x02binary"],
    )
    def test_refuses_executables_unknown_archives_and_binaries(self, content):
        with pytest.raises(ValidationError, match="Type de fichier non accepté"):
            documents.check_document(upload(content))

    def test_refuses_anything_but_pdf_for_the_signed_contract(self):
        with pytest.raises(ValidationError, match="seuls PDF sont acceptés"):
            documents.check_document(upload(PNG_BYTES), allowed=documents.SIGNED_DOCUMENT_TYPES)

    def test_refuses_a_file_above_the_size_limit(self, settings):
        settings.DOCUMENT_MAX_BYTES = len(PDF_BYTES) - 1
        with pytest.raises(ValidationError, match="dépasse la taille maximale"):
            documents.check_document(upload(PDF_BYTES))

    def test_refuses_an_empty_file(self):
        with pytest.raises(ValidationError, match="vide"):
            documents.check_document(upload(b""))


@pytest.fixture
def milestone(contract):
    return contract.axes.first().milestones.first()


class TestStoringEvidence:
    def test_stores_the_file_in_the_storage_and_journals_its_sha256(
        self, milestone, director, media_root
    ):
        document = services.store_evidence(
            actor=director, milestone=milestone, upload=upload(PDF_BYTES, "rapport.pdf")
        )

        digest = hashlib.sha256(PDF_BYTES).hexdigest()
        assert document.sha256 == digest
        assert document.content_type == documents.PDF
        assert default_storage.exists(document.file.name)
        assert (media_root / document.file.name).read_bytes() == PDF_BYTES
        event = AuditEvent.objects.filter(object_type="contracts.EvidenceDocument").get()
        assert event.contract_id == milestone.axis.contract_id
        assert event.changes["sha256"]["after"] == digest

    def test_refuses_a_forbidden_type_and_writes_nothing(self, milestone, director):
        with pytest.raises(BusinessRuleError, match="Type de fichier non accepté"):
            services.store_evidence(
                actor=director, milestone=milestone, upload=upload(b"MZ\x90\x00", "a.pdf")
            )
        assert not EvidenceDocument.objects.exists()
        assert not AuditEvent.objects.filter(object_type="contracts.EvidenceDocument").exists()


class TestDownloadingADocument:
    @pytest.fixture
    def evidence(self, milestone, director):
        return services.store_evidence(
            actor=director, milestone=milestone, upload=upload(PDF_BYTES, "rapport.pdf")
        )

    @pytest.mark.parametrize("role", ["director", "manager", "validator", "auditor"])
    def test_gives_the_file_to_everyone_who_sees_the_contract(
        self, client, request, contract, evidence, role
    ):
        client.force_login(request.getfixturevalue(role))
        response = client.get(
            reverse("contracts:evidence_download", args=[contract.pk, evidence.pk])
        )
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert 'filename="rapport.pdf"' in response["Content-Disposition"]
        assert response["Content-Type"] == "application/pdf"

    def test_is_not_found_outside_the_contracts_scope(self, client, contract, evidence):
        other = ContractFactory(hospital_group=hospital_group_with_support())
        outsider = user_with_role(
            Role.GHT_DIRECTOR, hospital_group=other.hospital_group, username="autre"
        )
        client.force_login(outsider)
        url = reverse("contracts:evidence_download", args=[contract.pk, evidence.pk])
        assert client.get(url).status_code == 404

    def test_is_not_found_through_another_contract(self, client, contract, evidence, manager):
        other = ContractFactory(hospital_group=contract.hospital_group, region=contract.region)
        client.force_login(manager)
        url = reverse("contracts:evidence_download", args=[other.pk, evidence.pk])
        assert client.get(url).status_code == 404

    def test_is_listed_on_the_contract_page(self, client, contract, evidence, director):
        client.force_login(director)
        page = client.get(reverse("contracts:contract_detail", args=[contract.pk])).content.decode()
        assert reverse("contracts:evidence_download", args=[contract.pk, evidence.pk]) in page


def approved(
    contract, manager, validator, *, on=datetime.datetime(2025, 8, 25, 9, tzinfo=datetime.UTC)
):
    services.submit_contract(actor=manager, contract=make_ready(contract))
    services.approve_contract(actor=validator, contract=contract, at=on)
    return contract


class TestRecordingTheSignature:
    TODAY = datetime.date(2025, 9, 1)

    def sign(self, contract, manager, signature_date, **kwargs):
        return services.record_signature(
            actor=manager,
            contract=contract,
            signature_date=signature_date,
            signatories="DG ARS Grand Est ; directeur du CH de Troyes",
            today=self.TODAY,
            **kwargs,
        )

    def test_stores_the_signed_pdf_and_journals_its_sha256(
        self, client, contract, manager, validator, director
    ):
        approved(contract, manager, validator)
        self.sign(
            contract,
            manager,
            datetime.date(2025, 8, 29),
            signed_document=upload(PDF_BYTES, "signe.pdf"),
        )

        document = ContractDocument.objects.get(contract=contract)
        digest = hashlib.sha256(PDF_BYTES).hexdigest()
        assert document.sha256 == digest
        event = AuditEvent.objects.filter(object_type="contracts.ContractDocument").get()
        assert event.changes["sha256"]["after"] == digest
        client.force_login(director)
        response = client.get(
            reverse("contracts:document_download", args=[contract.pk, document.pk])
        )
        assert b"".join(response.streaming_content) == PDF_BYTES

    @pytest.mark.parametrize(
        ("signature_date", "message"),
        [
            (datetime.date(2025, 8, 24), "précéder l'approbation"),
            (datetime.date(2025, 9, 2), "dans le futur"),
        ],
    )
    def test_refuses_an_implausible_date(
        self, contract, manager, validator, signature_date, message
    ):
        approved(contract, manager, validator)
        with pytest.raises(BusinessRuleError, match=message):
            self.sign(contract, manager, signature_date)
        contract.refresh_from_db()
        assert contract.status == ContractStatus.APPROVED

    def test_refuses_a_date_after_the_end_of_the_contract(self, contract, manager, validator):
        approved(
            contract, manager, validator, on=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        )
        contract.end_date = datetime.date(2025, 6, 30)
        contract.save(update_fields=["end_date"])
        with pytest.raises(BusinessRuleError, match="suivre la fin du contrat"):
            self.sign(contract, manager, datetime.date(2025, 8, 29))

    def test_refuses_a_signed_document_that_is_not_a_pdf(self, contract, manager, validator):
        approved(contract, manager, validator)
        with pytest.raises(BusinessRuleError, match="seuls PDF"):
            self.sign(
                contract, manager, datetime.date(2025, 8, 29), signed_document=upload(PNG_BYTES)
            )
        contract.refresh_from_db()
        assert contract.status == ContractStatus.APPROVED
        assert not ContractDocument.objects.exists()
