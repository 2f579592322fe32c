"""What each caller may read through the API, filtered in SQL by the same scope as the pages."""

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from calls.models import Campaign, Dossier
from calls.selectors import visible_dossiers
from contracts.models import Amendment, ConsumptionStatement, CreditDelegation, Milestone, Recovery
from contracts.selectors import visible_contracts
from territories.access import has_national_scope, visible_hospital_groups, visible_regions
from territories.models import Establishment, HospitalGroup, LegalEntity, Region
from workflows.flows import ALL_FLOWS
from workflows.lists import TASK_RELATIONS, held_or_waiting


def api_regions(user) -> QuerySet[Region]:
    """Return the regions of the user's scope, and those of the GHTs they see."""
    return Region.objects.filter(
        Q(pk__in=visible_regions(user).values("pk"))
        | Q(pk__in=visible_hospital_groups(user).values("region_id"))
    )


def api_hospital_groups(user) -> QuerySet[HospitalGroup]:
    return HospitalGroup.objects.filter(pk__in=visible_hospital_groups(user).values("pk"))


def api_establishments(user) -> QuerySet[Establishment]:
    """Return the establishments of the user's regions and of the GHTs they see (members,
    directly or through their legal entity)."""
    if has_national_scope(user):
        return Establishment.objects.all()
    groups = visible_hospital_groups(user).values("pk")
    return Establishment.objects.filter(
        Q(department__region__in=visible_regions(user).values("pk"))
        | Q(
            pk__in=Establishment.objects.filter(memberships__hospital_group__in=groups).values("pk")
        )
        | Q(legal_entity__in=LegalEntity.objects.filter(memberships__hospital_group__in=groups))
    )


def api_contracts(user):
    return visible_contracts(user)


def api_milestones(user) -> QuerySet[Milestone]:
    return Milestone.objects.filter(axis__contract__in=visible_contracts(user).values("pk"))


def api_delegations(user) -> QuerySet[CreditDelegation]:
    return CreditDelegation.objects.filter(contract__in=visible_contracts(user).values("pk"))


def api_statements(user) -> QuerySet[ConsumptionStatement]:
    return ConsumptionStatement.objects.filter(
        allocation__funding_line__axis__contract__in=visible_contracts(user).values("pk")
    )


def api_recoveries(user) -> QuerySet[Recovery]:
    return Recovery.objects.filter(
        allocation__funding_line__axis__contract__in=visible_contracts(user).values("pk")
    )


def api_amendments(user) -> QuerySet[Amendment]:
    return Amendment.objects.filter(contract__in=visible_contracts(user).values("pk"))


def api_campaigns(user) -> QuerySet[Campaign]:
    """Return the campaigns of the user's regions (ARS staff; every region when national)."""
    return Campaign.objects.visible_to(user)


def api_dossiers(user) -> QuerySet[Dossier]:
    """Return the dossiers of the campaigns of the user's regions, as the dossier pages."""
    return visible_dossiers(user)


# What a dossier task's row shows besides ``TASK_RELATIONS``: its campaign.
DOSSIER_TASK_RELATIONS = ("process__dossierprocess__campaign",)


def my_open_tasks(user) -> QuerySet[Task]:
    """Return the open tasks ``user`` holds or may take (their inbox and queue), in scope.

    The steps of call dossiers come with those of contracts: the queue of every flow
    (``ALL_FLOWS``) leaves out what the user prepared (four-eyes), and the scope gives the
    dossiers of the user's regions to ARS staff only (never to GHT directors; auditors may
    do no step).
    """
    tasks = held_or_waiting(user, ALL_FLOWS)
    return tasks.select_related(*TASK_RELATIONS, *DOSSIER_TASK_RELATIONS).order_by(
        "-created", "-pk"
    )


def api_journal(user) -> QuerySet[AuditEvent]:
    """Return the events ``user`` may read: all for a national scope, else their contracts'."""
    events = AuditEvent.objects.select_related("stream")
    if has_national_scope(user):
        return events
    return events.filter(contract_id__in=visible_contracts(user).values("pk"))
