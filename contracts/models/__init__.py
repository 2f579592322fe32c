"""A territorial attractiveness contract, its axes, funding lines, milestones and money.

Money invariants that one row can state are database constraints on ``YearlyAllocation``
(delegated ≤ allocated, consumed ≤ delegated, recovered ≤ delegated); since sums keep
``≤``, they hold at every level (line, axis, contract, year). The one invariant that
spans rows, allocated ≤ envelope, is checked by the services under a row lock.
"""

from .contract import (
    Contract,
    ContractKind,
    ContractStatus,
    FundingLine,
    StrategicAxis,
    YearlyAllocation,
)
from .decisions import (
    Amendment,
    ConsumptionStatement,
    CreditDelegation,
    CreditDelegationLine,
    Recovery,
    RecoveryBasis,
    RecoveryMode,
)
from .documents import ContractDocument, ContractDocumentKind
from .four_eyes import DecisionStatus, FourEyesDecision, four_eyes_constraint
from .milestones import EvidenceDocument, Milestone, MilestoneStatus, evidence_upload_path
from .schemes import SchemeParameterSet, scheme_parameters_on

__all__ = [
    "Amendment",
    "ConsumptionStatement",
    "Contract",
    "ContractDocument",
    "ContractDocumentKind",
    "ContractKind",
    "ContractStatus",
    "CreditDelegation",
    "CreditDelegationLine",
    "DecisionStatus",
    "EvidenceDocument",
    "FourEyesDecision",
    "FundingLine",
    "Milestone",
    "MilestoneStatus",
    "Recovery",
    "RecoveryBasis",
    "RecoveryMode",
    "SchemeParameterSet",
    "StrategicAxis",
    "YearlyAllocation",
    "evidence_upload_path",
    "four_eyes_constraint",
    "scheme_parameters_on",
]
