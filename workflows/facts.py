"""The facts a task page shows above its form: what the person decides on.

Pure reads. Each function returns the template context of one kind of step; the task
views put it in ``facts`` and ``workflows/task_facts.html`` renders ``facts_template``.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from contracts import amendments, credits
from contracts.models import EvidenceDocument, Milestone, YearlyAllocation
from contracts.money import ZERO, format_euros
from contracts.selectors import contract_figures
from contracts.services import AmendmentProposal


def contract_summary(contract) -> dict:
    """Return the contract, its money totals and its per-axis totals."""
    figures = contract_figures(contract)
    axes = [
        {"axis": axis, "figures": figures.axis(axis.pk)}
        for axis in contract.axes.order_by("number")
    ]
    return {"contract": contract, "total": figures.total, "axes": axes}


def delegation_lines(contract, *, year, delegation=None) -> dict:
    """Return the amounts per line of a delegation (prepared, or proposed) and the total."""
    if delegation is not None:
        rows = [
            {
                "allocation": line.allocation,
                "line": line.allocation.funding_line,
                "amount": line.amount,
            }
            for line in delegation.lines.select_related("allocation__funding_line__axis").order_by(
                "allocation__funding_line__axis__number", "allocation__funding_line__code"
            )
        ]
    else:
        proposed = credits.proposed_delegation_amounts(contract, year)
        allocations = (
            YearlyAllocation.objects.filter(pk__in=proposed)
            .select_related("funding_line__axis")
            .order_by("funding_line__axis__number", "funding_line__code")
        )
        rows = [
            {"allocation": a, "line": a.funding_line, "amount": proposed[a.pk]} for a in allocations
        ]
    total = sum((row["amount"] for row in rows), ZERO)
    return {"contract": contract, "year": year, "rows": rows, "total": total}


def closing_figures(process) -> dict:
    """Return delegated / declared / non-compliant and the recovery the check computes."""
    allocation = process.allocation
    statement = process.statement
    recovery = process.recovery
    if recovery is not None:
        figures = recovery
    elif statement is not None:
        # The statement being checked is not approved yet: compute from its own figures.
        figures = credits.compute_recovery(
            delegated_amount=allocation.delegated_amount,
            consumed_amount=statement.consumed_amount,
            non_compliant_amount=statement.non_compliant_amount,
            already_recovered_amount=allocation.recovered_amount,
        )
    else:
        figures = credits.preview_recovery(allocation)
    return {
        "allocation": allocation,
        "line": allocation.funding_line,
        "delegated": allocation.delegated_amount,
        "declared": statement.consumed_amount if statement else None,
        "non_compliant": statement.non_compliant_amount if statement else None,
        "unused": figures.unused_amount,
        "recovery_non_compliant": figures.non_compliant_amount,
        "recovery": figures.amount,
        "mode": recovery.get_mode_display() if recovery is not None else "",
    }


def milestone_facts(process) -> dict:
    """Return the milestone's indicator, target, due date, declared value and evidence."""
    milestone = process.milestone
    evidence = EvidenceDocument.objects.filter(milestone=milestone).order_by("-pk")
    return {"milestone": milestone, "contract": process.contract, "evidence": evidence}


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str


def amendment_checks(amendment) -> list[Check]:
    """Return the checks the amendment triggers: envelope, contract period."""
    contract = amendment.contract
    proposal = AmendmentProposal.from_json(amendment.proposed)
    allocations = YearlyAllocation.objects.filter(funding_line__axis__contract=contract)
    amounts = {(a.funding_line_id, a.year): a.allocated_amount for a in allocations}
    for line_id, years in proposal.allocations.items():
        for year, amount in years.items():
            amounts[line_id, year] = Decimal(amount)
    allocated = sum(amounts.values(), ZERO)
    envelope = (
        proposal.envelope_amount
        if proposal.envelope_amount is not None
        else contract.envelope_amount
    )
    end_date = proposal.end_date or contract.end_date
    dues = {}
    for milestone in Milestone.objects.filter(axis__contract=contract):
        dues[milestone.pk] = proposal.milestones.get(milestone.pk, {}).get(
            "due_date", milestone.due_date
        )
    outside = [pk for pk, due in dues.items() if not contract.start_date <= due <= end_date]
    return [
        Check(
            _("Enveloppe"),
            allocated <= envelope,
            _("Total programmé après l'avenant : %(allocated)s pour une enveloppe de %(envelope)s")
            % {"allocated": format_euros(allocated), "envelope": format_euros(envelope)},
        ),
        Check(
            _("Période du contrat"),
            not outside,
            _("%(count)s échéance(s) de jalon hors de la période du contrat")
            % {"count": len(outside)}
            if outside
            else _("Toutes les échéances de jalon tombent dans la période du contrat."),
        ),
    ]


def amendment_facts(amendment) -> dict:
    return {
        "amendment": amendment,
        "diff": amendments.amendment_diff(amendment),
        "checks": amendment_checks(amendment),
    }


def dossier_summary(dossier) -> dict:
    """Return a dossier's applicant, actions (asked, proposed, granted), checks and review."""
    from calls import services_decisions
    from calls.models import CommitteeDecision, ComplementRequest, DossierReview

    actions = list(dossier.actions.order_by("rank"))
    campaign = dossier.campaign
    rows = [
        {"action": action, "cap": services_decisions.action_cap(action, campaign)}
        for action in actions
    ]
    review = DossierReview.objects.filter(dossier=dossier).select_related("prepared_by").first()
    decision = (
        CommitteeDecision.objects.filter(dossier=dossier)
        .select_related("committee", "decided_by")
        .first()
    )
    return {
        "dossier": dossier,
        "campaign": campaign,
        "rows": rows,
        "asked": sum((a.ars_requested_amount for a in actions), ZERO),
        "cost": sum((a.cost_amount for a in actions), ZERO),
        "documents": list(dossier.documents.order_by("kind", "pk")),
        "failed_checks": [r for r in dossier.check_results if r.get("outcome") != "OK"],
        "complements": list(
            ComplementRequest.objects.filter(dossier=dossier).order_by("-requested_at")
        ),
        "review": review,
        "decision": decision,
        "granted_in_campaign": services_decisions.granted_in_campaign(campaign),
    }
