"""Fixtures of the contract tests: a contract with two axes and one user per role."""

import pytest

from audit.journal import AuditEvent
from territories.access import Role

from .factories import ContractFactory, user_with_role


@pytest.fixture
def contract(db):
    return ContractFactory(with_lines=True)


@pytest.fixture
def manager(contract):
    return user_with_role(Role.ARS_MANAGER, region=contract.region, username="claire")


@pytest.fixture
def manager2(contract):
    return user_with_role(Role.ARS_MANAGER, region=contract.region, username="hugo")


@pytest.fixture
def validator(contract):
    return user_with_role(Role.ARS_VALIDATOR, region=contract.region, username="paul")


@pytest.fixture
def director(contract):
    return user_with_role(
        Role.GHT_DIRECTOR, hospital_group=contract.hospital_group, username="sophie"
    )


@pytest.fixture
def auditor(contract):
    return user_with_role(Role.AUDITOR, national=True, username="nadia")


@pytest.fixture
def journal():
    """Return a callable giving the number of journal events now."""
    return AuditEvent.objects.count
