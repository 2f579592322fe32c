"""Load a contract described as data (``fixtures/contract_*.json``) through the services."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from contracts import services
from contracts.models import Contract
from territories.models import Establishment, HospitalGroup

DEMO_CONTRACT_PATH = Path(settings.BASE_DIR) / "fixtures" / "contract_aube_sezannais_2025.json"


@transaction.atomic
def load_contract(*, actor, hospital_group: HospitalGroup, path: Path = DEMO_CONTRACT_PATH):
    """Create the draft contract described in ``path``, or return it if it already exists."""
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
