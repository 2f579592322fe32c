"""Documents: evidence filed with a milestone report and the signed contract.

The file goes through Django's storage API (``FileField`` on the default storage); its
type is read from its content, its size is capped, and its SHA-256 is journaled.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event

from ..documents import EVIDENCE_TYPES, SIGNED_DOCUMENT_TYPES, check_document, sha256_of
from ..exceptions import BusinessRuleError
from ..models import Contract, ContractDocument, ContractDocumentKind, EvidenceDocument, Milestone
from ._common import use_case


def _checked(upload, allowed) -> tuple[str, str]:
    try:
        content_type = check_document(upload, allowed=allowed)
    except ValidationError as error:
        raise BusinessRuleError(error.messages) from error
    return content_type, sha256_of(upload)


@use_case
def store_evidence(
    *, actor, milestone: Milestone, upload, description: str = ""
) -> EvidenceDocument:
    """Store a piece of evidence for a milestone and journal its SHA-256."""
    content_type, sha256 = _checked(upload, EVIDENCE_TYPES)
    document = EvidenceDocument.objects.create(
        milestone=milestone,
        file=upload,
        description=description,
        uploaded_by=actor,
        sha256=sha256,
        size=upload.size,
        content_type=content_type,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=document,
        contract=milestone.axis.contract,
        summary=_("Pièce justificative déposée : %(name)s") % {"name": document.filename},
        changes={
            "sha256": {"before": None, "after": sha256},
            "file": {"before": None, "after": document.file.name},
            "size": {"before": None, "after": upload.size},
        },
    )
    return document


@use_case
def store_signed_contract(*, actor, contract: Contract, upload) -> ContractDocument:
    """Store the signed contract (PDF only) and journal its SHA-256."""
    content_type, sha256 = _checked(upload, SIGNED_DOCUMENT_TYPES)
    document = ContractDocument.objects.create(
        contract=contract,
        kind=ContractDocumentKind.SIGNED_CONTRACT,
        file=upload,
        sha256=sha256,
        size=upload.size,
        content_type=content_type,
        uploaded_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=document,
        contract=contract,
        summary=_("Contrat signé déposé : %(name)s") % {"name": document.filename},
        changes={
            "sha256": {"before": None, "after": sha256},
            "file": {"before": None, "after": document.file.name},
            "size": {"before": None, "after": upload.size},
        },
    )
    return document
