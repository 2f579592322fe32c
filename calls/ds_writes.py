"""Writes to Démarches simplifiées, queued with the decision and sent after it commits.

A write never runs inside the decision's transaction (VIEWFLOW_NOTES trap 11): the row is
created there, and sent by ``transaction.on_commit``; a failure is kept on the row and
journaled, and the decision stands. With ``DS_WRITE_BACK`` off, the row says so.
"""

import os

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event

from . import ds
from .models import DsWriteBack, WriteBackStatus


def queue(*, dossier, kind: str, body: str, actor) -> DsWriteBack:
    """Create the write of ``kind`` for ``dossier``; send it once the caller commits."""
    enabled = settings.DS_WRITE_BACK
    write = DsWriteBack.objects.create(
        dossier=dossier,
        kind=kind,
        body=body,
        status=WriteBackStatus.PENDING if enabled else WriteBackStatus.DISABLED,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if enabled:
        transaction.on_commit(lambda: send(write.pk))
    return write


def send(write_id: int) -> DsWriteBack:
    """Send one pending write to DS and record the outcome (journaled)."""
    with transaction.atomic():
        write = DsWriteBack.objects.select_for_update().select_related("dossier").get(pk=write_id)
        if write.status not in (WriteBackStatus.PENDING, WriteBackStatus.FAILED):
            return write
        try:
            ds.write_back(
                kind=write.kind,
                number=write.dossier.ds_number,
                text=write.body,
                token=os.environ.get("DS_API_TOKEN", ""),
                instructeur_id=settings.DS_INSTRUCTEUR_ID,
                endpoint=settings.DS_API_URL or ds.DEFAULT_ENDPOINT,
            )
        except (OSError, ValueError, ds.DsWriteError) as error:
            write.status = WriteBackStatus.FAILED
            write.error = str(error)[:2000] or error.__class__.__name__
        else:
            write.status = WriteBackStatus.SENT
            write.sent_at = timezone.now()
            write.error = ""
        write.save(update_fields=["status", "error", "sent_at"])
        record_event(
            actor=None,
            action=AuditAction.CHANGE,
            obj=write.dossier,
            summary=_("Démarches simplifiées : « %(kind)s » %(status)s")
            % {"kind": write.get_kind_display(), "status": write.get_status_display().lower()},
            changes={"ds_write": write.pk, "status": write.status, "error": write.error},
        )
    return write
