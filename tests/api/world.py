"""GHT A (the demo GHT) with an object of every kind, and outsiders of another GHT.

Its region (Grand Est) runs a call for applications: one dossier waits for its
completeness check, another, instructed by ``manager``, for the committee's decision.
"""

import datetime

from django.contrib.auth import get_user_model

from calls.models import SCORE_FIELDS, DossierState
from calls.services_decisions import create_committee
from contracts.models import Milestone
from demo.loader import GRAND_EST_CODE
from territories.access import Role
from territories.models import Region
from tests.calls.factories import CampaignFactory, DossierActionFactory, DossierFactory
from tests.contracts.factories import ContractFactory, hospital_group_with_support, user_with_role
from tests.workflows import scenarios
from tests.workflows.test_guards import copy_contract
from workflows import steps
from workflows.flows import DossierCompletenessFlow, DossierDecisionFlow, MilestoneReviewFlow

User = get_user_model()


def build_world() -> dict:
    contract = scenarios.active_demo_contract()
    draft = copy_contract(contract, "CAT-GE-2025-COPIE")
    scenarios.submitted_approval(draft)
    recovery_process = scenarios.prepared_recovery(contract)  # delegates 2025 on the way
    delegation_process = scenarios.prepared_delegation(contract, year=2026)
    amendment_process = scenarios.drafted_amendment(contract)
    review_process = scenarios.reported_milestone(contract)
    open_review = MilestoneReviewFlow.start.run(
        milestone=Milestone.objects.get(title="Maison des internes ouverte")
    )
    grand_est = Region.objects.get(code=GRAND_EST_CODE)
    calls = build_call(grand_est)
    other_ght = hospital_group_with_support()
    contract_b = ContractFactory(with_lines=True, hospital_group=other_ght)
    return {
        "contract": contract,
        "draft": draft,
        "contract_b": contract_b,
        "recovery_process": recovery_process,
        "delegation_process": delegation_process,
        "amendment_process": amendment_process,
        "review_process": review_process,
        "open_review": open_review,
        **calls,
        "outsiders": {
            "director_same_region": user_with_role(
                Role.GHT_DIRECTOR, hospital_group=hospital_group_with_support(region=grand_est)
            ),
            "director_other_region": user_with_role(Role.GHT_DIRECTOR, hospital_group=other_ght),
            "manager_other_region": user_with_role(Role.ARS_MANAGER, region=other_ght.region),
        },
    }


def demo_user(username: str):
    return User.objects.get(username=username)


def build_call(region) -> dict:
    """Return a campaign of ``region`` with a dossier at each of the first steps."""
    campaign = CampaignFactory(region=region, opened=True)
    to_check = DossierFactory(campaign=campaign, state=DossierState.ADMISSIBLE)
    DossierActionFactory(dossier=to_check, rank=1)
    DossierCompletenessFlow.start.run(dossier=to_check)
    to_decide = DossierFactory(campaign=campaign, state=DossierState.UNDER_REVIEW)
    action = DossierActionFactory(dossier=to_decide, rank=1)
    process = DossierDecisionFlow.start.run(dossier=to_decide)
    instructor = demo_user("manager")
    task = steps.open_dossier_step(DossierDecisionFlow.instruct, to_decide)
    steps.run_task(
        user=instructor,
        task=task,
        perform=lambda process: steps.instruct_dossier(
            process,
            actor=instructor,
            now=datetime.datetime.now(datetime.UTC),
            opinion="FAVORABLE",
            comment="Bon projet.",
            scores=dict.fromkeys(SCORE_FIELDS, 2),
            proposed_by_action={action.pk: action.ars_requested_amount},
        ),
    )
    committee = create_committee(
        actor=demo_user("validator"),
        campaign=campaign,
        session_date=datetime.date(2025, 9, 1),
        members="DOS, DSP",
    )
    return {
        "campaign": campaign,
        "dossier_to_check": to_check,
        "dossier_to_decide": to_decide,
        "decision_process": process,
        "committee": committee,
    }
