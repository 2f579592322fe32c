"""Errors of the contract domain, with messages a contract manager understands."""

from django.core.exceptions import ValidationError


class BusinessRuleError(ValidationError):
    """A write refused because it would break a rule of the contract; nothing was changed."""


class FourEyesError(BusinessRuleError):
    """A decision approved by the person who prepared it."""


class WrongStatusError(BusinessRuleError):
    """A step attempted on an object that is not at that step."""
