"""What every use case shares: its transaction, status and four-eyes checks, the send-back
step, locks."""

import functools
from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from background.db import prepared

from ..exceptions import BusinessRuleError, FourEyesError, WrongStatusError
from ..models import (
    Contract,
    DecisionStatus,
)

# Contract fields whose changes the journal records with before/after values.
CONTRACT_AUDITED_FIELDS = [
    "reference",
    "kind",
    "title",
    "start_date",
    "end_date",
    "signature_date",
    "signatories",
    "envelope_amount",
    "status",
    "version",
]
MILESTONE_AUDITED_FIELDS = [
    "title",
    "due_date",
    "indicator_label",
    "baseline_value",
    "target_value",
    "actual_value",
    "status",
]


# The depth of the atomic block opened by ``step_savepoint``, while it runs.
_step_depth: ContextVar[int | None] = ContextVar("step_savepoint_depth", default=None)


@contextmanager
def step_savepoint(*, savepoint: bool = True):
    """Run one flow step in a savepoint shared by the use case it calls directly.

    A step (``workflows.steps.complete_step``) lets a refused use case's error go up
    through this block, which rolls the step back and leaves the request's transaction
    usable (the form is shown again). The use case called directly inside needs no
    savepoint of its own: two statements fewer per step. A caller whose transaction
    ends with the error anyway (the API) passes ``savepoint=False``: none at all.
    """
    with transaction.atomic(savepoint=savepoint):
        token = _step_depth.set(len(transaction.get_connection().atomic_blocks))
        try:
            yield
        finally:
            _step_depth.reset(token)


def use_case(func):
    """Make ``func`` atomic, as ``transaction.atomic`` does.

    Called directly inside ``step_savepoint``, it opens no savepoint: an error rolls
    back to the step's. Anywhere else (a command, the admin, a test that catches the
    error and goes on, a use case calling another) it has its savepoint as before.
    """

    @functools.wraps(func)
    def atomic_use_case(*args, **kwargs):
        depth = len(transaction.get_connection().atomic_blocks)
        with transaction.atomic(savepoint=_step_depth.get() != depth):
            return func(*args, **kwargs)

    return atomic_use_case


def _values(obj, fields: Sequence[str]) -> dict:
    return {name: getattr(obj, name) for name in fields}


def _require_status(obj, expected: Sequence[str], action: str) -> None:
    if obj.status not in expected:
        raise WrongStatusError(
            _("Impossible de %(action)s : « %(object)s » est au statut « %(status)s ».")
            % {"action": action, "object": obj, "status": obj.get_status_display()}
        )


def _require_other_person(*, actor, preparer_id: int | None, what: str) -> None:
    """Refuse a decision approved by the person who prepared it (four-eyes)."""
    if preparer_id is not None and actor.pk == preparer_id:
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : %(what)s a été préparé(e) par vous ; "
                "une autre personne doit l'approuver."
            )
            % {"what": what}
        )


def _require_not_decision_drafter(*, actor, decision, what: str) -> None:
    """Refuse a decision approved by someone who created or changed it (four-eyes)."""
    if hasattr(decision, "drafter_ids") and actor.pk in decision.drafter_ids():
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : vous avez rédigé ou modifié %(what)s ; "
                "une autre personne doit l'approuver."
            )
            % {"what": what}
        )


def _require_not_drafter(*, actor, contract: Contract) -> None:
    """Refuse a decision on a contract taken by someone who wrote its figures (four-eyes)."""
    if actor.pk in contract.drafter_ids():
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : vous avez rédigé des éléments chiffrés de ce contrat "
                "(contrat, lignes, montants ou jalons) ; une autre personne doit le valider."
            )
        )


def _send_back(decision, *, actor, reason: str, action: str, what: str, contract, summary: str):
    """Reject a prepared decision (delegation, recovery, amendment): mandatory reason,
    four-eyes, status change journaled. Returns the locked, rejected decision."""
    if not reason.strip():
        raise BusinessRuleError(_("Le motif du renvoi est obligatoire."))
    decision = type(decision).objects.select_for_update().get(pk=decision.pk)
    _require_status(decision, [DecisionStatus.PREPARED], action)
    _require_other_person(actor=actor, preparer_id=decision.prepared_by_id, what=what)
    _require_not_decision_drafter(actor=actor, decision=decision, what=what)
    decision.status = DecisionStatus.REJECTED
    decision.save(update_fields=["status"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=decision,
        contract=contract(decision),
        summary=summary,
        reason=reason,
        changes={"status": {"before": DecisionStatus.PREPARED, "after": DecisionStatus.REJECTED}},
    )
    return decision


# Where an object read by ``read_locked`` keeps the atomic block it was locked in.
_LOCKED_IN = "_row_locked_in"


class _LockedIterable(ModelIterable):
    """Django's objects, each noting the atomic block its row was locked in."""

    def __iter__(self):
        blocks = transaction.get_connection(self.queryset.db).atomic_blocks
        block = blocks[-1] if blocks else None
        for obj in super().__iter__():
            obj.__dict__[_LOCKED_IN] = block
            yield obj


def read_locked(queryset: QuerySet) -> QuerySet:
    """Return ``queryset`` read under its rows' lock (``select_for_update``), its objects
    marked so that the first use case given one takes it as locked and fresh instead of
    reading it again (``_lock_contract``).

    For a step whose form picks the object it acts on (a start form's contract): the
    form's read is the lock, one statement instead of two. Only inside the transaction
    that will run the use case; the mark is trusted once, while its block is open.
    """
    queryset = queryset.select_for_update(of=("self",))
    queryset._iterable_class = _LockedIterable
    return queryset


def _held_lock(obj) -> bool:
    """Return whether ``obj`` was read under its row lock (``read_locked``) in a block
    still open, and forget it: only the first use case trusts it, later ones read again
    what an earlier one may have changed through another object."""
    block = obj.__dict__.pop(_LOCKED_IN, None)
    if block is None:
        return False
    return any(open_block is block for open_block in transaction.get_connection().atomic_blocks)


_LOCK_CONTRACT_SQL: dict[str, str] = {}


def _lock_contract(contract: Contract) -> Contract:
    """Return ``contract`` read again under its row lock (``select_for_update``), or as
    given when a form just read it so (``read_locked``).

    In raw SQL built once per vendor: every use case on a contract starts here, and the
    ORM's query building cost more than the statement (issue 17).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    if _held_lock(contract):
        return contract
    sql = _LOCK_CONTRACT_SQL.get(connection.vendor)
    if sql is None:
        meta = Contract._meta
        quote = connection.ops.quote_name
        sql = f"SELECT * FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"
        if connection.features.has_select_for_update:
            sql += " FOR UPDATE"
        _LOCK_CONTRACT_SQL[connection.vendor] = sql
    with prepared(connection):
        for locked in Contract.objects.raw(sql, [contract.pk]):
            return locked
    raise Contract.DoesNotExist("Contract matching query does not exist.")
