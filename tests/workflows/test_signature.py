"""The signature step: date within a plausible range, signatories, the signed PDF."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.journal import AuditEvent
from contracts.models import Contract, ContractDocument, ContractStatus
from demo.loader import load_demo
from workflows.flows import ContractApprovalFlow

from .helpers import MINIMAL_PDF, client_for, complete, signed_pdf, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_process():
    with time_machine.travel(datetime(2025, 8, 25, 8, tzinfo=UTC), tick=True):
        load_demo()
        contract = Contract.objects.get(status=ContractStatus.DRAFT)
        _, process = start(
            client_for("manager"), ContractApprovalFlow.start, {"contract": contract.pk}
        )
        complete(
            client_for("validator"), process, ContractApprovalFlow.approve, {"decision": "APPROVED"}
        )
    return process


def sign(process, **data):
    fields = {
        "signature_date": "2025-08-29",
        "signatories": "DG ARS Grand Est ; directeur de l'établissement support",
        "signed_document": signed_pdf(),
        **data,
    }
    with time_machine.travel(datetime(2025, 9, 1, 8, tzinfo=UTC), tick=True):
        return complete(client_for("manager"), process, ContractApprovalFlow.sign, fields)


class TestTheSignatureForm:
    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            (
                "2025-08-20",
                "La signature ne peut pas précéder l'approbation du contrat (25/08/2025)",
            ),
            ("2025-09-05", "La date de signature ne peut pas être dans le futur."),
        ],
    )
    def test_shows_an_implausible_date_next_to_the_field_and_keeps_the_input(
        self, approved_process, typed, message
    ):
        response = sign(approved_process, signature_date=typed)

        assert response.status_code == 400
        form = response.context["form"]
        assert list(form.errors) == ["signature_date"]
        assert message in form.errors["signature_date"][0]
        assert (
            form["signatories"].value() == "DG ARS Grand Est ; directeur de l'établissement support"
        )
        assert approved_process.contract.status == ContractStatus.APPROVED

    def test_requires_the_signed_document_as_a_pdf(self, approved_process):
        png = SimpleUploadedFile("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
        response = sign(approved_process, signed_document=png)

        assert response.status_code == 400
        assert "seuls PDF sont acceptés" in str(response.context["form"].errors["signed_document"])

        response = sign(approved_process, signed_document="")
        assert "signed_document" in response.context["form"].errors

    def test_puts_the_contract_in_force_with_the_pdf_stored_and_hashed(self, approved_process):
        response = sign(approved_process)

        assert response.status_code == 302
        contract = Contract.objects.get(pk=approved_process.contract_id)
        assert contract.status == ContractStatus.ACTIVE
        assert contract.signature_date == date(2025, 8, 29)
        document = ContractDocument.objects.get(contract=contract)
        with document.file.open("rb") as stored:
            assert stored.read() == MINIMAL_PDF
        assert AuditEvent.objects.filter(
            contract_id=contract.pk, changes__sha256__after=document.sha256
        ).exists()
