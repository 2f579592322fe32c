"""How a program proves who it is: ``Authorization: Bearer <key>`` with a personal token."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .tokens import find_token, mark_used

KEYWORD = "Bearer"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate by personal API token; a revoked, expired or unknown key gets 401."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête Authorization mal formé."))
        try:
            key = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("Jeton illisible.")) from error
        now = timezone.now()
        token = find_token(key, now=now)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Jeton inconnu, expiré ou révoqué."))
        mark_used(token, now=now)
        return token.user, token

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "jetonPersonnel"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Jeton personnel créé depuis la page « Mes jetons d'API ».",
        }
