"""Tutoring and training (instruction DGOS/RH1/2016/330)."""

from decimal import Decimal

from ._common import _TUTORING_SOURCE, RuleViolation, _format_number, _to_decimal
from .parameters import DEFAULT_PARAMETERS, SchemeParameters


def check_tutor_training(
    days: Decimal, hours: Decimal, params: SchemeParameters = DEFAULT_PARAMETERS
) -> None:
    """Raise ``RuleViolation`` unless the tutor training lasts long enough in days and hours."""
    days = _to_decimal(days, "La durée de formation en jours")
    hours = _to_decimal(hours, "La durée de formation en heures")
    errors: list[str] = []
    if days < params.tutor_training_min_days:
        errors.append(
            f"La formation des tuteurs dure {_format_number(days)} jours, moins que les "
            f"{_format_number(params.tutor_training_min_days)} jours requis ({_TUTORING_SOURCE})."
        )
    if hours < params.tutor_training_min_hours:
        errors.append(
            f"La formation des tuteurs dure {_format_number(hours)} heures, moins que les "
            f"{_format_number(params.tutor_training_min_hours)} heures requises "
            f"({_TUTORING_SOURCE})."
        )
    if errors:
        raise RuleViolation(errors)
