"""Journal events built through the journal's own service, for the audit and history tests."""

from django.db import transaction

from audit.journal import AuditAction, AuditEvent, record_event


def append_events(count: int, *, actor=None, contract=None) -> list[AuditEvent]:
    events = []
    for index in range(count):
        with transaction.atomic():
            events.append(
                record_event(
                    actor=actor,
                    action=AuditAction.CHANGE,
                    contract=contract,
                    summary=f"Montant modifié {index + 1}",
                    changes={"amount": {"before": "1.00", "after": f"{index + 2}.00"}},
                )
            )
    return events
