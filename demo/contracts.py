"""Load a contract described as data (``fixtures/contract_*.json``) through the services."""

import json
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contracts import services
from contracts.models import Contract, ContractStatus
from territories.models import Establishment, HospitalGroup

DEMO_CONTRACT_PATH = Path(settings.BASE_DIR) / "fixtures" / "contract_aube_sezannais_2025.json"


@transaction.atomic
def load_contract(*, actor, hospital_group: HospitalGroup, path: Path = DEMO_CONTRACT_PATH):
    """Create the contract described in ``path`` as a draft, or return it if it already exists.

    ``sign_contract`` then brings it to its signed state.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    existing = Contract.objects.filter(reference=data["reference"]).first()
    if existing is not None:
        return existing
    contract = services.create_contract(
        actor=actor,
        reference=data["reference"],
        title=data["title"],
        hospital_group=hospital_group,
        start_date=date.fromisoformat(data["start_date"]),
        end_date=date.fromisoformat(data["end_date"]),
        envelope_amount=Decimal(data["envelope_amount"]),
        axes=[services.AxisInput(axis["number"], axis["title"]) for axis in data["axes"]],
        note=data.get("note", ""),
    )
    establishments = {e.name: e for e in Establishment.objects.all()}
    axes = {axis.number: axis for axis in contract.axes.all()}
    for axis_data in data["axes"]:
        axis = axes[axis_data["number"]]
        for line in axis_data["lines"]:
            deadline = line.get("consumption_deadline_date")
            services.add_funding_line(
                actor=actor,
                axis=axis,
                code=line["code"],
                scheme=line["scheme"],
                label=line["label"],
                beneficiary=establishments[line["beneficiary"]],
                amounts_by_year={int(y): Decimal(a) for y, a in line["amounts"].items()},
                details=line["details"],
                consumption_deadline_date=date.fromisoformat(deadline) if deadline else None,
            )
        for milestone in axis_data["milestones"]:
            services.add_milestone(
                actor=actor,
                axis=axis,
                title=milestone["title"],
                due_date=date.fromisoformat(milestone["due_date"]),
                indicator_label=milestone["indicator"],
                indicator_unit=milestone["unit"],
                baseline_value=Decimal(milestone["baseline"]),
                target_value=Decimal(milestone["target"]),
            )
    return contract


@transaction.atomic
def sign_contract(
    *, contract: Contract, submitter, approver, path: Path = DEMO_CONTRACT_PATH
) -> Contract:
    """Submit, approve and sign ``contract`` as the file says it was signed (no document)."""
    if contract.status != ContractStatus.DRAFT:
        return contract
    data = json.loads(path.read_text(encoding="utf-8"))
    signature_date = date.fromisoformat(data["signature_date"])
    services.submit_contract(actor=submitter, contract=contract)
    # The approval date is not public: the day of the signature, in the morning, Paris time.
    approved_at = datetime.combine(signature_date, time(9), tzinfo=ZoneInfo(settings.TIME_ZONE))
    services.approve_contract(actor=approver, contract=contract, at=approved_at)
    return services.record_signature(
        actor=submitter,
        contract=contract,
        signature_date=signature_date,
        signatories=data["signatories"],
        today=max(signature_date, timezone.localdate()),
    )


@transaction.atomic
def load_draft_copy(*, actor, source: Contract, hospital_group: HospitalGroup) -> Contract:
    """Create the fictitious draft of ``hospital_group`` copied from ``source``, once."""
    reference = f"CAT-GE-{source.start_date.year}-{hospital_group.code.removeprefix('GE-')}"
    existing = Contract.objects.filter(reference=reference).first()
    if existing is not None:
        return existing
    contract = services.copy_contract_structure(
        actor=actor,
        source=source,
        reference=reference,
        title=f"Contrat d'attractivité territoriale {source.start_date.year}-"
        f"{source.end_date.year} – {hospital_group.name} (brouillon)",
        start_date=source.start_date,
        hospital_group=hospital_group,
        note=DRAFT_NOTE,
    )
    return contract


DRAFT_NOTE = (
    "Contrat fictif, en brouillon, pour parcourir la soumission, la validation et la "
    "signature : sa structure est copiée du contrat de l'Aube et du Sézannais, ses montants "
    "et jalons sont illustratifs."
)
