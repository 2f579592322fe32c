"""What the API shows of each object: stable English field names, French descriptions.

Serializers hold no logic: each list's rows and relations are loaded by its view in a
constant number of queries.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent
from calls.models import (
    Campaign,
    CommitteeDecision,
    ComplementRequest,
    Dossier,
    DossierAction,
    DossierReview,
    SelectionCommittee,
)
from contracts.models import (
    Amendment,
    ConsumptionStatement,
    Contract,
    CreditDelegation,
    EvidenceDocument,
    Milestone,
    Recovery,
)
from territories.models import Establishment, HospitalGroup, HospitalGroupMembership, Region

MONEY = {"max_digits": 14, "decimal_places": 2}


class MoneyFiguresSerializer(serializers.Serializer):
    """Les montants d'un ensemble d'allocations annuelles (euros, chaînes décimales)."""

    allocated = serializers.DecimalField(**MONEY, help_text="Montant alloué.")
    delegated = serializers.DecimalField(**MONEY, help_text="Montant délégué.")
    consumed = serializers.DecimalField(**MONEY, help_text="Montant consommé.")
    recovered = serializers.DecimalField(**MONEY, help_text="Montant repris.")
    to_delegate = serializers.DecimalField(**MONEY, help_text="Reste à déléguer.")
    remaining = serializers.DecimalField(**MONEY, help_text="Ni consommé ni repris.")


# Territories ------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "agency_name"]


class MemberSerializer(serializers.ModelSerializer):
    finess = serializers.SerializerMethodField(help_text="FINESS de l'établissement ou de l'EJ.")
    name = serializers.SerializerMethodField(help_text="Raison sociale.")
    kind = serializers.SerializerMethodField(help_text="ESTABLISHMENT ou LEGAL_ENTITY.")

    class Meta:
        model = HospitalGroupMembership
        fields = ["role", "kind", "finess", "name"]

    def _member(self, membership):
        return membership.establishment or membership.legal_entity

    def get_finess(self, membership) -> str | None:
        return self._member(membership).finess

    def get_name(self, membership) -> str:
        return self._member(membership).name

    def get_kind(self, membership) -> str:
        return "ESTABLISHMENT" if membership.establishment_id else "LEGAL_ENTITY"


class HospitalGroupSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = HospitalGroup
        fields = ["code", "name", "region", "convention_date", "common_direction", "members"]


class EstablishmentSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    legal_entity = serializers.SlugRelatedField(slug_field="finess", read_only=True)

    class Meta:
        model = Establishment
        fields = [
            "finess",
            "siret",
            "name",
            "long_name",
            "legal_entity",
            "department",
            "commune",
            "address",
            "postal_line",
            "category_code",
            "category_label",
            "opened_date",
        ]


# Contracts --------------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    hospital_group = serializers.SlugRelatedField(slug_field="code", read_only=True)
    carrier_establishment = serializers.SlugRelatedField(slug_field="finess", read_only=True)
    figures = serializers.SerializerMethodField(help_text="Montants du contrat.")

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "title",
            "region",
            "hospital_group",
            "carrier_establishment",
            "start_date",
            "end_date",
            "signature_date",
            "signatories",
            "envelope_amount",
            "status",
            "version",
            "figures",
        ]

    @extend_schema_field(MoneyFiguresSerializer)
    def get_figures(self, contract):
        return MoneyFiguresSerializer(self.context["figures"][contract.pk]).data


class YearFiguresSerializer(MoneyFiguresSerializer):
    year = serializers.IntegerField(help_text="Année.")


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    scheme = serializers.CharField(help_text="Dispositif (code).")
    label = serializers.CharField()
    beneficiary = serializers.CharField(
        allow_null=True, help_text="FINESS de l'établissement bénéficiaire."
    )
    consumption_deadline_date = serializers.DateField(allow_null=True)
    figures = MoneyFiguresSerializer()
    years = YearFiguresSerializer(many=True, help_text="Montants par année.")


class MilestoneBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = [
            "id",
            "title",
            "due_date",
            "indicator_label",
            "indicator_unit",
            "baseline_value",
            "target_value",
            "actual_value",
            "status",
        ]


class AxisSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    figures = MoneyFiguresSerializer()
    lines = LineSerializer(many=True)
    milestones = MilestoneBriefSerializer(many=True)


class ContractDetailSerializer(ContractSerializer):
    axes = serializers.SerializerMethodField(help_text="Axes, lignes, montants et jalons.")
    years = serializers.SerializerMethodField(help_text="Montants du contrat par année.")

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "years", "axes"]

    @extend_schema_field(YearFiguresSerializer(many=True))
    def get_years(self, contract):
        return YearFiguresSerializer(self.context["years"], many=True).data

    @extend_schema_field(AxisSerializer(many=True))
    def get_axes(self, contract):
        return AxisSerializer(self.context["axes"], many=True).data


# Milestones and decisions -----------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvidenceDocument
        fields = ["id", "description", "uploaded_at"]


class MilestoneSerializer(MilestoneBriefSerializer):
    contract = serializers.IntegerField(source="axis.contract_id", read_only=True)
    axis = serializers.IntegerField(source="axis.number", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta(MilestoneBriefSerializer.Meta):
        fields = [
            *MilestoneBriefSerializer.Meta.fields,
            "contract",
            "axis",
            "progress_comment",
            "validated_at",
            "evidence",
        ]


def _username_field():
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)


class DelegationSerializer(serializers.ModelSerializer):
    prepared_by = _username_field()
    approved_by = _username_field()
    total_amount = serializers.SerializerMethodField(help_text="Somme des lignes.")

    class Meta:
        model = CreditDelegation
        fields = [
            "id",
            "contract",
            "year",
            "status",
            "decision_reference",
            "decision_date",
            "prepared_by",
            "approved_by",
            "created_at",
            "total_amount",
        ]

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_total_amount(self, delegation):
        return serializers.DecimalField(**MONEY).to_representation(
            sum((line.amount for line in delegation.lines.all()), 0)
        )


class AllocationRefMixin(serializers.Serializer):
    contract = serializers.IntegerField(
        source="allocation.funding_line.axis.contract_id", read_only=True
    )
    line = serializers.CharField(source="allocation.funding_line.code", read_only=True)
    year = serializers.IntegerField(source="allocation.year", read_only=True)


class StatementSerializer(AllocationRefMixin, serializers.ModelSerializer):
    submitted_by = _username_field()
    checked_by = _username_field()

    class Meta:
        model = ConsumptionStatement
        fields = [
            "id",
            "contract",
            "line",
            "year",
            "consumed_amount",
            "non_compliant_amount",
            "status",
            "submitted_by",
            "checked_by",
            "comment",
            "submitted_at",
        ]


class RecoverySerializer(AllocationRefMixin, serializers.ModelSerializer):
    prepared_by = _username_field()
    approved_by = _username_field()

    class Meta:
        model = Recovery
        fields = [
            "id",
            "contract",
            "line",
            "year",
            "unused_amount",
            "non_compliant_amount",
            "amount",
            "mode",
            "offset_year",
            "status",
            "prepared_by",
            "approved_by",
            "created_at",
        ]


class AmendmentSerializer(serializers.ModelSerializer):
    prepared_by = _username_field()
    approved_by = _username_field()

    class Meta:
        model = Amendment
        fields = [
            "id",
            "contract",
            "number",
            "reason",
            "base_version",
            "proposed",
            "status",
            "prepared_by",
            "approved_by",
            "created_at",
        ]


# Progress ---------------------------------------------------------------------------------


class MilestoneProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="milestone.pk")
    title = serializers.CharField(source="milestone.title")
    due_date = serializers.DateField(source="milestone.due_date")
    state = serializers.CharField(help_text="DONE, SUBMITTED, LATE ou DUE.")
    state_label = serializers.CharField(help_text="État en français.")
    percent = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text="Avancement de l'indicateur (%)."
    )


class SchemeFiguresSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    label = serializers.CharField()
    figures = MoneyFiguresSerializer()


class AxisProgressSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="axis.number")
    title = serializers.CharField(source="axis.title")
    figures = MoneyFiguresSerializer()
    years = serializers.SerializerMethodField()
    schemes = SchemeFiguresSerializer(many=True)
    milestones = MilestoneProgressSerializer(many=True)
    done_count = serializers.IntegerField()
    late_count = serializers.IntegerField()
    due_count = serializers.IntegerField()

    @extend_schema_field(YearFiguresSerializer(many=True))
    def get_years(self, axis):
        return [
            {"year": cell.year, **MoneyFiguresSerializer(cell.figures).data}
            for cell in axis.years
            if cell.figures is not None
        ]


class ContractProgressSerializer(serializers.Serializer):
    contract = serializers.IntegerField(source="contract.pk")
    today = serializers.DateField(help_text="Date de calcul des retards.")
    total = MoneyFiguresSerializer()
    consumed_of_delegated = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True
    )
    consumed_of_allocated = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True
    )
    late_count = serializers.IntegerField()
    schemes = SchemeFiguresSerializer(many=True)
    axes = AxisProgressSerializer(many=True)


# Calls for applications -------------------------------------------------------------------


class CommitteeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SelectionCommittee
        fields = ["id", "session_date"]


class CampaignSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    state_label = serializers.CharField(source="get_state_display", help_text="État en français.")
    dossier_count = serializers.IntegerField(help_text="Dossiers déposés (non supprimés sur DS).")
    committees = CommitteeSerializer(
        many=True, read_only=True, help_text="Séances du comité de sélection."
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "region",
            "scheme",
            "year",
            "title",
            "state",
            "state_label",
            "envelope_amount",
            "opens_at",
            "deadline_at",
            "instruction_start_date",
            "instruction_end_date",
            "complements_deadline_date",
            "notification_from_date",
            "dossier_count",
            "committees",
        ]


class DossierSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(
        source="ds_number", help_text="Numéro du dossier sur Démarches simplifiées."
    )
    state_label = serializers.CharField(source="get_state_display", help_text="État en français.")

    class Meta:
        model = Dossier
        fields = [
            "id",
            "campaign",
            "number",
            "state",
            "state_label",
            "applicant_name",
            "applicant_siret",
            "applicant_finess",
            "project_title",
            "submitted_at",
            "requested_amount",
            "granted_amount",
        ]


class DossierActionSerializer(serializers.ModelSerializer):
    ars_cap_amount = serializers.DecimalField(
        **MONEY,
        help_text="Part ARS au plus : part du coût fixée par la campagne, arrondie, et au "
        "plus la demande.",
    )

    class Meta:
        model = DossierAction
        fields = [
            "id",
            "rank",
            "label",
            "cost_amount",
            "ars_requested_amount",
            "ars_cap_amount",
            "ars_proposed_amount",
            "ars_granted_amount",
        ]


class ReviewSerializer(serializers.ModelSerializer):
    prepared_by = _username_field()
    opinion_label = serializers.CharField(source="get_opinion_display")

    class Meta:
        model = DossierReview
        fields = [
            "opinion",
            "opinion_label",
            "comment",
            "score_mutualisation",
            "score_agents",
            "score_priority",
            "score_innovation",
            "score_timeline",
            "total_score",
            "proposed_amount",
            "previous_conventions",
            "has_unexecuted_past_actions",
            "prepared_by",
            "prepared_at",
        ]


class CommitteeDecisionSerializer(serializers.ModelSerializer):
    decided_by = _username_field()
    outcome_label = serializers.CharField(source="get_outcome_display")

    class Meta:
        model = CommitteeDecision
        fields = [
            "committee",
            "outcome",
            "outcome_label",
            "granted_amount",
            "reasons",
            "decided_by",
            "decided_at",
        ]


class ComplementRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplementRequest
        fields = ["message", "deadline_date", "requested_at", "answered_at", "expired_at"]


class OpenStepSerializer(serializers.Serializer):
    task = serializers.IntegerField(help_text="Tâche ouverte.")
    node = serializers.CharField(help_text="Nom technique de l'étape (stable).")
    title = serializers.CharField(help_text="Intitulé de l'étape.")
    owner = serializers.CharField(allow_null=True, help_text="Qui l'a prise en charge.")
    action = serializers.CharField(allow_null=True, help_text="Adresse de l'action d'API.")


class DossierDetailSerializer(DossierSerializer):
    actions = DossierActionSerializer(
        source="api_actions", many=True, help_text="Actions, par priorité."
    )
    review = ReviewSerializer(allow_null=True, help_text="Instruction, une fois faite.")
    committee_decision = CommitteeDecisionSerializer(
        allow_null=True, help_text="Décision du comité, une fois prise."
    )
    complements = ComplementRequestSerializer(
        source="api_complements", many=True, help_text="Demandes de compléments."
    )
    steps = OpenStepSerializer(
        source="api_steps", many=True, help_text="Étapes ouvertes du dossier."
    )

    class Meta(DossierSerializer.Meta):
        fields = [
            *DossierSerializer.Meta.fields,
            "decision_reason",
            "actions",
            "review",
            "committee_decision",
            "complements",
            "steps",
        ]


# Tasks and journal ------------------------------------------------------------------------


class TaskDossierSerializer(serializers.Serializer):
    """The dossier of a call for applications a task is about."""

    id = serializers.IntegerField(help_text="Identifiant du dossier.")
    number = serializers.IntegerField(help_text="Numéro du dossier sur Démarches simplifiées.")
    applicant = serializers.CharField(help_text="Raison sociale du demandeur.")
    campaign = serializers.IntegerField(help_text="Identifiant de la campagne.")
    campaign_title = serializers.CharField(help_text="Intitulé de la campagne.")
    url = serializers.CharField(help_text="Adresse du dossier dans l'API.")


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    process = serializers.IntegerField(source="process_id")
    contract = serializers.IntegerField(
        allow_null=True, help_text="Contrat concerné (null pour un dossier de candidature)."
    )
    dossier = TaskDossierSerializer(
        allow_null=True,
        default=None,
        help_text="Dossier de candidature concerné (null pour un contrat).",
    )
    flow = serializers.CharField(help_text="Nom du processus.")
    node = serializers.CharField(help_text="Nom technique de l'étape (stable).")
    title = serializers.CharField(help_text="Intitulé de l'étape.")
    status = serializers.CharField()
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    created = serializers.DateTimeField()
    action = serializers.CharField(allow_null=True, help_text="Adresse de l'action d'API.")


class AuditEventSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="contract_id", allow_null=True)
    actor = serializers.CharField(source="actor_name")
    stream = serializers.CharField(source="stream.key", help_text="Flux de l'événement.")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "stream",
            "sequence",
            "occurred_at",
            "actor",
            "action",
            "contract",
            "object_type",
            "object_id",
            "object_label",
            "summary",
            "reason",
            "changes",
            "prev_hash",
            "hash",
        ]


class StreamHeadSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    hash = serializers.CharField()


class ChainHeadSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    checkpoint = serializers.IntegerField(source="number")
    hash = serializers.CharField()
    taken_at = serializers.CharField(help_text="Date du point de contrôle (UTC).")
    event_count = serializers.IntegerField()
    streams = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=StreamHeadSerializer()))
    def get_streams(self, checkpoint) -> dict:
        return {
            key: {"sequence": sequence, "hash": head_hash}
            for key, (sequence, head_hash) in sorted(checkpoint.heads.items())
        }
