"""Calls for applications: campaigns and the dossiers filed in them (CALLS.md 3.1 to 3.4)."""

from .awards import AwardInstalment, AwardKind, AwardStatus, IndividualAward
from .campaigns import Campaign, CampaignQuerySet, CampaignState
from .dossiers import (
    DocumentKind,
    DocumentStatus,
    Dossier,
    DossierAction,
    DossierDocument,
    DossierPartner,
    DossierQuerySet,
    DossierState,
    EstablishmentProfile,
)

__all__ = [
    "AwardInstalment",
    "AwardKind",
    "AwardStatus",
    "IndividualAward",
    "Campaign",
    "CampaignQuerySet",
    "CampaignState",
    "DocumentKind",
    "DocumentStatus",
    "Dossier",
    "DossierAction",
    "DossierDocument",
    "DossierPartner",
    "DossierQuerySet",
    "DossierState",
    "EstablishmentProfile",
]
