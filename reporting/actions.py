"""The reading pages offered on a contract page: its progress and, for who may read it, its history."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.actions import ContractAction

from .history.views import READ_PERMISSION


def reading_actions(user, contract) -> list[ContractAction]:
    """Return the pages about ``contract`` beyond its figures: progress and history."""
    actions = [
        ContractAction(_("Suivi de l'avancement"), reverse("progress:contract", args=[contract.pk]))
    ]
    if user.has_perm(READ_PERMISSION):
        actions.append(
            ContractAction(_("Historique"), reverse("audit:timeline", args=[contract.pk]))
        )
    return actions
