"""The national data set: a country of regions, GHTs, contracts, workflows and journal.

At scale 1: 18 regions, 136 GHTs, 3,000 establishments, 2,000 contracts, 30,000
milestones, 100,000 processes (200,000 tasks, 10,000 open) and 1,000,000 journal events;
scale 0.1 is a tenth of each, territories included, so that one region or one GHT holds
the same as at scale 1 and only the country grows: a page that costs the user's scope
costs the same at both scales.

The rows are the ones the services write, bulk-inserted: role users and scope grants go
through ``territories.access`` (as an administrator grants them); contracts, milestones,
decisions, processes and tasks are bulk-created in the state the flows leave them in;
journal events go to each contract's stream through ``benchmarks.journal_writer``, hashed
and chained as ``record_event`` does, so ``verify_audit`` passes.
"""

import datetime
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.journal import AuditAction, stream_key
from benchmarks.journal_writer import bulk_stream_writer
from contracts.models import (
    Amendment,
    Contract,
    ContractStatus,
    CreditDelegation,
    FundingLine,
    Milestone,
    Recovery,
    RecoveryMode,
    StrategicAxis,
    YearlyAllocation,
)
from contracts.models.four_eyes import DecisionStatus
from contracts.models.milestones import MilestoneStatus
from contracts.schemes import SchemeCode
from territories.access import (
    ROLE_GROUP_NAMES,
    Role,
    grant_hospital_group_scope,
    grant_national_scope,
    grant_region_scope,
    sync_roles,
)
from territories.models import (
    Department,
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    MembershipRole,
    Region,
)
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)
from workflows.models import ContractProcess

# Sizes at scale 1 (issue 17).
REGIONS = 18
HOSPITAL_GROUPS = 136
ESTABLISHMENTS = 3_000
CONTRACTS = 2_000
MILESTONES_PER_CONTRACT = 15
PROCESSES_PER_CONTRACT = 50
EVENTS_PER_CONTRACT = 500
YEARS = (2025, 2026, 2027)
PREFIX = "N"  # codes of the generated territories: never those of the demo
BATCH = 5_000


@dataclass
class Country:
    """What the benchmark needs to find again: one user of each role, their scope."""

    scale: float
    regions: list = field(default_factory=list)
    hospital_groups: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    managers: dict = field(default_factory=dict)  # region id -> [manager, manager]
    validators: dict = field(default_factory=dict)  # region id -> [validator, validator]
    directors: dict = field(default_factory=dict)  # GHT id -> director
    auditors: list = field(default_factory=list)


def sizes(scale: float) -> dict:
    regions = max(2, round(REGIONS * scale))
    return {
        "regions": regions,
        "hospital_groups": max(regions, round(HOSPITAL_GROUPS * scale)),
        "establishments": max(regions, round(ESTABLISHMENTS * scale)),
        "contracts": max(regions, round(CONTRACTS * scale)),
    }


def generated_exists() -> bool:
    return Region.objects.filter(code__startswith=PREFIX).exists()


def _users(prefix: str, count: int, role: Role):
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"{prefix}{index}", first_name=prefix.strip("-").capitalize(), last_name=index
        )
        for index in range(count)
    )
    group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
    group.user_set.add(*users)
    return users


def build_territories(scale: float, log) -> Country:
    """Regions, départements, establishments, GHTs (with members), role users and scopes."""
    sync_roles()
    size = sizes(scale)
    country = Country(scale=scale)
    regions = Region.objects.bulk_create(
        Region(code=f"{PREFIX}{index:02d}", name=f"Région nationale {index + 1}")
        for index in range(size["regions"])
    )
    departments = Department.objects.bulk_create(
        Department(code=f"{PREFIX}{index:02d}", name=f"Département {index + 1}", region=region)
        for index, region in enumerate(regions)
    )
    groups = HospitalGroup.objects.bulk_create(
        HospitalGroup(
            code=f"{PREFIX}-GHT-{index:03d}",
            name=f"GHT national {index + 1}",
            region=regions[index % len(regions)],
        )
        for index in range(size["hospital_groups"])
    )
    establishments = Establishment.objects.bulk_create(
        Establishment(
            name=f"Centre hospitalier national {index + 1}",
            department=departments[(index % len(groups)) % len(regions)],
            commune=f"Commune {index + 1}",
        )
        for index in range(size["establishments"])
    )
    # Establishment i belongs to GHT i mod G; the first of each GHT is its support.
    HospitalGroupMembership.objects.bulk_create(
        HospitalGroupMembership(
            hospital_group=groups[index % len(groups)],
            establishment=establishment,
            role=MembershipRole.SUPPORT if index < len(groups) else MembershipRole.MEMBER,
        )
        for index, establishment in enumerate(establishments)
    )
    country.regions, country.hospital_groups = regions, groups
    country.supports = {group.pk: establishments[index] for index, group in enumerate(groups)}
    managers = _users("n-manager-", 2 * len(regions), Role.ARS_MANAGER)
    validators = _users("n-validator-", 2 * len(regions), Role.ARS_VALIDATOR)
    directors = _users("n-director-", len(groups), Role.GHT_DIRECTOR)
    country.auditors = _users("n-auditor-", 2, Role.AUDITOR)
    for index, region in enumerate(regions):
        country.managers[region.pk] = managers[2 * index : 2 * index + 2]
        country.validators[region.pk] = validators[2 * index : 2 * index + 2]
        for user in country.managers[region.pk] + country.validators[region.pk]:
            grant_region_scope(user=user, region=region)
    for director, group in zip(directors, groups, strict=True):
        country.directors[group.pk] = director
        grant_hospital_group_scope(user=director, hospital_group=group)
    for auditor in country.auditors:
        grant_national_scope(user=auditor)
    log(f"territoires : {len(regions)} régions, {len(groups)} GHT, {len(establishments)} ET")
    return country


def build_contracts(country: Country, log) -> None:
    """Active contracts (two axes, one line each, three years) and their milestones."""
    count = sizes(country.scale)["contracts"]
    groups = country.hospital_groups
    contracts = []
    for index in range(count):
        group = groups[index % len(groups)]
        managers = country.managers[group.region_id]
        validators = country.validators[group.region_id]
        contracts.append(
            Contract(
                reference=f"{PREFIX}-{index:05d}",
                title=f"Contrat d'attractivité {group.name} n° {index // len(groups) + 1}",
                region_id=group.region_id,
                hospital_group=group,
                carrier_establishment=country.supports[group.pk],
                start_date=datetime.date(YEARS[0], 1, 1),
                end_date=datetime.date(YEARS[-1], 12, 31),
                signature_date=datetime.date(YEARS[0] - 1, 12, 15),
                signatories="Directrice générale de l'ARS ; directeur de l'établissement",
                envelope_amount=Decimal("120000.00"),
                status=ContractStatus.ACTIVE,
                submitted_by=managers[index % 2],
                approved_by=validators[index % 2],
                approved_at=timezone.now(),
            )
        )
    contracts = Contract.objects.bulk_create(contracts, batch_size=BATCH)
    axes = StrategicAxis.objects.bulk_create(
        (
            StrategicAxis(contract=contract, number=number, title=f"Axe {number}")
            for contract in contracts
            for number in (1, 2)
        ),
        batch_size=BATCH,
    )
    lines = FundingLine.objects.bulk_create(
        (
            FundingLine(
                axis=axis,
                code=f"{axis.number}.1",
                scheme=SchemeCode.OTHER,
                label="Mesure spécifique au contrat",
                beneficiary_id=axis.contract.carrier_establishment_id,
            )
            for axis in axes
        ),
        batch_size=BATCH,
    )
    allocations = YearlyAllocation.objects.bulk_create(
        (
            # Delegated and consumed as the approved delegations and statements leave them,
            # so that the overview shows money, not zeros.
            YearlyAllocation(
                funding_line=line,
                year=year,
                allocated_amount=Decimal("20000.00"),
                delegated_amount=Decimal("15000.00"),
                consumed_amount=Decimal("9000.00"),
            )
            for line in lines
            for year in YEARS
        ),
        batch_size=BATCH,
    )
    milestones = Milestone.objects.bulk_create(
        (
            Milestone(
                axis=axes[2 * position + number % 2],
                title=f"Jalon {number + 1} : recrutement et intégration",
                due_date=datetime.date(YEARS[number % 3], 1 + number % 12, 15),
                indicator_label="Postes pourvus",
                baseline_value=Decimal("0.00"),
                target_value=Decimal("3.00"),
                # The first two await their review (open processes), the rest are done.
                status=MilestoneStatus.SUBMITTED if number < 2 else MilestoneStatus.VALIDATED,
                actual_value=Decimal("3.00"),
            )
            for position in range(len(contracts))
            for number in range(MILESTONES_PER_CONTRACT)
        ),
        batch_size=BATCH,
    )
    country.contracts = contracts
    country.allocations = allocations
    country.milestones = milestones
    log(
        f"contrats : {len(contracts)} contrats, {len(allocations)} tranches, "
        f"{len(milestones)} jalons"
    )


# The processes of one contract: (flow, first node, decision node, artifact kind, open).
# Five of fifty are open (10 %): two milestone reviews, a delegation, an amendment, a
# recovery; the rest are the contract's history.
def _process_plan():
    plan = [(ContractApprovalFlow, "approval", False)]
    plan += [(MilestoneReviewFlow, "milestone", number < 2) for number in range(15)]
    plan += [(CreditDelegationFlow, "delegation", year == YEARS[-1]) for year in YEARS]
    plan += [(AmendmentFlow, "amendment", number == 1) for number in range(2)]
    plan += [(ConsumptionClosingFlow, "recovery", number == 0) for number in range(6)]
    plan += [(ContractApprovalFlow, "approval", False)] * (PROCESSES_PER_CONTRACT - len(plan))
    return plan


FIRST_NODE = {
    ContractApprovalFlow: ContractApprovalFlow.start,
    CreditDelegationFlow: CreditDelegationFlow.start,
    MilestoneReviewFlow: MilestoneReviewFlow.report,
    ConsumptionClosingFlow: ConsumptionClosingFlow.check,
    AmendmentFlow: AmendmentFlow.start,
}
DECISION_NODE = {
    ContractApprovalFlow: ContractApprovalFlow.approve,
    CreditDelegationFlow: CreditDelegationFlow.approve,
    MilestoneReviewFlow: MilestoneReviewFlow.review,
    ConsumptionClosingFlow: ConsumptionClosingFlow.approve_recovery,
    AmendmentFlow: AmendmentFlow.approve,
}


def build_processes(country: Country, log) -> None:
    """Processes and their two tasks each (prepared, then decided or waiting)."""
    now = timezone.now()
    rng = random.Random(17)
    plan = _process_plan()
    delegations, amendments, recoveries = [], [], []
    by_contract = []
    milestones = iter(country.milestones)
    allocations = iter(country.allocations)
    for contract in country.contracts:
        managers = country.managers[contract.region_id]
        kinds = {"delegation": iter(YEARS), "amendment": iter((1, 2))}
        slots = {}
        for slot, (_flow, kind, is_open) in enumerate(plan):
            preparer = managers[slot % 2]
            status = DecisionStatus.PREPARED if is_open else DecisionStatus.APPROVED
            approver = None if is_open else country.validators[contract.region_id][1 - slot % 2]
            if kind == "delegation":
                year = next(kinds["delegation"])
                slots[slot] = CreditDelegation(
                    contract=contract,
                    year=year,
                    prepared_by=preparer,
                    status=status,
                    approved_by=approver,
                    decision_reference="" if is_open else f"DEC-{contract.pk}-{year}",
                    decision_date=None if is_open else datetime.date(year, 3, 1),
                )
                delegations.append(slots[slot])
            elif kind == "amendment":
                slots[slot] = Amendment(
                    contract=contract,
                    number=next(kinds["amendment"]),
                    reason="Ajustement des montants de l'axe 2",
                    base_version=1,
                    proposed={},
                    prepared_by=preparer,
                    status=status,
                    approved_by=approver,
                )
                amendments.append(slots[slot])
            elif kind == "recovery":
                allocation = next(allocations)  # the contract's six, one closing each
                slots[slot] = Recovery(
                    allocation=allocation,
                    unused_amount=Decimal("1500.00"),
                    amount=Decimal("1500.00"),
                    mode=RecoveryMode.RECOVER,
                    prepared_by=preparer,
                    status=status,
                    approved_by=approver,
                )
                recoveries.append(slots[slot])
            elif kind == "milestone":
                slots[slot] = next(milestones)
        by_contract.append(slots)
    CreditDelegation.objects.bulk_create(delegations, batch_size=BATCH)
    Amendment.objects.bulk_create(amendments, batch_size=BATCH)
    Recovery.objects.bulk_create(recoveries, batch_size=BATCH)

    opened_total = 0
    for start in range(0, len(country.contracts), 100):
        chunk = list(
            zip(
                country.contracts[start : start + 100],
                by_contract[start : start + 100],
                strict=True,
            )
        )
        processes, children, tasks = [], [], []
        for contract, slots in chunk:
            managers = country.managers[contract.region_id]
            validators = country.validators[contract.region_id]
            director = country.directors[contract.hospital_group_id]
            for slot, (flow_class, kind, is_open) in enumerate(plan):
                created = now - datetime.timedelta(minutes=rng.randrange(1, 2 * 365 * 24 * 60))
                processes.append(
                    Process(
                        flow_class=flow_class,
                        status=PROCESS.NEW if is_open else PROCESS.DONE,
                        created=created,
                        finished=None if is_open else created + datetime.timedelta(days=3),
                    )
                )
                artifact = slots.get(slot)
                children.append(
                    {
                        "contract_id": contract.pk,
                        "hospital_group_id": contract.hospital_group_id,
                        "region_id": contract.region_id,
                        "year": getattr(artifact, "year", None),
                        "milestone_id": artifact.pk if kind == "milestone" else None,
                        "allocation_id": artifact.allocation_id if kind == "recovery" else None,
                        "delegation_id": artifact.pk if kind == "delegation" else None,
                        "recovery_id": artifact.pk if kind == "recovery" else None,
                        "amendment_id": artifact.pk if kind == "amendment" else None,
                        "decision": "" if is_open else "APPROVED",
                        "is_open": is_open,
                    }
                )
                preparer = director if kind == "milestone" else managers[slot % 2]
                decider = managers[1 - slot % 2] if kind == "milestone" else validators[slot % 2]
                # What ``steps.complete_step`` records: who completed the last step (the
                # preparer of an open decision, the decider of a closed one).
                children[-1]["preparer_id"] = (preparer if is_open else decider).pk
                first, decision = FIRST_NODE[flow_class], DECISION_NODE[flow_class]
                done_at = created + datetime.timedelta(days=1)
                tasks.append(
                    Task(
                        flow_task=first,
                        flow_task_type=first.task_type,
                        status=STATUS.DONE,
                        owner=preparer,
                        owner_permission=first._owner_permission,
                        created=created,
                        assigned=created,
                        started=created,
                        finished=done_at,
                    )
                )
                # An open decision waits in the queue, one in three taken by a decider.
                assigned = is_open and slot % 3 == 0
                tasks.append(
                    Task(
                        flow_task=decision,
                        flow_task_type=decision.task_type,
                        status=(STATUS.ASSIGNED if assigned else STATUS.NEW)
                        if is_open
                        else STATUS.DONE,
                        owner=decider if (assigned or not is_open) else None,
                        owner_permission=decision._owner_permission,
                        data={"prepared_by": preparer.pk},
                        created=done_at,
                        assigned=done_at if (assigned or not is_open) else None,
                        started=done_at if (assigned or not is_open) else None,
                        finished=None if is_open else done_at + datetime.timedelta(days=1),
                    )
                )
                opened_total += is_open
        with transaction.atomic():
            processes = Process.objects.bulk_create(processes, batch_size=BATCH)
            _insert_children(processes, children)
            for index, task in enumerate(tasks):
                task.process = processes[index // 2]
            Task.objects.bulk_create(tasks, batch_size=BATCH)
            # ``created`` is auto_now_add on viewflow's models: set it as generated.
            _backdate(processes, tasks)
    log(
        f"processus : {len(country.contracts) * len(plan)} processus, "
        f"{2 * len(country.contracts) * len(plan)} tâches dont {opened_total} ouvertes"
    )


def _insert_children(processes, children) -> None:
    """Insert the ``ContractProcess`` rows of ``processes`` (multi-table: no bulk_create)."""
    columns = ["process_ptr_id", *children[0].keys()]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(ContractProcess._meta.db_table)} "
        f"({', '.join(quote(column) for column in columns)}, "
        f"{quote('decision_reason')}) VALUES ({', '.join(['%s'] * len(columns))}, '')"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [process.pk, *values.values()]
                for process, values in zip(processes, children, strict=True)
            ],
        )


def _backdate(processes, tasks) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(Process._meta.db_table)} SET created = %s WHERE id = %s",
            [(process.created, process.pk) for process in processes],
        )
        cursor.executemany(
            f"UPDATE {quote(Task._meta.db_table)} SET created = %s WHERE id = %s",
            [(task.created, task.pk) for task in tasks],
        )


SUMMARIES = [
    ("contracts.FundingLine", AuditAction.CHANGE, "Montant de la tranche modifié"),
    ("contracts.Milestone", AuditAction.CHANGE, "Avancement du jalon déclaré"),
    ("contracts.Milestone", AuditAction.TRANSITION, "Jalon validé par l'ARS"),
    ("contracts.CreditDelegation", AuditAction.CREATE, "Délégation de crédits préparée"),
    ("contracts.CreditDelegation", AuditAction.TRANSITION, "Délégation de crédits validée"),
    ("contracts.Amendment", AuditAction.CREATE, "Avenant rédigé"),
    ("contracts.Contract", AuditAction.TRANSITION, "Contrat soumis à validation"),
    ("viewflow.Task", AuditAction.TRANSITION, "Tâche prise en charge"),
]


def build_journal(country: Country, log) -> int:
    """Append the contracts' events to their streams, chained as ``record_event`` chains them."""
    per_contract = EVENTS_PER_CONTRACT
    contracts = country.contracts
    total = per_contract * len(contracts)
    start_at = timezone.now() - datetime.timedelta(seconds=total)
    with bulk_stream_writer() as writer:
        writer.open(stream_key(contract_id=contract.pk) for contract in contracts)
        for index in range(total):
            contract = contracts[index % len(contracts)]
            actor = country.managers[contract.region_id][index % 2]
            object_type, action, summary = SUMMARIES[index % len(SUMMARIES)]
            writer.append(
                stream_key(contract_id=contract.pk),
                occurred_at=start_at + datetime.timedelta(seconds=index),
                actor_id=actor.pk,
                actor_name=actor.username,
                action=action.value,
                contract_id=contract.pk,
                hospital_group_id=contract.hospital_group_id,
                object_type=object_type,
                object_id=str(contract.pk),
                object_label=contract.reference,
                summary=f"{summary} – {contract.reference}",
                reason="",
                changes={"montant": {"before": "20000.00", "after": f"{20000 + index % 97}.00"}},
            )
    log(f"journal : {total} événements chaînés en {len(contracts)} flux")
    return total


def generate(scale: float, log) -> Country:
    """Build the whole country; return the handles the benchmark reads."""
    started = time.perf_counter()
    with transaction.atomic():
        country = build_territories(scale, log)
        build_contracts(country, log)
    build_processes(country, log)
    build_journal(country, log)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"pays national (échelle {scale}) construit en {time.perf_counter() - started:.0f} s")
    return country
