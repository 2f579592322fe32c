"""Actions other layers offer on the contract page (e.g. "start a workflow").

``contracts`` must not import ``workflows``: the workflows register here, at start-up,
a provider ``provider(user, contract) -> list[ContractAction] | None``; the contract page
shows what the providers return. A provider must not query per row: it reads the
contract and the user's permissions only.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ContractAction:
    label: str
    url: str
    # True for "submit the draft": the page withholds it while the draft lacks something.
    submits: bool = False


ActionProvider = Callable[..., list[ContractAction] | None]

_providers: list[ActionProvider] = []


def register_contract_action(provider: ActionProvider) -> ActionProvider:
    """Add ``provider`` to those asked for the contract page's actions (idempotent)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def contract_actions(user, contract) -> list[ContractAction]:
    """Return the actions ``user`` is offered on ``contract``, in registration order."""
    actions = []
    for provider in _providers:
        actions.extend(provider(user, contract) or [])
    return actions
