"""Fixtures of the contract tests: a contract with two axes and one user per role."""

import pytest

from audit.journal import AuditEvent

from .factories import ContractFactory


@pytest.fixture
def contract(db):
    return ContractFactory(with_lines=True)


@pytest.fixture
def journal():
    """Return a callable giving the number of journal events now."""
    return AuditEvent.objects.count
