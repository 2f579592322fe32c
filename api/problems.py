"""Errors as RFC 9457 problem details (``application/problem+json``), in French.

Every error of the API goes through ``problem_exception_handler``: DRF's own errors,
Django's 404 and 403, the domain's refusals (``BusinessRuleError``), a held flow lock
(409 with ``Retry-After``), and anything unexpected (logged, answered without details).
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from viewflow.workflow.exceptions import FlowLockFailed

from contracts.exceptions import BusinessRuleError, FourEyesError, WrongStatusError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://contrats-attractivite.invalid/problemes/"
LOCK_RETRY_AFTER_SECONDS = 5


class StepConflict(exceptions.APIException):
    """The task was done by someone else meanwhile, or is no longer at this step."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Cette étape a déjà été traitée ou n'est plus ouverte.")
    default_code = "conflit"


def problem(
    *, status_code: int, code: str, title: str, detail: str, instance: str = "", **extra
) -> Response:
    """Return a problem-details response."""
    body = {
        "type": f"{TYPE_BASE}{code}",
        "title": title,
        "status": status_code,
        "detail": detail,
        **({"instance": instance} if instance else {}),
        **extra,
    }
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


TITLES = {
    400: _("Requête invalide"),
    401: _("Authentification requise"),
    403: _("Action refusée"),
    404: _("Introuvable"),
    405: _("Méthode non autorisée"),
    406: _("Format de réponse non disponible"),
    409: _("Conflit"),
    415: _("Format de requête non pris en charge"),
    429: _("Trop de requêtes"),
    500: _("Erreur interne"),
}

FRENCH_DETAILS = {
    exceptions.NotAuthenticated: _("Authentifiez-vous : jeton d'API ou session."),
    exceptions.NotFound: _("Aucun objet ne correspond à cette adresse dans votre périmètre."),
    Http404: _("Aucun objet ne correspond à cette adresse dans votre périmètre."),
    exceptions.PermissionDenied: _("Vous n'avez pas le droit de faire cette action."),
    PermissionDenied: _("Vous n'avez pas le droit de faire cette action."),
    exceptions.MethodNotAllowed: _("Cette méthode n'est pas acceptée à cette adresse."),
    exceptions.NotAcceptable: _("Le format de réponse demandé n'est pas disponible."),
    exceptions.UnsupportedMediaType: _("Le format du corps de la requête n'est pas accepté."),
    exceptions.ParseError: _("Le corps de la requête est illisible."),
}


def _field_errors(detail, prefix: str = "") -> list[dict]:
    """Flatten DRF's nested error detail into ``[{"field": "a.b", "message": …}]``."""
    errors = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a nested list serializer's items, by index
                name = f"{prefix}[{key}]"
            elif key == "non_field_errors":
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else key
            errors.extend(_field_errors(value, name))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                errors.extend(_field_errors(value, f"{prefix}[{index}]"))
            else:
                errors.extend(_field_errors(value, prefix))
    else:
        errors.append({"field": prefix or None, "message": str(detail)})
    return errors


# DRF's own wording of these (English or mixed, with parser internals) is always replaced.
ALWAYS_FRENCH = (
    exceptions.MethodNotAllowed,
    exceptions.NotAcceptable,
    exceptions.UnsupportedMediaType,
    exceptions.ParseError,
)


def _detail_of(exc) -> str:
    for klass, message in FRENCH_DETAILS.items():
        if type(exc) is klass:
            if isinstance(exc, ALWAYS_FRENCH):
                return message
            custom = str(getattr(exc, "detail", "") or "")
            default = str(getattr(klass, "default_detail", "") or "")
            return message if not custom or custom == default else custom
    return str(getattr(exc, "detail", exc))


def problem_exception_handler(exc, context) -> Response:
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if isinstance(exc, FlowLockFailed):
        response = problem(
            status_code=409,
            code="verrou",
            title=TITLES[409],
            detail=_(
                "Quelqu'un d'autre agit en ce moment sur ce dossier. "
                "Rien n'a été enregistré : réessayez dans quelques instants."
            ),
            instance=instance,
        )
        response["Retry-After"] = str(LOCK_RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, BusinessRuleError):
        status_code = 403 if isinstance(exc, FourEyesError) else 409
        if not isinstance(exc, FourEyesError | WrongStatusError):
            status_code = 422
        code = {403: "quatre-yeux", 409: "statut", 422: "regle-metier"}[status_code]
        return problem(
            status_code=status_code,
            code=code,
            title=_("Refusé par une règle du contrat"),
            detail=" ".join(exc.messages),
            instance=instance,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_detail_of(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(_detail_of(exc))
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        return problem(
            status_code=400,
            code="validation",
            title=TITLES[400],
            detail=_("Certaines valeurs sont invalides : %(fields)s.")
            % {"fields": ", ".join(sorted({e["field"] or "requête" for e in errors}))},
            instance=instance,
            errors=errors,
        )
    if isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
        response = problem(
            status_code=status_code,
            code=getattr(exc, "default_code", "erreur"),
            title=TITLES.get(status_code, _("Erreur")),
            detail=_detail_of(exc),
            instance=instance,
        )
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response["Retry-After"] = str(int(exc.wait) + 1)
            response.data["detail"] = _(
                "Trop de requêtes pour ce jeton : réessayez dans %(seconds)s s."
            ) % {"seconds": int(exc.wait) + 1}
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            response["WWW-Authenticate"] = auth_header
        return response
    logger.exception("Erreur inattendue de l'API", exc_info=exc)
    return problem(
        status_code=500,
        code="interne",
        title=TITLES[500],
        detail=_("Une erreur inattendue s'est produite ; elle a été consignée."),
        instance=instance,
    )
