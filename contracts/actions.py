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


# Links under a funding line (e.g. "its individual awards"), from higher layers --------------


@dataclass(frozen=True)
class LineLink:
    label: str
    # None: a fact shown without a link (the reader may not open the page behind it).
    url: str | None = None


LineLinkProvider = Callable[..., dict[int, list[LineLink]] | None]

_line_link_providers: list[LineLinkProvider] = []


def register_line_links(provider: LineLinkProvider) -> LineLinkProvider:
    """Add ``provider(user, contract) -> {line_id: [LineLink]}`` to the contract page (idempotent).

    A provider reads the whole contract in a fixed number of queries, never one per line.
    """
    if provider not in _line_link_providers:
        _line_link_providers.append(provider)
    return provider


def line_links(user, contract) -> dict[int, list[LineLink]]:
    """Return the links each provider offers ``user`` under the lines of ``contract``."""
    links: dict[int, list[LineLink]] = {}
    for provider in _line_link_providers:
        for line_id, items in (provider(user, contract) or {}).items():
            links.setdefault(line_id, []).extend(items)
    return links
