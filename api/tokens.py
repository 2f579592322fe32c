"""Issue, find and revoke personal API tokens (the only writes of the ``api`` app).

A key reads ``cat_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole
key is compared in constant time. Issuing and revoking are journaled like any change of
rights.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event

from .models import ApiToken

KEY_SCHEME = "cat"
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=365)
# Writing ``last_used_at`` on every call would make each read a write: once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """Return the SHA-256 hex digest stored for ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once, never stored


@transaction.atomic
def issue_token(*, user, name: str, lifetime: timedelta = DEFAULT_LIFETIME) -> IssuedToken:
    """Create a token for ``user``; return it with its key, which is never shown again."""
    lifetime = min(lifetime, MAX_LIFETIME)
    prefix = secrets.token_hex(4)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or _("Jeton sans nom"),
        prefix=prefix,
        hashed_key=hash_key(key),
        expires_at=now + lifetime,
    )
    record_event(
        actor=user,
        action=AuditAction.CREATE,
        obj=token,
        summary=_("Jeton d'API « %(name)s » créé") % {"name": token.name},
        changes={"expires_at": {"before": None, "after": token.expires_at}},
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def revoke_token(*, user, token: ApiToken) -> ApiToken:
    """Revoke ``token`` (a token of ``user``) from now on; revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk, user=user)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        actor=user,
        action=AuditAction.CHANGE,
        obj=token,
        summary=_("Jeton d'API « %(name)s » révoqué") % {"name": token.name},
        changes={"revoked_at": {"before": None, "after": token.revoked_at}},
    )
    return token


def find_token(key: str, *, now: datetime) -> ApiToken | None:
    """Return the usable token whose key is ``key``, else ``None`` (revoked, expired, wrong)."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        return None
    token = ApiToken.objects.usable(now=now).select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.hashed_key, hash_key(key)):
        return None
    return token


def mark_used(token: ApiToken, *, now: datetime) -> None:
    """Record that ``token`` was used, at most once per ``LAST_USED_RESOLUTION``."""
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
