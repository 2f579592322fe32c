"""GHT A (the demo GHT) with an object of every kind, and outsiders of another GHT."""

from django.contrib.auth import get_user_model

from contracts.models import Milestone
from demo.loader import GRAND_EST_CODE
from territories.access import Role
from territories.models import Region
from tests.contracts.factories import ContractFactory, hospital_group_with_support, user_with_role
from tests.workflows import scenarios
from tests.workflows.test_guards import copy_contract
from workflows.flows import MilestoneReviewFlow

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
