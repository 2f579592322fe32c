"""The API's endpoints: reads filtered in SQL to the caller's scope, actions through the flows."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from territories.access import ROLE_GROUP_NAMES


class MeSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Identifiant de la personne.")
    roles = serializers.ListField(child=serializers.CharField(), help_text="Rôles (codes).")
    token = serializers.CharField(
        allow_null=True, help_text="Préfixe du jeton utilisé, s'il y a lieu."
    )


class MeView(APIView):
    """Qui appelle : identifiant, rôles et jeton utilisé."""

    @extend_schema(responses=MeSerializer, summary="Qui suis-je")
    def get(self, request):
        names = {name: role for role, name in ROLE_GROUP_NAMES.items()}
        roles = sorted(names[g.name] for g in request.user.groups.all() if g.name in names)
        token = getattr(request.auth, "prefix", None)
        return Response(
            MeSerializer(
                {"username": request.user.get_username(), "roles": roles, "token": token}
            ).data
        )
