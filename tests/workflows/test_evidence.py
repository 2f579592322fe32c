"""Evidence filed with a milestone report: checked by content, stored, journaled, downloadable."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.journal import AuditEvent
from contracts.models import EvidenceDocument, Milestone
from workflows.flows import MilestoneReviewFlow

from . import scenarios
from .helpers import MINIMAL_PDF, client_for, complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def review():
    contract = scenarios.active_demo_contract()
    milestone = Milestone.objects.get(
        axis__contract=contract, title="Assistant spécialiste en poste"
    )
    return MilestoneReviewFlow.start.run(milestone=milestone)


def report(process, evidence):
    return complete(
        client_for("director"),
        process,
        MilestoneReviewFlow.report,
        {
            "actual_value": "1",
            "comment": "En poste.",
            "evidence": evidence,
            "evidence_description": "Contrat de l'assistant",
        },
    )


class TestEvidenceFiledWithAReport:
    def test_is_stored_journaled_with_its_sha256_and_downloadable(self, review):
        response = report(review, SimpleUploadedFile("contrat-astp.pdf", MINIMAL_PDF))

        assert response.status_code == 302
        document = EvidenceDocument.objects.get()
        digest = hashlib.sha256(MINIMAL_PDF).hexdigest()
        assert AuditEvent.objects.filter(changes__sha256__after=digest).exists()
        url = reverse("contracts:evidence_download", args=[review.contract_id, document.pk])
        for username in ("director", "manager", "auditor"):
            download = client_for(username).get(url)
            assert download.status_code == 200
            assert b"".join(download.streaming_content) == MINIMAL_PDF

    def test_of_a_forbidden_type_is_refused_on_the_field(self, review):
        response = report(review, SimpleUploadedFile("rapport.pdf", b"MZ\x90\x00 executable"))

        assert response.status_code == 400
        assert "Type de fichier non accepté" in response.context["form"].errors["evidence"][0]
        assert response.context["form"]["comment"].value() == "En poste."
        assert not EvidenceDocument.objects.exists()
