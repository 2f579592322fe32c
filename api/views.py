"""The API's read endpoints: every list and object filtered in SQL to the caller's scope.

An object outside the scope answers 404, exactly like a missing one. Each list costs the
same number of queries for 1 row and for 50 (relations selected, figures summed in one
grouped query).
"""

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.checkpoints import export_checkpoint
from calls.models import ComplementRequest, SelectionCommittee
from calls.services_decisions import action_cap
from contracts.models import CreditDelegationLine, YearlyAllocation
from contracts.selectors import MoneyFigures, contract_overview, figures_by_contract
from reporting.selectors import contract_progress
from territories.access import ROLE_GROUP_NAMES
from territories.models import HospitalGroupMembership

from . import actions, filters, selectors
from . import serializers as s
from .actions import action_url
from .filters import MAX_ID
from .pagination import JournalCursorPagination, KeysFirstPagePagination

VIEW_CONTRACT = "contracts.view_contract"
VIEW_JOURNAL = "audit.view_auditevent"
VIEW_CAMPAIGN = "calls.view_campaign"
VIEW_DOSSIER = "calls.view_dossier"


class HasRolePermission(permissions.BasePermission):
    """Require the view's ``required_permission`` (a role permission, as on the pages)."""

    message = "Votre rôle ne donne pas accès à ces données."

    def has_permission(self, request, view):
        needed = getattr(view, "required_permission", None)
        return needed is None or request.user.has_perm(needed)


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only resource whose rows come from ``scoped(user)``."""

    permission_classes = [permissions.IsAuthenticated, HasRolePermission]
    required_permission = VIEW_CONTRACT
    scoped = None
    integer_lookup = True

    def get_queryset(self):
        return type(self).scoped(self.request.user)

    def get_object(self):
        if self.integer_lookup:
            value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
            if not str(value).isdigit() or not 0 < int(value) <= MAX_ID:
                raise NotFound
        return super().get_object()


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _valid_for(serializer_class, request, **context) -> dict:
    serializer = serializer_class(data=request.data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _figures_map(contracts) -> dict:
    figures = figures_by_contract(contract.pk for contract in contracts)
    return {contract.pk: figures.get(contract.pk, MoneyFigures()) for contract in contracts}


@extend_schema_view(
    list=extend_schema(summary="Régions", description="Les régions de votre périmètre."),
    retrieve=extend_schema(summary="Une région"),
)
class RegionViewSet(ScopedViewSet):
    serializer_class = s.RegionSerializer
    scoped = staticmethod(selectors.api_regions)
    lookup_field = "code"
    integer_lookup = False
    ordering_fields = ["code", "name"]
    ordering = ["code"]


@extend_schema_view(
    list=extend_schema(
        summary="GHT", description="Les GHT de votre périmètre, avec leurs membres."
    ),
    retrieve=extend_schema(summary="Un GHT"),
)
class HospitalGroupViewSet(ScopedViewSet):
    serializer_class = s.HospitalGroupSerializer
    lookup_field = "code"
    integer_lookup = False
    filterset_class = filters.HospitalGroupFilter
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def get_queryset(self):
        memberships = HospitalGroupMembership.objects.select_related(
            "establishment", "legal_entity"
        ).order_by("role", "pk")
        return (
            selectors.api_hospital_groups(self.request.user)
            .select_related("region")
            .prefetch_related(Prefetch("memberships", queryset=memberships))
        )


@extend_schema_view(
    list=extend_schema(summary="Établissements", description="Par FINESS géographique."),
    retrieve=extend_schema(summary="Un établissement (par FINESS)"),
)
class EstablishmentViewSet(ScopedViewSet):
    serializer_class = s.EstablishmentSerializer
    lookup_field = "finess"
    integer_lookup = False
    filterset_class = filters.EstablishmentFilter
    ordering_fields = ["finess", "name"]
    ordering = ["finess"]

    def get_queryset(self):
        return (
            selectors.api_establishments(self.request.user)
            .select_related("department", "legal_entity")
            .distinct()
        )


@extend_schema_view(
    list=extend_schema(summary="Contrats", description="Vos contrats, avec leurs montants."),
    retrieve=extend_schema(
        summary="Un contrat",
        description="Avec ses axes, lignes, montants par année et jalons.",
        responses=s.ContractDetailSerializer,
    ),
)
class ContractViewSet(ScopedViewSet):
    serializer_class = s.ContractSerializer
    filterset_class = filters.ContractFilter
    ordering_fields = ["reference", "start_date", "end_date", "envelope_amount", "status"]
    ordering = ["-start_date", "reference"]

    def get_queryset(self):
        return selectors.api_contracts(self.request.user).select_related(
            "region", "hospital_group", "carrier_establishment"
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "figures": _figures_map(page)}
        return self.get_paginated_response(
            s.ContractSerializer(page, many=True, context=context).data
        )

    def retrieve(self, request, *args, **kwargs):
        contract = self.get_object()
        overview = contract_overview(contract, today=timezone.localdate())
        years = [
            {"year": cell.year, **s.MoneyFiguresSerializer(cell.figures).data}
            for cell in overview.year_totals
            if cell.figures is not None
        ]
        axes = [
            {
                "id": item.axis.pk,
                "number": item.axis.number,
                "title": item.axis.title,
                "figures": item.figures,
                "lines": [
                    {
                        "id": row.line.pk,
                        "code": row.line.code,
                        "scheme": row.line.scheme,
                        "label": row.line.label,
                        "beneficiary": row.line.beneficiary.finess,
                        "consumption_deadline_date": row.line.consumption_deadline_date,
                        "figures": row.figures,
                        "years": [
                            {"year": cell.year, **s.MoneyFiguresSerializer(cell.figures).data}
                            for cell in row.years
                            if cell.figures is not None
                        ],
                    }
                    for row in item.lines
                ],
                "milestones": [entry.milestone for entry in item.milestones],
            }
            for item in overview.axes
        ]
        context = {
            **self.get_serializer_context(),
            "figures": {contract.pk: overview.figures.total},
            "years": years,
            "axes": axes,
        }
        return Response(s.ContractDetailSerializer(contract, context=context).data)

    @extend_schema(
        summary="Avancement par axe",
        description="Les mêmes chiffres que la page « Suivi » du contrat.",
        responses=s.ContractProgressSerializer,
    )
    @action(detail=True, methods=["get"], url_path="progress")
    def progress(self, request, pk=None):
        contract = self.get_object()
        progress = contract_progress(contract, user=request.user, today=timezone.localdate())
        return Response(s.ContractProgressSerializer(progress).data)

    @extend_schema(
        summary="Soumettre le contrat",
        description=(
            "Chargé de mission ARS : soumet le brouillon à validation, ou soumet à nouveau "
            "un contrat renvoyé."
        ),
        request=None,
        responses={200: actions.StepResultSerializer, 201: actions.StepResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request, pk=None):
        return actions.submit_contract(user=request.user, contract=self.get_object())

    @extend_schema(
        summary="Valider ou renvoyer le contrat",
        description="Validateur ARS, autre que la personne qui a soumis (quatre yeux).",
        request=actions.DecisionInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request, pk=None):
        contract = self.get_object()
        data = _valid(actions.DecisionInput, request)
        return actions.decide_contract(user=request.user, contract=contract, data=data)

    @extend_schema(
        summary="Préparer la délégation d'une année",
        description="Chargé de mission ARS ; un validateur, autre que lui, le validera.",
        request=actions.YearInput,
        responses={201: actions.StepResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="delegations")
    def delegations(self, request, pk=None):
        contract = self.get_object()
        data = _valid(actions.YearInput, request)
        return actions.prepare_delegation(user=request.user, contract=contract, year=data["year"])

    @extend_schema(
        summary="Rédiger un avenant",
        description=(
            "Chargé de mission ARS, sur un contrat signé : propose une nouvelle enveloppe, "
            "une nouvelle date de fin, de nouveaux montants par ligne et par année ou de "
            "nouvelles échéances de jalons. Un validateur, autre que lui, l'approuvera "
            "(`/api/v1/amendments/{id}/decision/`)."
        ),
        request=actions.AmendmentInput,
        responses={201: actions.StepResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="amendments")
    def amendments(self, request, pk=None):
        contract = self.get_object()
        serializer = actions.AmendmentInput(data=request.data, context={"contract": contract})
        serializer.is_valid(raise_exception=True)
        return actions.draft_amendment(
            user=request.user, contract=contract, data=serializer.validated_data
        )

    @extend_schema(
        summary="Déclarer l'état récapitulatif d'une ligne et d'une année",
        description="Directeur de l'établissement support (GHT), quand la clôture de cette ligne et année est ouverte.",
        request=actions.StatementInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="statements")
    def statements(self, request, pk=None):
        contract = self.get_object()
        data = _valid(actions.StatementInput, request)
        allocation = YearlyAllocation.objects.filter(
            funding_line__axis__contract=contract,
            funding_line__code=data["line"],
            year=data["year"],
        ).first()
        if allocation is None:
            raise drf_serializers.ValidationError(
                {"line": _("Aucune allocation de cette ligne pour cette année dans le contrat.")}
            )
        return actions.declare_statement(user=request.user, allocation=allocation, data=data)


@extend_schema_view(
    list=extend_schema(summary="Jalons", description="Avec leur indicateur et leurs pièces."),
    retrieve=extend_schema(summary="Un jalon"),
)
class MilestoneViewSet(ScopedViewSet):
    serializer_class = s.MilestoneSerializer
    filterset_class = filters.MilestoneFilter
    ordering_fields = ["due_date", "status", "id"]
    ordering = ["due_date", "id"]

    def get_queryset(self):
        return (
            selectors.api_milestones(self.request.user)
            .select_related("axis")
            .prefetch_related("evidence")
        )

    @extend_schema(
        summary="Déclarer l'avancement du jalon",
        description=(
            "Directeur de l'établissement support (GHT) : valeur atteinte, commentaire et pièce justificative "
            "(multipart/form-data pour joindre un fichier)."
        ),
        request={
            "multipart/form-data": actions.MilestoneReportInput,
            "application/json": actions.MilestoneReportInput,
        },
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="report")
    def report(self, request, pk=None):
        milestone = self.get_object()
        data = _valid(actions.MilestoneReportInput, request)
        return actions.report_milestone(user=request.user, milestone=milestone, data=data)

    @extend_schema(
        summary="Valider l'avancement ou demander un complément",
        description="Chargé de mission ARS, jamais la personne qui a déclaré.",
        request=actions.DecisionInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="review")
    def review(self, request, pk=None):
        milestone = self.get_object()
        data = _valid(actions.DecisionInput, request)
        return actions.review_milestone(user=request.user, milestone=milestone, data=data)


@extend_schema_view(
    list=extend_schema(summary="Délégations de crédits"),
    retrieve=extend_schema(summary="Une délégation de crédits"),
)
class DelegationViewSet(ScopedViewSet):
    serializer_class = s.DelegationSerializer
    filterset_class = filters.DelegationFilter
    ordering_fields = ["year", "created_at", "id"]
    ordering = ["year", "id"]

    def get_queryset(self):
        return (
            selectors.api_delegations(self.request.user)
            .select_related("prepared_by", "approved_by")
            .prefetch_related(
                Prefetch(
                    "lines", queryset=CreditDelegationLine.objects.only("delegation_id", "amount")
                )
            )
        )

    @extend_schema(
        summary="Valider ou renvoyer la délégation",
        description=(
            "Validateur ARS, autre que le préparateur (quatre yeux) ; référence et date de "
            "la décision pour approuver, motif pour renvoyer."
        ),
        request=actions.DelegationDecisionInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request, pk=None):
        delegation = self.get_object()
        data = _valid(actions.DelegationDecisionInput, request)
        return actions.decide_delegation(user=request.user, delegation=delegation, data=data)


ALLOCATION_RELATIONS = ("allocation__funding_line__axis",)


@extend_schema_view(
    list=extend_schema(summary="États récapitulatifs de consommation"),
    retrieve=extend_schema(summary="Un état récapitulatif"),
)
class StatementViewSet(ScopedViewSet):
    serializer_class = s.StatementSerializer
    filterset_class = filters.StatementFilter
    ordering_fields = ["submitted_at", "id"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.api_statements(self.request.user).select_related(
            *ALLOCATION_RELATIONS, "submitted_by", "checked_by"
        )


@extend_schema_view(
    list=extend_schema(summary="Reprises de crédits"),
    retrieve=extend_schema(summary="Une reprise de crédits"),
)
class RecoveryViewSet(ScopedViewSet):
    serializer_class = s.RecoverySerializer
    filterset_class = filters.RecoveryFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.api_recoveries(self.request.user).select_related(
            *ALLOCATION_RELATIONS, "prepared_by", "approved_by"
        )

    @extend_schema(
        summary="Valider ou renvoyer la reprise",
        description="Validateur ARS, autre que le préparateur (quatre yeux) ; motif pour renvoyer.",
        request=actions.DecisionInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request, pk=None):
        recovery = self.get_object()
        data = _valid(actions.DecisionInput, request)
        return actions.decide_recovery(user=request.user, recovery=recovery, data=data)


@extend_schema_view(
    list=extend_schema(summary="Avenants"),
    retrieve=extend_schema(summary="Un avenant"),
)
class AmendmentViewSet(ScopedViewSet):
    serializer_class = s.AmendmentSerializer
    filterset_class = filters.AmendmentFilter
    ordering_fields = ["number", "created_at", "id"]
    ordering = ["contract", "number"]

    def get_queryset(self):
        return selectors.api_amendments(self.request.user).select_related(
            "prepared_by", "approved_by"
        )

    @extend_schema(
        summary="Valider ou renvoyer l'avenant",
        description="Validateur ARS, autre que le rédacteur (quatre yeux) ; motif pour renvoyer.",
        request=actions.DecisionInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request, pk=None):
        amendment = self.get_object()
        data = _valid(actions.DecisionInput, request)
        return actions.decide_amendment(user=request.user, amendment=amendment, data=data)


@extend_schema_view(
    list=extend_schema(
        summary="Appels à candidatures",
        description="Les campagnes des régions de votre périmètre (agents ARS, auditeurs).",
    ),
    retrieve=extend_schema(
        summary="Un appel à candidatures",
        description="Avec les séances de son comité de sélection.",
    ),
)
class CampaignViewSet(ScopedViewSet):
    serializer_class = s.CampaignSerializer
    required_permission = VIEW_CAMPAIGN
    filterset_class = filters.CampaignFilter
    ordering_fields = ["year", "deadline_at", "id"]
    ordering = ["-year", "id"]

    def get_queryset(self):
        return (
            selectors.api_campaigns(self.request.user)
            .select_related("region")
            .annotate(dossier_count=Count("dossiers", filter=Q(dossiers__is_deleted=False)))
            .prefetch_related(
                Prefetch(
                    "committees",
                    queryset=SelectionCommittee.objects.only(
                        "id", "campaign_id", "session_date"
                    ).order_by("-session_date"),
                )
            )
        )


@extend_schema_view(
    list=extend_schema(
        summary="Dossiers de candidature",
        description="Les dossiers des campagnes de vos régions (agents ARS, auditeurs).",
    ),
    retrieve=extend_schema(
        summary="Un dossier de candidature",
        description=(
            "Avec ses actions (plafond de la part ARS), son instruction, la décision du "
            "comité, les demandes de compléments et ses étapes ouvertes, chacune avec "
            "l'adresse de son action d'API."
        ),
        responses=s.DossierDetailSerializer,
    ),
)
class DossierViewSet(ScopedViewSet):
    serializer_class = s.DossierSerializer
    required_permission = VIEW_DOSSIER
    filterset_class = filters.DossierFilter
    ordering_fields = ["ds_number", "submitted_at", "id"]
    ordering = ["campaign", "ds_number"]

    def get_queryset(self):
        return selectors.api_dossiers(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        dossier = (
            self.get_queryset()
            .select_related("review__prepared_by", "committee_decision__decided_by")
            .prefetch_related(
                Prefetch(
                    "complement_requests",
                    queryset=ComplementRequest.objects.order_by("requested_at"),
                    to_attr="api_complements",
                )
            )
            .filter(pk=self.get_object().pk)
            .get()
        )
        dossier.api_actions = list(dossier.actions.order_by("rank"))
        for item in dossier.api_actions:
            item.ars_cap_amount = action_cap(item, dossier.campaign)
        dossier.api_steps = actions.dossier_steps(dossier)
        return Response(s.DossierDetailSerializer(dossier).data)

    @extend_schema(
        summary="Vérifier les pièces du dossier",
        description=(
            "Chargé de mission ARS de la région : déclare le dossier complet (il passe en "
            "instruction) ou demande des compléments au porteur, avec un message et une "
            "date limite (message sur Démarches simplifiées ; sans retour, rejet "
            "automatique le lendemain de la date limite)."
        ),
        request=actions.CheckDossierInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="completeness")
    def completeness(self, request, pk=None):
        dossier = self.get_object()
        data = _valid(actions.CheckDossierInput, request)
        return actions.check_dossier(user=request.user, dossier=dossier, data=data)

    @extend_schema(
        summary="Constater le retour des compléments",
        description=(
            "Chargé de mission ARS : le porteur a déposé les pièces demandées ; le dossier "
            "est vérifié à nouveau (`completeness`)."
        ),
        request=None,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="complements-received")
    def complements_received(self, request, pk=None):
        return actions.record_complements(user=request.user, dossier=self.get_object())

    @extend_schema(
        summary="Instruire le dossier",
        description=(
            "Chargé de mission ARS de la région : avis motivé, notes des cinq critères "
            "(0 à 3), part ARS proposée par action (au plus son plafond, lu dans "
            "`GET dossiers/{id}/`), exécution des conventions précédentes."
        ),
        request=actions.InstructDossierInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="instruction")
    def instruction(self, request, pk=None):
        dossier = self.get_object()
        data = _valid_for(actions.InstructDossierInput, request, dossier=dossier)
        return actions.instruct_dossier(user=request.user, dossier=dossier, data=data)

    @extend_schema(
        summary="Enregistrer la décision du comité",
        description=(
            "Validateur ARS de la région, jamais l'instructeur du dossier (quatre yeux) : "
            "séance du comité, décision, motifs et part ARS accordée par action ; la somme "
            "accordée dans la campagne reste dans son enveloppe."
        ),
        request=actions.DecideDossierInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request, pk=None):
        dossier = self.get_object()
        data = _valid_for(actions.DecideDossierInput, request, dossier=dossier)
        return actions.decide_dossier(user=request.user, dossier=dossier, data=data)

    @extend_schema(
        summary="Notifier la décision",
        description=(
            "Chargé de mission ARS : produit la lettre de décision datée du jour (pas avant "
            "la date de notification de la campagne) et reporte la décision sur Démarches "
            "simplifiées."
        ),
        request=None,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="notification")
    def notification(self, request, pk=None):
        return actions.notify_dossier(user=request.user, dossier=self.get_object())

    @extend_schema(
        summary="Financer le dossier retenu",
        description=(
            "Instructeur du dossier : une nouvelle ligne du contrat en vigueur du GHT par "
            "avenant (contrat, axe, code), que valide un autre valideur, ou une convention de "
            "financement avec l'établissement porteur, soumise à validation ; avec "
            "l'indicateur suivi comme jalon."
        ),
        request=actions.FundDossierInput,
        responses=actions.StepResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="funding")
    def funding(self, request, pk=None):
        dossier = self.get_object()
        data = _valid_for(actions.FundDossierInput, request, dossier=dossier, user=request.user)
        return actions.fund_dossier(user=request.user, dossier=dossier, data=data)


@extend_schema_view(
    list=extend_schema(
        summary="Mes tâches ouvertes",
        description=(
            "Les étapes que vous avez prises en charge ou que vous pouvez prendre, sur vos "
            "contrats et sur les dossiers de candidature de vos régions (jamais une étape "
            "qui décide de ce que vous avez préparé)."
        ),
    )
)
class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TaskSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []
    pagination_class = KeysFirstPagePagination

    def get_queryset(self):
        return selectors.my_open_tasks(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [
            {
                "id": task.pk,
                "process_id": task.process_id,
                "process": task.process,
                "flow": str(task.flow_task.flow_class.process_title),
                "node": task.flow_task.name,
                "title": str(task.flow_task.task_title),
                "status": task.status,
                "owner": task.owner,
                "created": task.created,
                "action": action_url(task),
                **actions.task_subject(task),
            }
            for task in page
        ]
        return self.get_paginated_response(s.TaskSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Journal d'audit",
        description=(
            "Les événements de votre périmètre, par numéro d'ordre croissant "
            "(pagination par curseur : suivez `next`)."
        ),
    )
)
class JournalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AuditEventSerializer
    permission_classes = [permissions.IsAuthenticated, HasRolePermission]
    required_permission = VIEW_JOURNAL
    pagination_class = JournalCursorPagination
    filterset_class = filters.JournalFilter
    ordering_fields = []

    def get_queryset(self):
        return selectors.api_journal(self.request.user)

    @extend_schema(
        summary="Dernier point de contrôle du journal",
        description=(
            "Le dernier point de contrôle national (numéro, empreinte, têtes de chaque flux), "
            "à conserver et à comparer avec `verify_audit --against`."
        ),
        responses=s.ChainHeadSerializer,
        parameters=[],
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="head", pagination_class=None)
    def head(self, request):
        return Response(
            s.ChainHeadSerializer(export_checkpoint(today=timezone.localdate(), take=False)).data
        )


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([permissions.AllowAny])
def unknown_route(request, *args, **kwargs):
    raise NotFound(_("Cette adresse n'existe pas dans l'API."))


class MeSerializer(drf_serializers.Serializer):
    username = drf_serializers.CharField(help_text="Identifiant de la personne.")
    roles = drf_serializers.ListField(child=drf_serializers.CharField(), help_text="Rôles (codes).")
    token = drf_serializers.CharField(
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
