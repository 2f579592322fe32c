"""Query filters of the lists (django-filter): each bounded, so a bad value is a 400."""

import django_filters
from django import forms

from audit.models import AuditAction, AuditEvent
from calls.models import Campaign, CampaignState, Dossier, DossierState
from contracts.models import (
    Amendment,
    ConsumptionStatement,
    Contract,
    ContractStatus,
    CreditDelegation,
    DecisionStatus,
    Milestone,
    MilestoneStatus,
    Recovery,
)
from contracts.schemes import SchemeCode
from territories.models import Establishment, HospitalGroup

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 2000)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


class HospitalGroupFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code", help_text="Code de la région.")

    class Meta:
        model = HospitalGroup
        fields = ["region"]


class EstablishmentFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(field_name="department__code")
    legal_entity = django_filters.CharFilter(
        field_name="legal_entity__finess", help_text="FINESS de l'entité juridique."
    )
    hospital_group = django_filters.CharFilter(
        field_name="memberships__hospital_group__code", help_text="Code du GHT (membre direct)."
    )
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Establishment
        fields = ["department", "legal_entity", "hospital_group", "category_code", "name"]


class ContractFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices)
    region = django_filters.CharFilter(field_name="region__code", help_text="Code de la région.")
    hospital_group = django_filters.CharFilter(
        field_name="hospital_group__code", help_text="Code du GHT."
    )
    reference = django_filters.CharFilter(lookup_expr="icontains")
    active_on = django_filters.DateFilter(
        method="filter_active_on", help_text="Contrats couvrant cette date."
    )

    class Meta:
        model = Contract
        fields = ["status", "region", "hospital_group", "reference", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)


class MilestoneFilter(django_filters.FilterSet):
    contract = IdFilter(field_name="axis__contract_id")
    status = django_filters.ChoiceFilter(choices=MilestoneStatus.choices)
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Milestone
        fields = ["contract", "status", "due_after", "due_before"]


class DelegationFilter(django_filters.FilterSet):
    contract = IdFilter(field_name="contract_id")
    year = YearFilter()
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices)

    class Meta:
        model = CreditDelegation
        fields = ["contract", "year", "status"]


class AllocationDecisionFilter(django_filters.FilterSet):
    contract = IdFilter(field_name="allocation__funding_line__axis__contract_id")
    year = YearFilter(field_name="allocation__year")
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices)


class StatementFilter(AllocationDecisionFilter):
    class Meta:
        model = ConsumptionStatement
        fields = ["contract", "year", "status"]


class RecoveryFilter(AllocationDecisionFilter):
    class Meta:
        model = Recovery
        fields = ["contract", "year", "status"]


class AmendmentFilter(django_filters.FilterSet):
    contract = IdFilter(field_name="contract_id")
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices)

    class Meta:
        model = Amendment
        fields = ["contract", "status"]


class JournalFilter(django_filters.FilterSet):
    contract = IdFilter(field_name="contract_id")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    actor = django_filters.CharFilter(field_name="actor_name", help_text="Identifiant de l'acteur.")
    object_type = django_filters.CharFilter(help_text="Par exemple contracts.Milestone.")
    after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["contract", "action", "actor", "object_type", "after", "before"]


class CampaignFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code", help_text="Code de la région.")
    scheme = django_filters.ChoiceFilter(choices=SchemeCode.choices)
    state = django_filters.ChoiceFilter(choices=CampaignState.choices)
    year = YearFilter()

    class Meta:
        model = Campaign
        fields = ["region", "scheme", "state", "year"]


class DossierFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id", help_text="Identifiant de la campagne.")
    state = django_filters.ChoiceFilter(choices=DossierState.choices)
    number = django_filters.NumberFilter(
        field_name="ds_number",
        min_value=1,
        max_value=MAX_ID,
        help_text="Numéro du dossier sur Démarches simplifiées.",
    )

    class Meta:
        model = Dossier
        fields = ["campaign", "state", "number"]
