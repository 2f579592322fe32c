"""Messages the flows send: journaled and queued as a task in the step's transaction.

A ``Function`` node runs inside the user's transaction (VIEWFLOW_NOTES trap 11): the mail
is a task queued in that transaction (``workflows.tasks.send_message``), so a worker sends
it once the decision commits, a failing mail server never rolls a decision back (the task
fails, visibly) and a rolled-back decision never sends a mail (its task is rolled back too).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from background.db import prepared
from contracts.money import format_euros
from territories.access import (
    ROLE_GROUP_NAMES,
    Role,
    hospital_group_scope_group_name,
    region_scope_group_name,
)

from .tasks import send_message


def _recipients(process, role: Role) -> list[str]:
    """Return the e-mail addresses of the active members of ``role`` in the process's
    GHT (a GHT director) or region (anyone else), each once, in order."""
    scope_group = (
        hospital_group_scope_group_name(process.hospital_group)
        if role == Role.GHT_DIRECTOR
        else region_scope_group_name(process.region)
    )
    connection = transaction.get_connection()
    sql = _RECIPIENTS_SQL.get(connection.vendor)
    if sql is None:
        sql = _RECIPIENTS_SQL[connection.vendor] = _recipients_sql(connection)
    with prepared(connection), connection.cursor() as cursor:
        cursor.execute(sql, [ROLE_GROUP_NAMES[role], scope_group, True, ""])
        return [email for (email,) in cursor.fetchall()]


# Members of both groups, in raw SQL built once per vendor: every approval asks it, and the
# ORM's query building (two joins through the groups) cost more than the statement.
_RECIPIENTS_SQL: dict[str, str] = {}


def _recipients_sql(connection) -> str:
    user = get_user_model()
    memberships = user.groups.through
    quote = connection.ops.quote_name
    users, members, groups = (
        quote(user._meta.db_table),
        quote(memberships._meta.db_table),
        quote(Group._meta.db_table),
    )
    member_of = (
        f"EXISTS (SELECT 1 FROM {members} m JOIN {groups} g ON g.id = m.group_id "
        "WHERE m.user_id = u.id AND g.name = %s)"
    )
    return (
        f"SELECT DISTINCT u.email FROM {users} u WHERE {member_of} AND {member_of} "
        "AND u.is_active = %s AND u.email <> %s ORDER BY u.email"
    )


def _queue_mail(subject: str, body: str, recipients: list[str]) -> None:
    if recipients:
        send_message.enqueue(str(subject), str(body), list(recipients))


def notify_delegation(activation) -> None:
    """Tell the GHT's directors that the year's delegation was approved."""
    process = activation.process.coerced
    # The delegation the step just approved, with its contract and lines (no re-read).
    delegation = process.delegation
    contract = delegation.contract
    total = sum((line.amount for line in delegation.lines.all()), start=0)
    subject = _("Délégation de crédits %(year)s – %(contract)s") % {
        "year": delegation.year,
        "contract": contract.reference,
    }
    body = _(
        "La délégation de crédits %(year)s de %(total)s a été validée "
        "(décision %(ref)s du %(date)s)."
    ) % {
        "year": delegation.year,
        "total": format_euros(total),
        "ref": delegation.decision_reference,
        "date": date_format(delegation.decision_date, "SHORT_DATE_FORMAT"),
    }
    recipients = _recipients(process, Role.GHT_DIRECTOR)
    record_event(
        actor=None,
        action=AuditAction.TRANSITION,
        obj=delegation,
        contract=contract,
        summary=_("GHT informé de la délégation %(year)s") % {"year": delegation.year},
        changes={"destinataires": {"before": None, "after": len(recipients)}},
    )
    _queue_mail(subject, body, recipients)


def remind_milestone(activation) -> None:
    """Remind the GHT's directors that a milestone's due date is near."""
    process = activation.process.coerced
    milestone = process.milestone
    process.reminded_at = timezone.now()
    process.save(update_fields=["reminded_at"])
    record_event(
        actor=None,
        action=AuditAction.TRANSITION,
        obj=milestone,
        contract=process.contract,
        summary=_("Relance envoyée avant l'échéance du jalon"),
    )
    _queue_mail(
        _("Jalon à déclarer avant le %(due)s")
        % {"due": date_format(milestone.due_date, "SHORT_DATE_FORMAT")},
        _("Merci de déclarer l'avancement du jalon « %(title)s ».") % {"title": milestone.title},
        _recipients(process, Role.GHT_DIRECTOR),
    )


def escalate_milestone(activation) -> None:
    """Tell the region's contract managers that a milestone's due date has passed."""
    process = activation.process.coerced
    milestone = process.milestone
    process.escalated_at = timezone.now()
    process.save(update_fields=["escalated_at"])
    record_event(
        actor=None,
        action=AuditAction.TRANSITION,
        obj=milestone,
        contract=process.contract,
        summary=_("Échéance dépassée : alerte au chargé de mission"),
    )
    _queue_mail(
        _("Jalon en retard : %(title)s") % {"title": milestone.title},
        _("L'échéance du %(due)s est passée sans déclaration du GHT.")
        % {"due": date_format(milestone.due_date, "SHORT_DATE_FORMAT")},
        _recipients(process, Role.ARS_MANAGER),
    )
