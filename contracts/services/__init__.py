"""Write use cases of the contract domain, one module per aggregate: keyword-only, atomic, journaled.

Every function checks its business rules, writes, and appends the audit event in the
same transaction; a refused write raises a ``BusinessRuleError`` and changes nothing.
Money invariants that one row can hold are also database constraints (see ``models``);
the envelope, which spans rows, is checked under a lock on the contract row.

Callers write ``from contracts import services`` and ``services.approve_contract(...)``:
this package re-exports each use case from its aggregate's module.
"""

from ..credits import (
    RecoveryFigures,
    compute_recovery,
    preview_recovery,
    proposed_delegation_amounts,
)
from ._common import read_locked, step_savepoint, use_case
from .amendments import (
    AmendmentProposal,
    NewLine,
    approve_amendment,
    draft_amendment,
    reject_amendment,
)
from .contract import (
    AxisInput,
    approve_contract,
    change_contract,
    create_contract,
    record_signature,
    return_contract,
    submit_contract,
    support_establishment,
)
from .delegations import (
    approve_credit_delegation,
    prepare_credit_delegation,
    reject_credit_delegation,
)
from .documents import store_evidence, store_signed_contract
from .drafting import copy_contract_structure
from .lines import LineBatch, add_funding_line, change_funding_line
from .milestones import (
    add_milestone,
    record_overdue_follow_up,
    request_milestone_changes,
    reschedule_milestone,
    submit_milestone_progress,
    validate_milestone,
)
from .recoveries import (
    approve_recovery,
    check_consumption_statement,
    check_statement_and_prepare_recovery,
    prepare_recovery,
    reject_recovery,
    submit_consumption_statement,
)
from .structure import (
    add_axis,
    change_axis,
    change_milestone,
    move_axis,
    remove_axis,
    remove_funding_line,
    remove_milestone,
)

__all__ = [
    "LineBatch",
    "add_axis",
    "change_axis",
    "change_milestone",
    "move_axis",
    "remove_axis",
    "remove_funding_line",
    "remove_milestone",
    "copy_contract_structure",
    "store_evidence",
    "store_signed_contract",
    "AmendmentProposal",
    "NewLine",
    "AxisInput",
    "RecoveryFigures",
    "add_funding_line",
    "add_milestone",
    "approve_amendment",
    "approve_contract",
    "approve_credit_delegation",
    "approve_recovery",
    "change_contract",
    "change_funding_line",
    "check_consumption_statement",
    "check_statement_and_prepare_recovery",
    "compute_recovery",
    "create_contract",
    "draft_amendment",
    "prepare_credit_delegation",
    "prepare_recovery",
    "preview_recovery",
    "proposed_delegation_amounts",
    "record_overdue_follow_up",
    "record_signature",
    "reject_amendment",
    "reject_credit_delegation",
    "reject_recovery",
    "request_milestone_changes",
    "reschedule_milestone",
    "return_contract",
    "submit_consumption_statement",
    "submit_contract",
    "read_locked",
    "step_savepoint",
    "submit_milestone_progress",
    "use_case",
    "support_establishment",
    "validate_milestone",
]
