"""Login throttling (django-axes): limits per account and address, and the French answer.

Axes compares every lockout parameter with one limit; here each parameter has its own
(``LOGIN_FAILURE_LIMITS``): a few failures lock one account from one address, many more
lock the address whatever account it tries, so one office behind a shared address is not
locked out by a single person's typos.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from viewflow.contrib.auth import AuthenticationForm

LOCKED_OUT_STATUS = 429


class PerParameterLimitHandler(AxesDatabaseHandler):
    """Count failures against each lockout parameter's own limit.

    Axes locks once ``get_failures`` reaches ``AXES_FAILURE_LIMIT``: each parameter's
    failures are put on that scale, so parameter *i* locks at exactly its own limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        scale = settings.AXES_FAILURE_LIMIT
        limits = settings.LOGIN_FAILURE_LIMITS
        scaled = [0]
        for attempts, limit in zip(
            self.get_user_attempts(request, credentials), limits, strict=True
        ):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            scaled.append(failures * scale // limit)
        return max(scaled)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est "
        "bloquée pendant %(minutes)d minutes pour ce compte ou cette adresse. "
        "Réessayez plus tard ou demandez de l'aide à votre administrateur."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """Answer a locked-out login with the login page and a French message (429)."""
    message = lockout_message()
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message}, status=LOCKED_OUT_STATUS)
    # Rendered now: the axes middleware runs after the template-response phase.
    response = render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "lockout_message": message},
        status=LOCKED_OUT_STATUS,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
