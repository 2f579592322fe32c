"""Individual awards: the use cases that write them (keyword-only, atomic, journaled).

« A line's amount is the sum of its awards » lives in one place, ``sync_line_amounts``:
every write of an award under a line ends with it. It goes through the contract's own
services, under their rules: a draft contract's line is changed (``change_funding_line``:
scheme rules, envelope, delegated money never cut under), a signed contract's line gets an
amendment drafted (``draft_amendment``, with the line's amounts and its parameters such as
the number of students) that a validator approves like any other, one at a time; a contract
under validation or closed refuses award changes, as it refuses line changes.

The journal records who changed what with before/after values, but never the name or the
identifier of the person: it is append-only and auditors read it, so the personal data
stays in the award's row, where ARS staff see it and where it can be erased.
"""

import math
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event
from contracts import schemes
from contracts.exceptions import BusinessRuleError, FourEyesError, WrongStatusError
from contracts.models import (
    Amendment,
    Contract,
    ContractStatus,
    DecisionStatus,
    FundingLine,
    Recovery,
    RecoveryBasis,
    RecoveryMode,
    YearlyAllocation,
)
from contracts.money import ZERO, format_euros
from contracts.services import (
    AmendmentProposal,
    approve_recovery,
    change_funding_line,
    draft_amendment,
    prepare_recovery,
    reject_recovery,
)
from contracts.services.lines import scheme_parameters_for
from territories.access import visible_regions

from . import award_states, selectors
from .models import AwardInstalment, AwardKind, AwardRecovery, AwardStatus, Dossier, IndividualAward
from .schedules import award_figures, instalment_year

MANAGE_PERMISSION = "calls.change_individualaward"
DECIDE_PERMISSION = "calls.decide_award_recovery"

# The figures a manager types; everything else is computed or set by a step.
INPUT_FIELDS = (
    "identifier",
    "last_name",
    "first_name",
    "start_date",
    "months",
    "tuition_amount",
    "replacement_amount",
    "yearly_amount",
    "half_days",
    "other_sites",
    "distance_km",
    "derogation",
    "locally_scarce",
    "nationally_scarce",
    "working_time_ratio",
    "appointment_date",
    "commitment_start_date",
)
PERSONAL_FIELDS = ("identifier", "last_name", "first_name")
PERSONAL_MASK = "(donnée personnelle)"
# What the journal keeps with its values: figures, dates, amounts, status.
JOURNALED_FIELDS = (
    *(name for name in INPUT_FIELDS if name not in PERSONAL_FIELDS),
    "status",
    "status_date",
    "end_date",
    "total_amount",
    "commitment_months",
    "commitment_end_date",
    "breach_date",
    "served_months",
    "recovery_amount",
)
# Contracts whose lines take award changes: a draft directly, a signed one by amendment.
OPEN_STATUSES = (ContractStatus.DRAFT, ContractStatus.ACTIVE)


def can_manage_awards(user, region) -> bool:
    """Return whether ``user`` is ARS staff who may record awards in ``region``."""
    return (
        user.is_authenticated
        and user.has_perm(MANAGE_PERMISSION)
        and visible_regions(user).filter(pk=region.pk).exists()
    )


def _require_manager(actor, region) -> None:
    if not can_manage_awards(actor, region):
        raise PermissionDenied(
            _("Seul un chargé de mission ARS de la région saisit les attributions individuelles.")
        )


def _journal_values(award: IndividualAward) -> dict:
    values = {name: getattr(award, name) for name in JOURNALED_FIELDS}
    for name in PERSONAL_FIELDS:
        values[name] = PERSONAL_MASK
    return values


def _personal_changes(before: dict, award: IndividualAward) -> dict:
    """Say which personal fields changed, without their values."""
    return {
        name: {"before": PERSONAL_MASK, "after": _("%(mask)s modifiée") % {"mask": PERSONAL_MASK}}
        for name in PERSONAL_FIELDS
        if before[name] != getattr(award, name)
    }


def award_parameters(award: IndividualAward) -> schemes.SchemeParameters:
    """Return the figures ``award`` is held to: its contract's, or its campaign's frozen ones."""
    if award.funding_line_id:
        return scheme_parameters_for(award.funding_line.axis.contract, award.kind)
    return award.dossier.campaign.scheme_parameters()


def _contract_of(award: IndividualAward) -> Contract | None:
    return award.funding_line.axis.contract if award.funding_line_id else None


def _lock_open_contract(line: FundingLine) -> Contract:
    """Lock the line's contract and refuse one whose lines cannot change now."""
    contract = Contract.objects.select_for_update().get(pk=line.axis.contract_id)
    if contract.status not in OPEN_STATUSES:
        raise WrongStatusError(
            _(
                "Le contrat %(contract)s est au statut « %(status)s » : ses lignes ne peuvent "
                "pas changer. Attendez la fin de sa validation (ou, signé, passez par un avenant)."
            )
            % {"contract": contract.reference, "status": contract.get_status_display()}
        )
    return contract


def _apply_figures(award: IndividualAward) -> list[AwardInstalment]:
    figures = award_figures(award, award_parameters(award))
    award.total_amount = figures.total_amount
    award.end_date = figures.end_date
    award.commitment_months = figures.commitment_months
    award.commitment_end_date = figures.commitment_end_date
    return [
        AwardInstalment(number=index, label=i.label, due_date=i.due_date, amount=i.amount)
        for index, i in enumerate(figures.instalments, start=1)
    ]


def _save_with_schedule(award: IndividualAward, instalments: list[AwardInstalment]) -> None:
    award.save()
    AwardInstalment.objects.filter(award=award).delete()
    for instalment in instalments:
        instalment.award = award
    AwardInstalment.objects.bulk_create(instalments)


@transaction.atomic
def create_award(
    *,
    actor,
    kind: str,
    funding_line: FundingLine | None = None,
    dossier: Dossier | None = None,
    reason: str = "",
    **figures,
) -> IndividualAward:
    """Record an award under a line (its amount follows) or a dossier, computed by its rule."""
    if (funding_line is None) == (dossier is None):
        raise BusinessRuleError(
            _("Une attribution relève d'une ligne de financement ou d'un dossier (un seul).")
        )
    unknown = set(figures) - set(INPUT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown award fields: {sorted(unknown)}")
    contract = None
    if funding_line is not None:
        funding_line = FundingLine.objects.select_related("axis__contract").get(pk=funding_line.pk)
        region = funding_line.axis.contract.region
        scheme = funding_line.scheme
    else:
        region = dossier.campaign.region
        scheme = dossier.campaign.scheme
    _require_manager(actor, region)
    if kind != scheme or kind not in AwardKind.values:
        raise BusinessRuleError(
            _(
                "Cette %(what)s relève du dispositif %(scheme)s : une attribution %(kind)s n'y a pas sa place."
            )
            % {
                "what": _("ligne") if funding_line is not None else _("campagne"),
                "scheme": scheme,
                "kind": kind,
            }
        )
    if funding_line is not None:
        contract = _lock_open_contract(funding_line)
    award = IndividualAward(
        kind=kind,
        status=award_states.initial_status(
            kind, commitment_start_date=figures.get("commitment_start_date")
        ),
        region=region,
        funding_line=funding_line,
        dossier=dossier,
        created_by=actor,
        **figures,
    )
    instalments = _apply_figures(award)
    _save_with_schedule(award, instalments)
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=award,
        contract=contract,
        summary=_("Attribution %(kind)s saisie : %(amount)s")
        % {"kind": kind, "amount": format_euros(award.total_amount)},
        reason=reason,
        changes=diff_fields({}, _journal_values(award)),
    )
    if funding_line is not None:
        sync_line_amounts(actor=actor, line=funding_line, reason=reason or str(award))
    return award


@transaction.atomic
def change_award(*, actor, award: IndividualAward, reason: str = "", **figures) -> IndividualAward:
    """Change an award's figures; its amount, schedule and its line's amount follow."""
    unknown = set(figures) - set(INPUT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown award fields: {sorted(unknown)}")
    award = IndividualAward.objects.select_related(
        "funding_line__axis__contract", "dossier__campaign"
    ).get(pk=award.pk)
    _require_manager(actor, award.region)
    contract = _lock_open_contract(award.funding_line) if award.funding_line_id else None
    award = IndividualAward.objects.select_for_update().get(pk=award.pk)
    if award.status not in award_states.EDITABLE[award.kind]:
        raise WrongStatusError(
            _("Cette attribution est au statut « %(status)s » : elle ne se modifie plus.")
            % {"status": award.get_status_display()}
        )
    before = _journal_values(award)
    personal_before = {name: getattr(award, name) for name in PERSONAL_FIELDS}
    for name, value in figures.items():
        setattr(award, name, value)
    if award.kind == AwardKind.CAE:
        # Typing or clearing the hire date moves a CAE into, or back before, its commitment.
        award.status = award_states.initial_status(
            award.kind, commitment_start_date=award.commitment_start_date
        )
    instalments = _apply_figures(award)
    _save_with_schedule(award, instalments)
    changes = diff_fields(before, _journal_values(award))
    changes.update(_personal_changes(personal_before, award))
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=award,
        contract=contract,
        summary=_("Attribution %(kind)s modifiée") % {"kind": award.kind},
        reason=reason,
        changes=changes,
    )
    if award.funding_line_id:
        sync_line_amounts(actor=actor, line=award.funding_line, reason=reason or str(award))
    return award


@transaction.atomic
def record_cae_breach(
    *, actor, award: IndividualAward, breach_date, served_months: int, reason: str
) -> IndividualAward:
    """Record that a student broke the CAE commitment; the repayment is computed by the rule.

    Prepared here, decided by someone else (``decide_cae_breach``).
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Le motif de la rupture est obligatoire.")})
    award = IndividualAward.objects.select_for_update().get(pk=award.pk)
    _require_manager(actor, award.region)
    if award.kind != AwardKind.CAE:
        raise BusinessRuleError(
            _("Seul un contrat d'allocation d'études se rompt avec reversement.")
        )
    if award.status != AwardStatus.IN_COMMITMENT:
        raise WrongStatusError(
            _("Cette attribution est au statut « %(status)s ».")
            % {"status": award.get_status_display()}
        )
    if award.commitment_start_date is None:
        raise ValidationError(
            {
                "breach_date": _(
                    "L'engagement n'a pas commencé : renseignez d'abord la date d'embauche."
                )
            }
        )
    if breach_date < award.commitment_start_date:
        raise ValidationError(
            {"breach_date": _("La rupture ne peut pas précéder le début de l'engagement.")}
        )
    try:
        recovery = schemes.cae_recovery_amount(
            paid_amount=award.total_amount,
            commitment_months=award.commitment_months,
            served_months=served_months,
        )
    except schemes.RuleViolation as violation:
        raise ValidationError({"served_months": violation.errors}) from violation
    before = _journal_values(award)
    award.status = AwardStatus.BREACH_RECORDED
    award.breach_date = breach_date
    award.served_months = served_months
    award.recovery_amount = recovery
    award.breach_reason = reason
    award.breach_recorded_by = actor
    award.save()
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=award,
        contract=_contract_of(award),
        summary=_("Rupture d'engagement CAE constatée : %(amount)s à reverser")
        % {"amount": format_euros(recovery)},
        reason=reason,
        changes=diff_fields(before, _journal_values(award)),
    )
    return award


@transaction.atomic
def decide_cae_breach(*, actor, award: IndividualAward, approve: bool, reason: str = ""):
    """Decide the repayment of a recorded CAE breach, or send it back (four-eyes)."""
    award = IndividualAward.objects.select_for_update().get(pk=award.pk)
    if not (
        actor.has_perm(DECIDE_PERMISSION)
        and visible_regions(actor).filter(pk=award.region_id).exists()
    ):
        raise PermissionDenied(_("Seul un validateur ARS de la région décide un reversement."))
    if award.status != AwardStatus.BREACH_RECORDED:
        raise WrongStatusError(_("Aucune rupture d'engagement n'attend de décision."))
    if award.breach_recorded_by_id == actor.pk:
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : vous avez constaté cette rupture ; une autre personne "
                "doit décider le reversement."
            )
        )
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Le motif du renvoi est obligatoire.")})
    before = _journal_values(award)
    if approve:
        award.status = AwardStatus.BROKEN
        award.breach_decided_by = actor
        award.breach_decided_at = timezone.now()
        summary = _("Reversement CAE décidé : %(amount)s") % {
            "amount": format_euros(award.recovery_amount)
        }
        decided = True
    else:
        award.status = AwardStatus.IN_COMMITMENT
        award.breach_date = award.served_months = award.recovery_amount = None
        award.breach_reason = ""
        award.breach_recorded_by = None
        summary = _("Rupture d'engagement CAE renvoyée")
        decided = False
    award.save()
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=award,
        contract=_contract_of(award),
        summary=summary,
        reason=reason,
        changes=diff_fields(before, _journal_values(award)),
    )
    if decided and award.funding_line_id:
        _try_prepare_recovery(actor=actor, award=award)
        award.refresh_from_db()
    return award


# The lifecycle of each kind (``award_states``) ------------------------------------------


def award_facts(award: IndividualAward) -> award_states.AwardFacts:
    return award_states.AwardFacts(
        start_date=award.start_date,
        end_date=award.end_date,
        commitment_end_date=award.commitment_end_date,
        appointment_date=award.appointment_date,
    )


def _stop_payments(award: IndividualAward, day) -> None:
    """Drop the instalments due on or after ``day`` (or not dated yet); the total follows."""
    AwardInstalment.objects.filter(award=award).filter(
        Q(due_date__gte=day) | Q(due_date__isnull=True)
    ).delete()
    award.total_amount = (
        AwardInstalment.objects.filter(award=award).aggregate(total=Sum("amount"))["total"] or ZERO
    )


@transaction.atomic
def advance_award(*, actor, award: IndividualAward, event: str, date, reason: str = ""):
    """Record the step ``event`` of ``award``'s lifecycle on ``date`` (``award_states``).

    Checks the step is allowed from the award's state and its date fits the award's dates
    (French problems per field: ``event``, ``date``), applies its effect on the schedule
    (CAE hire date, PECH appointment, payments stopped), journals, and makes the line's
    amounts follow when the schedule changed (``sync_line_amounts``, which drafts an
    amendment for a signed contract).
    """
    award = IndividualAward.objects.select_related(
        "funding_line__axis__contract", "dossier__campaign"
    ).get(pk=award.pk)
    _require_manager(actor, award.region)
    step = award_states.transition(award.kind, event)
    contract = _contract_of(award)
    if step is not None and step.effect and award.funding_line_id:
        contract = _lock_open_contract(award.funding_line)
    award = IndividualAward.objects.select_for_update().get(pk=award.pk)
    step, problems = award_states.check_event(
        award.kind, award.status, event, date, award_facts(award)
    )
    if problems:
        raise ValidationError(problems)
    before = _journal_values(award)
    if step.effect == award_states.SET_COMMITMENT_START:
        award.commitment_start_date = date
        _save_with_schedule(award, _apply_figures(award))
    elif step.effect == award_states.SET_APPOINTMENT:
        award.appointment_date = date
        _save_with_schedule(award, _apply_figures(award))
    elif step.effect == award_states.STOP_PAYMENTS:
        _stop_payments(award, date)
    award.status = step.target
    award.status_date = date
    award.save()
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=award,
        contract=contract,
        summary=_("Attribution %(kind)s : %(step)s le %(date)s")
        % {"kind": award.kind, "step": step.label, "date": date.strftime("%d/%m/%Y")},
        reason=reason,
        changes=diff_fields(before, _journal_values(award)),
    )
    if step.effect and award.funding_line_id:
        sync_line_amounts(actor=actor, line=award.funding_line, reason=reason or str(award))
    return award


# The decided repayment taken back from the line's credits ---------------------------------


def recovery_split(award: IndividualAward) -> dict[int, Decimal]:
    """Return ``{year: amount}``: where ``award``'s decided repayment is taken back from.

    The rule: from the years that paid the award (its instalments' years), the latest
    first, each up to what the award was paid that year, until the repayment is covered.
    A 12-month CAE paid 2,000 € in 2025 and 4,000 € in 2026 that repays 4,500 € gives
    4,000 € back on 2026 and 500 € on 2025. The recovery service then bounds each by what
    that year's allocation had delegated, less what was recovered or is being recovered.
    """
    paid: dict[int, Decimal] = {}
    for instalment in award.instalments.all():
        year = instalment_year(instalment.due_date, award.start_date)
        paid[year] = paid.get(year, ZERO) + instalment.amount
    left = award.recovery_amount or ZERO
    split = {}
    for year in sorted(paid, reverse=True):
        if left <= 0:
            break
        part = min(left, paid[year])
        split[year] = part
        left -= part
    return split


def can_prepare_award_recovery(user, award: IndividualAward) -> bool:
    """Return whether ``user`` may (again) prepare the recovery of ``award``'s repayment."""
    return (
        user.is_authenticated
        and (user.has_perm(MANAGE_PERMISSION) or user.has_perm(DECIDE_PERMISSION))
        and visible_regions(user).filter(pk=award.region_id).exists()
    )


def award_recoveries(award: IndividualAward) -> list[Recovery]:
    """Return the recoveries prepared for ``award``'s repayment, latest first."""
    return list(
        Recovery.objects.filter(award_link__award=award)
        .select_related("allocation", "prepared_by", "approved_by")
        .order_by("-pk")
    )


def pending_award_recoveries(award: IndividualAward) -> list[Recovery]:
    """Return the recoveries of ``award``'s repayment that wait for or got approval."""
    return [r for r in award_recoveries(award) if r.status != DecisionStatus.REJECTED]


@transaction.atomic
def prepare_award_recovery(*, actor, award: IndividualAward) -> IndividualAward:
    """Prepare the recovery of ``award``'s decided repayment through the recovery service.

    One path for every recovery (``contracts.services.prepare_recovery``): one recovery per
    year of ``recovery_split``, each linked to the award; a validator other than ``actor``
    then approves or sends them back, as any recovery. All or none: if the service refuses
    one, nothing is prepared and its French reason is raised. Prepared again only when
    none waits or was approved (after a send-back, or a refusal).
    """
    award = IndividualAward.objects.select_for_update().get(pk=award.pk)
    if not can_prepare_award_recovery(actor, award):
        raise PermissionDenied(_("Seul un agent ARS de la région prépare une reprise."))
    if award.status != AwardStatus.BROKEN or not award.recovery_amount:
        raise WrongStatusError(
            _("Aucun reversement décidé n'est à reprendre sur cette attribution.")
        )
    if not award.funding_line_id:
        raise BusinessRuleError(
            _("Cette attribution ne relève pas d'une ligne de contrat : aucun crédit à reprendre.")
        )
    if pending_award_recoveries(award):
        raise WrongStatusError(_("La reprise de ce reversement est déjà préparée ou validée."))
    allocations = {
        a.year: a for a in YearlyAllocation.objects.filter(funding_line_id=award.funding_line_id)
    }
    prepared = []
    for year, amount in recovery_split(award).items():
        if year not in allocations:
            raise BusinessRuleError(
                _("La ligne n'a pas de crédits programmés en %(year)s : aucune reprise possible.")
                % {"year": year}
            )
        recovery = prepare_recovery(
            actor=actor,
            allocation=allocations[year],
            mode=RecoveryMode.RECOVER,
            decided_amount=amount,
            basis=RecoveryBasis.AWARD_BREACH,
            basis_reference=str(award),
        )
        AwardRecovery.objects.create(award=award, recovery=recovery)
        prepared.append(recovery)
    before = award.recovery_refusal
    award.recovery_refusal = ""
    award.save(update_fields=["recovery_refusal", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=award,
        contract=_contract_of(award),
        summary=_("Reprise du reversement préparée : %(parts)s")
        % {"parts": ", ".join(f"{format_euros(r.amount)} ({r.allocation.year})" for r in prepared)},
        changes={
            "recoveries": {"before": None, "after": [r.pk for r in prepared]},
            "recovery_refusal": {"before": before, "after": ""},
        },
    )
    return award


@transaction.atomic
def decide_award_recovery(*, actor, award: IndividualAward, approve: bool, reason: str = ""):
    """Approve, or send back, the recoveries prepared for ``award``'s repayment (together).

    The recovery's own services decide (``approve_recovery``, ``reject_recovery``): the
    four-eyes check, the bound re-checked under the allocation's lock and the journal are
    theirs, as for any recovery.
    """
    award = IndividualAward.objects.select_for_update().get(pk=award.pk)
    if not (
        actor.has_perm(DECIDE_PERMISSION)
        and visible_regions(actor).filter(pk=award.region_id).exists()
    ):
        raise PermissionDenied(_("Seul un validateur ARS de la région décide une reprise."))
    waiting = [r for r in award_recoveries(award) if r.status == DecisionStatus.PREPARED]
    if not waiting:
        raise WrongStatusError(_("Aucune reprise de ce reversement n'attend de décision."))
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Le motif du renvoi est obligatoire.")})
    for recovery in waiting:
        if approve:
            approve_recovery(actor=actor, recovery=recovery)
        else:
            reject_recovery(actor=actor, recovery=recovery, reason=reason)
    return award


def _try_prepare_recovery(*, actor, award: IndividualAward) -> None:
    """Prepare the recovery of a just-decided repayment; keep the reason if it is refused.

    The repayment stays decided either way (the student owes it): a refusal (nothing
    delegated yet, a recovery already waiting on that allocation) is shown next to the
    decision, with the button to prepare it again.
    """
    try:
        with transaction.atomic():
            prepare_award_recovery(actor=actor, award=award)
    except (ValidationError, PermissionDenied) as refusal:
        messages = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal)]
        award.recovery_refusal = " ".join(messages)
        award.save(update_fields=["recovery_refusal", "updated_at"])
        record_event(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=award,
            contract=_contract_of(award),
            summary=_("Reprise du reversement non préparée"),
            reason=award.recovery_refusal,
            changes={"recovery_refusal": {"before": "", "after": award.recovery_refusal}},
        )


# A line's amount is the sum of its awards --------------------------------------------------


def _line_details(line: FundingLine, params: schemes.SchemeParameters) -> dict:
    """Return the line's details with what its awards say, so the line's own check sees them.

    Each award is held to its scheme's rule exactly (``schedules``); the line check then
    reads the counts (students, practitioners, assistants) and, for PET, the highest grid
    step over the months of all awards, which bounds their sum.
    """
    awards = list(
        IndividualAward.objects.filter(funding_line=line).values(
            "months", "half_days", "other_sites", "distance_km", "derogation"
        )
    )
    details = dict(line.details or {})
    count = len(awards)
    if not count:
        return details
    scheme = line.scheme
    if scheme in (schemes.SchemeCode.IPA, schemes.SchemeCode.CAE):
        details["students"] = count
    if scheme == schemes.SchemeCode.CAE:
        details["years"] = max(math.ceil((a["months"] or 12) / 12) for a in awards)
    if scheme == schemes.SchemeCode.PECH:
        details["practitioners"] = count
    if scheme == schemes.SchemeCode.ASTP:
        details["assistants"] = count
        details["years"] = params.astp_duration_years
        with_pet = [a for a in awards if a["half_days"] is not None]
        if with_pet:
            details["pet_half_days"] = str(max(a["half_days"] for a in with_pet))
            details["pet_other_sites"] = max(a["other_sites"] or 1 for a in with_pet)
            details["pet_months"] = params.astp_duration_years * 12
    if scheme == schemes.SchemeCode.PET:
        details["months"] = sum(a["months"] or 0 for a in awards)
        details["half_days"] = str(max(a["half_days"] for a in awards))
        details["other_sites"] = max(a["other_sites"] or 1 for a in awards)
        if details.get("distance_km") in (None, ""):
            nearest = min(awards, key=lambda a: a["distance_km"])
            details["distance_km"] = str(nearest["distance_km"])
            if nearest["derogation"]:
                details["derogation"] = nearest["derogation"]
    return details


def line_amounts_owner(line: FundingLine) -> str | None:
    """Say why a line with awards refuses amounts typed by hand (``register_amount_owner``)."""
    if IndividualAward.objects.filter(funding_line=line).exists():
        return _(
            "Les montants de la ligne %(code)s sont la somme de ses attributions individuelles : "
            "modifiez les attributions, la ligne suivra."
        ) % {"code": line.code}
    return None


def sync_line_amounts(*, actor, line: FundingLine, reason: str = "") -> Amendment | None:
    """Make ``line``'s yearly amounts the sum of its awards, by the contract's own rules.

    A draft contract's line changes at once; a signed contract gets an amendment drafted,
    returned, which changes the line once a validator approves it. Years the awards no
    longer cover go to zero.
    """
    line = FundingLine.objects.select_related("axis__contract").get(pk=line.pk)
    contract = _lock_open_contract(line)
    amounts = selectors.awards_by_year(line)
    current = {a.year: a.allocated_amount for a in line.allocations.all()}
    wanted = {year: amounts.get(year, ZERO) for year in set(current) | set(amounts)}
    summary = _("Montants de la ligne %(code)s = somme de ses attributions individuelles") % {
        "code": line.code
    }
    details = _line_details(line, scheme_parameters_for(contract, line.scheme))
    if contract.status == ContractStatus.DRAFT:
        change_funding_line(
            actor=actor,
            line=line,
            amounts_by_year=wanted,
            details=details,
            derived=True,
            reason=f"{summary}. {reason}".strip(),
        )
        return None
    if details == line.details and all(
        current.get(year, ZERO) == amount for year, amount in wanted.items()
    ):
        return None
    pending = selectors.pending_amendment(contract)
    if pending is not None:
        # One amendment at a time (``draft_amendment``): the next one will carry every award.
        raise BusinessRuleError(
            _(
                "Le contrat %(contract)s est signé et son avenant n° %(number)s attend la décision "
                "d'un validateur : saisissez cette attribution une fois l'avenant décidé (le "
                "suivant reprendra toutes les attributions de la ligne)."
            )
            % {"contract": contract.reference, "number": pending.number}
        )
    return draft_amendment(
        actor=actor,
        contract=contract,
        reason=f"{summary}. {reason}".strip(),
        proposal=AmendmentProposal(allocations={line.pk: wanted}, details={line.pk: details}),
        derived=True,
    )
