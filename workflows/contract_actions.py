"""The flows a user may start from a contract's page, registered in ``contracts.actions``."""

from urllib.parse import urlencode

from django.utils.translation import gettext as _

from contracts.actions import ContractAction
from contracts.credits import delegable_years
from contracts.models import ContractStatus, DecisionStatus

from .flows import AmendmentFlow, ContractApprovalFlow, CreditDelegationFlow
from .models import ContractProcess
from .selectors import can_see_workflows


def _start_url(start_node, **params) -> str:
    return f"{start_node.reverse('execute')}?{urlencode(params)}"


def workflow_start_actions(user, contract) -> list[ContractAction]:
    """Return the flows ``user`` may start on ``contract``, each with its prefilled form."""
    if not can_see_workflows(user):
        return []
    actions = []
    if contract.status == ContractStatus.DRAFT and ContractApprovalFlow.start.can_execute(user):
        in_progress = ContractProcess.objects.filter(
            contract=contract, flow_class=ContractApprovalFlow, finished__isnull=True
        ).exists()
        if not in_progress:
            actions.append(
                ContractAction(
                    _("Soumettre pour validation"),
                    _start_url(ContractApprovalFlow.start, contract=contract.pk),
                    submits=True,
                )
            )
    if contract.status != ContractStatus.ACTIVE:
        return actions
    if CreditDelegationFlow.start.can_execute(user):
        actions.extend(
            ContractAction(
                _("Préparer la délégation %(year)s") % {"year": year},
                _start_url(CreditDelegationFlow.start, contract=contract.pk, year=year),
            )
            for year in delegable_years(contract)
        )
    if (
        AmendmentFlow.start.can_execute(user)
        and not contract.amendments.filter(status=DecisionStatus.PREPARED).exists()
    ):
        actions.append(
            ContractAction(
                _("Rédiger un avenant"), _start_url(AmendmentFlow.start, contract=contract.pk)
            )
        )
    return actions
