"""The granted dossier becomes a funding instrument: a new line of its GHT's contract,
added by an amendment that a validator approves (``contracts.services.amendments``).

The line carries the dossier's actions (its CLACT details) and one milestone per
indicator followed; once the amendment is approved, the dossier points at its line.
"""

from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from contracts import services as contract_services
from contracts.exceptions import BusinessRuleError
from contracts.models import Amendment, Contract, ContractStatus, StrategicAxis
from contracts.signals import amendment_approved

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
    dossier = _lock(dossier)
    _require_instructor(actor, dossier)
    _require_state(dossier, [DossierState.NOTIFIED], _("financer le dossier"))
    if dossier.carrier_establishment_id is None:
        raise BusinessRuleError(
            _(
                "L'établissement porteur n'est pas identifié au répertoire : il ne peut être "
                "bénéficiaire d'une ligne."
            )
        )
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
