"""The granted dossier becomes a funding instrument (seed 001: « un avenant au CPOM ou une
convention de financement »):

- a new line of its GHT's contract, added by an amendment that a validator approves
  (``contracts.services.amendments``); once approved, the dossier points at its line;
- or a standalone funding convention: a ``Contract`` of kind ``FUNDING_CONVENTION``
  between the ARS and the carrier establishment, with one axis and one line. It then goes
  through the contracts' own approval (four-eyes), signature, credit delegations,
  consumption statements and recoveries; once signed, the dossier is contracted.

Either way the line carries the dossier's actions (its CLACT details) and one milestone
per indicator followed.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from contracts import schemes
from contracts import services as contract_services
from contracts.exceptions import BusinessRuleError
from contracts.models import Amendment, Contract, ContractKind, ContractStatus, StrategicAxis
from contracts.signals import amendment_approved, contract_signed
from territories.models import HospitalGroup

from .checks import CLACT_COMPLETE_WITHIN_MONTHS
from .models import Dossier, DossierState, FundingInstrument
from .services_decisions import _lock, _require_instructor, _require_state, _transition


def funding_line_for(dossier: Dossier, *, axis: StrategicAxis, code: str, indicators, year: int):
    """Return the ``NewLine`` that funds ``dossier``: its granted actions, in ``year``.

    The money goes to the year of the amendment; the actions are the line's CLACT
    details, so the scheme rules check the line as they check any other.
    """
    campaign = dossier.campaign
    actions = [a for a in dossier.actions.order_by("rank") if a.ars_granted_amount]
    project_cost = sum((a.cost_amount for a in actions), start=0)
    details = {
        "actions": [
            {
                "rank": a.rank,
                "label": a.label,
                "theme": a.theme,
                "cost": str(a.cost_amount),
                "ars_granted": str(a.ars_granted_amount),
            }
            for a in actions
        ],
        "project_cost": str(project_cost),
        "dossier": dossier.ds_number,
    }
    return contract_services.NewLine(
        axis_id=axis.pk,
        code=code,
        scheme=campaign.scheme,
        label=_("%(scheme)s %(year)s – %(project)s")
        % {
            "scheme": campaign.get_scheme_display(),
            "year": campaign.year,
            "project": dossier.project_title or dossier.applicant_name,
        },
        beneficiary_id=dossier.carrier_establishment_id,
        allocations={year: dossier.granted_amount},
        details=details,
        milestones=list(indicators),
    )


def _lock_fundable(actor, dossier: Dossier) -> Dossier:
    """Lock ``dossier`` and refuse to fund it unless notified, not yet funded, by its
    instructor, with a carrier establishment known to the registry."""
    dossier = _lock(dossier)
    _require_instructor(actor, dossier)
    _require_state(dossier, [DossierState.NOTIFIED], _("financer le dossier"))
    if dossier.funding_instrument:
        raise BusinessRuleError(
            _("Le dossier %(number)s a déjà son financement : %(instrument)s.")
            % {"number": dossier.ds_number, "instrument": dossier.get_funding_instrument_display()}
        )
    if dossier.carrier_establishment_id is None:
        raise BusinessRuleError(
            _(
                "L'établissement porteur n'est pas identifié au répertoire : il ne peut être "
                "bénéficiaire d'une ligne."
            )
        )
    return dossier


@transaction.atomic
def fund_by_amendment(
    *,
    actor,
    dossier: Dossier,
    contract: Contract,
    axis: StrategicAxis,
    code: str,
    indicators=(),
    today,
):
    """Draft the amendment that adds the dossier's line to ``contract``; return it.

    The call's money comes on top of the contract's: the envelope grows by the amount
    granted. Its approval, by another person, is the existing amendment step; the dossier
    follows.
    """
    dossier = _lock_fundable(actor, dossier)
    if contract.status != ContractStatus.ACTIVE:
        raise BusinessRuleError(_("Seul un contrat en vigueur reçoit une ligne par avenant."))
    if contract.region_id != dossier.campaign.region_id:
        raise BusinessRuleError(_("Ce contrat est celui d'une autre région."))
    if not contract.hospital_group.memberships.filter(
        establishment_id=dossier.carrier_establishment_id
    ).exists():
        raise BusinessRuleError(_("L'établissement porteur n'est pas membre du GHT de ce contrat."))
    if axis.contract_id != contract.pk:
        raise BusinessRuleError(_("Cet axe est celui d'un autre contrat."))
    if not contract.start_date <= today <= contract.end_date:
        raise BusinessRuleError(_("Le contrat n'est pas en cours cette année."))
    line = funding_line_for(dossier, axis=axis, code=code, indicators=indicators, year=today.year)
    amendment = contract_services.draft_amendment(
        actor=actor,
        contract=contract,
        reason=_("Financement du dossier %(number)s retenu par le comité (%(campaign)s)")
        % {"number": dossier.ds_number, "campaign": dossier.campaign.title},
        proposal=contract_services.AmendmentProposal(
            envelope_amount=contract.envelope_amount + dossier.granted_amount, new_lines=[line]
        ),
    )
    dossier.amendment = amendment
    dossier.funding_instrument = FundingInstrument.CONTRACT_AMENDMENT
    dossier.save(update_fields=["amendment", "funding_instrument"])
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=dossier,
        summary=_("Avenant n° %(number)s rédigé pour financer le dossier %(dossier)s")
        % {"number": amendment.number, "dossier": dossier.ds_number},
        changes={"amendment": amendment.pk, "contract": contract.reference},
    )
    return amendment


@receiver(amendment_approved, sender=Amendment)
def link_funded_dossier(sender, amendment, created_lines, actor=None, **kwargs):
    """Point the dossier funded by ``amendment`` at its new line: it is contracted.

    Found by the dossier number the line carries: an amendment sent back and drafted
    again is a new amendment row with the same new line.
    """
    by_number = {line.details.get("dossier"): line for line in created_lines}
    dossiers = Dossier.objects.select_for_update().filter(
        ds_number__in=[number for number in by_number if number],
        state=DossierState.NOTIFIED,
        campaign__region_id=amendment.contract.region_id,
    )
    for dossier in dossiers:
        line = by_number[dossier.ds_number]
        dossier.contract_line = line
        dossier.amendment = amendment
        _transition(
            dossier,
            DossierState.CONTRACTED,
            actor=actor,
            summary=_("Dossier %(number)s financé : ligne %(code)s du contrat %(contract)s")
            % {
                "number": dossier.ds_number,
                "code": line.code,
                "contract": amendment.contract.reference,
            },
            fields=["contract_line", "amendment"],
            contract_line=line.pk,
        )


# Standalone funding convention -----------------------------------------------------------


@dataclass(frozen=True)
class ConventionPeriod:
    """The dates of a dossier's funding convention, from the campaign's rules."""

    start_date: date
    completion_date: date
    consumption_deadline: date | None
    end_date: date


def convention_reference(dossier: Dossier) -> str:
    """Return the reference of the dossier's funding convention (one per dossier)."""
    campaign = dossier.campaign
    return f"CONV-{campaign.scheme}-{campaign.year}-{dossier.ds_number}"


def convention_period(dossier: Dossier, *, today: date) -> ConventionPeriod:
    """Return the dates of the convention drafted ``today`` for ``dossier``.

    It starts on the day it is drafted, no earlier than the campaign's « conventionnement
    à partir du »; the actions are carried out within 24 months of the grant (seeds/001)
    and the credits consumed by the campaign's deadline (its date, else its frozen
    parameters for CLACT): the convention runs to the later of the two.
    """
    campaign = dossier.campaign
    start = max(today, campaign.contracting_from_date or today)
    completion = schemes._add_months(start, CLACT_COMPLETE_WITHIN_MONTHS) - timedelta(days=1)
    deadline = campaign.consumption_deadline_date
    if deadline is None and campaign.scheme == schemes.SchemeCode.CLACT:
        deadline = schemes.clact_consumption_deadline(campaign.scheme_parameters())
    end = max(completion, deadline) if deadline else completion
    return ConventionPeriod(
        start_date=start, completion_date=completion, consumption_deadline=deadline, end_date=end
    )


def beneficiary_group(dossier: Dossier) -> HospitalGroup | None:
    """Return the GHT of the dossier's carrier establishment in the campaign's region."""
    if dossier.carrier_establishment_id is None:
        return None
    return (
        HospitalGroup.objects.filter(
            memberships__establishment_id=dossier.carrier_establishment_id,
            region_id=dossier.campaign.region_id,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def fund_by_convention(
    *,
    actor,
    dossier: Dossier,
    indicators=(),
    code: str = "1.1",
    today: date,
) -> Contract:
    """Draft the funding convention of ``dossier`` (a contract of its own); return it.

    Between the campaign's ARS and the carrier establishment, envelope = the amount
    granted, one axis and one line carrying the granted actions. It is a draft: its
    submission and approval by another person, its signature, delegations, statements and
    recoveries are those of every contract; the dossier is contracted once it is signed.
    """
    dossier = _lock_fundable(actor, dossier)
    if not dossier.granted_amount or dossier.granted_amount <= 0:
        raise BusinessRuleError(_("Aucun montant accordé : rien à conventionner."))
    group = beneficiary_group(dossier)
    if group is None:
        raise BusinessRuleError(
            _(
                "L'établissement porteur n'appartient à aucun GHT de la région : la "
                "convention ne peut pas être rattachée."
            )
        )
    period = convention_period(dossier, today=today)
    if period.consumption_deadline and period.consumption_deadline < period.start_date:
        raise BusinessRuleError(
            _("La date limite de consommation de la campagne (%(date)s) est passée.")
            % {"date": f"{period.consumption_deadline:%d/%m/%Y}"}
        )
    campaign = dossier.campaign
    number = {"number": dossier.ds_number, "campaign": campaign.title}
    convention = contract_services.create_contract(
        actor=actor,
        reference=convention_reference(dossier),
        kind=ContractKind.FUNDING_CONVENTION,
        title=_("Convention de financement – %(campaign)s – %(project)s")
        % {
            "campaign": campaign.title,
            "project": dossier.project_title or dossier.applicant_name,
        },
        hospital_group=group,
        carrier_establishment=dossier.carrier_establishment,
        start_date=period.start_date,
        end_date=period.end_date,
        envelope_amount=dossier.granted_amount,
        axes=[
            contract_services.AxisInput(
                number=1, title=_("Actions retenues du dossier %(number)s") % number
            )
        ],
    )
    axis = convention.axes.get()
    new = funding_line_for(
        dossier, axis=axis, code=code, indicators=(), year=period.start_date.year
    )
    reason = _("Financement du dossier %(number)s retenu par le comité (%(campaign)s)") % number
    line = contract_services.add_funding_line(
        actor=actor,
        axis=axis,
        code=new.code,
        scheme=new.scheme,
        label=new.label,
        beneficiary=dossier.carrier_establishment,
        amounts_by_year=new.allocations,
        details=new.details,
        consumption_deadline_date=period.consumption_deadline,
        reason=reason,
    )
    for values in indicators:
        contract_services.add_milestone(actor=actor, axis=axis, **values)
    dossier.contract_line = line
    dossier.funding_instrument = FundingInstrument.FUNDING_CONVENTION
    dossier.save(update_fields=["contract_line", "funding_instrument"])
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=dossier,
        summary=_("Convention de financement %(reference)s rédigée pour le dossier %(number)s")
        % {"reference": convention.reference, "number": dossier.ds_number},
        changes={"convention": convention.reference, "contract_line": line.pk},
    )
    return convention


@receiver(contract_signed, sender=Contract)
def contract_funded_dossier(sender, contract, actor=None, **kwargs):
    """The dossier a funding convention funds is contracted once the convention is signed."""
    if contract.kind != ContractKind.FUNDING_CONVENTION:
        return
    dossiers = Dossier.objects.select_for_update().filter(
        contract_line__axis__contract=contract,
        funding_instrument=FundingInstrument.FUNDING_CONVENTION,
        state=DossierState.NOTIFIED,
    )
    for dossier in dossiers:
        _transition(
            dossier,
            DossierState.CONTRACTED,
            actor=actor,
            summary=_("Dossier %(number)s financé : convention %(reference)s signée")
            % {"number": dossier.ds_number, "reference": contract.reference},
            convention=contract.reference,
        )
