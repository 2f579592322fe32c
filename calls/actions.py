"""Buttons a dossier's decision page shows, registered by the layers above ``calls``.

The open step of a dossier lives in ``workflows``, which ``calls`` must not import:
``workflows`` registers a provider here at start-up (as for ``contracts.actions``).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DossierAction:
    label: str
    url: str
    primary: bool = False


_providers: list[Callable] = []


def register(provider: Callable) -> Callable:
    """Register ``provider(user, dossier) -> list[DossierAction]``."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def actions_for(user, dossier) -> list[DossierAction]:
    return [action for provider in _providers for action in provider(user, dossier)]
