"""An award's amount, schedule and commitment, composed from the scheme rules.

Pure: reads the figures of an award (a model instance, saved or not) and the scheme's
parameters, returns what the rules of ``contracts.schemes`` make of them. Nothing here
re-states a rule: the PET grid, the ASTP period and funding, the PECH amount and halves,
the CAE commitment and the IPA cap are the scheme functions' own.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contracts import schemes
from contracts.money import ZERO, round_cents, split_evenly
from contracts.schemes import _add_months

from .models.awards import AwardKind


@dataclass(frozen=True)
class Instalment:
    label: str
    due_date: datetime.date | None
    amount: Decimal


@dataclass
class AwardFigures:
    """What the rules make of an award's figures."""

    total_amount: Decimal
    instalments: list[Instalment]
    end_date: datetime.date | None = None
    commitment_months: int | None = None
    commitment_end_date: datetime.date | None = None


@dataclass
class _Errors:
    """Problems per form field, in French; ``None`` for the whole award."""

    by_field: dict[str | None, list[str]] = field(default_factory=dict)

    def add(self, name: str | None, messages) -> None:
        self.by_field.setdefault(name, []).extend(messages)

    def rule(self, name: str | None, check: Callable, *args, **kwargs):
        """Run a scheme rule; keep its problems under ``name`` and return ``None`` on failure."""
        try:
            return check(*args, **kwargs)
        except schemes.RuleViolation as violation:
            self.add(name, violation.errors)
            return None

    def require(self, award, *names: str) -> bool:
        missing = [name for name in names if getattr(award, name) in (None, "")]
        for name in missing:
            self.add(name, [_("Ce champ est obligatoire pour ce dispositif.")])
        return not missing

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(
                {name or "__all__": messages for name, messages in self.by_field.items()}
            )


def _last_day(start: datetime.date, months: int) -> datetime.date:
    """Return the last day (inclusive) of ``months`` months from ``start``."""
    return _add_months(start, months) - datetime.timedelta(days=1)


def _monthly(start: datetime.date, amounts: list[Decimal], what: str) -> list[Instalment]:
    return [
        Instalment(
            _("%(what)s, mois %(n)s") % {"what": what, "n": index + 1},
            _add_months(start, index),
            amount,
        )
        for index, amount in enumerate(amounts)
    ]


def _ipa(award, params, errors: _Errors) -> AwardFigures | None:
    if not errors.require(award, "tuition_amount", "replacement_amount"):
        return None
    total = round_cents(award.tuition_amount + award.replacement_amount)
    errors.rule(None, schemes.check_ipa_amount, total, 1, params)
    # seeds/000 gives the cap per student, not when it is paid: one payment at the
    # training convention, on its start date.
    return AwardFigures(total, [Instalment(_("Convention de formation"), award.start_date, total)])


def _cae(award, params, errors: _Errors) -> AwardFigures | None:
    if not errors.require(award, "yearly_amount", "months"):
        return None
    errors.rule("yearly_amount", schemes.check_cae_yearly_amount, award.yearly_amount, params)
    commitment = errors.rule("months", schemes.cae_commitment_months, award.months, params)
    if commitment is None or "yearly_amount" in errors.by_field:
        return None
    total = round_cents(award.yearly_amount * award.months / 12)
    return AwardFigures(
        total,
        _monthly(award.start_date, split_evenly(total, award.months), _("Allocation d'études")),
        end_date=_last_day(award.start_date, award.months),
        commitment_months=commitment,
        commitment_end_date=(
            _last_day(award.commitment_start_date, commitment)
            if award.commitment_start_date
            else None
        ),
    )


def _pet_monthly(award, params, errors: _Errors, name: str = "half_days") -> Decimal | None:
    monthly = errors.rule(
        name, schemes.pet_monthly_amount, award.half_days, award.other_sites or 0, params
    )
    if monthly == ZERO:
        errors.add(
            name,
            [
                _(
                    "En dessous d'une demi-journée hebdomadaire en moyenne hors du site principal, "
                    "la prime d'exercice territorial n'est pas due."
                )
            ],
        )
        return None
    return monthly


def _pet(award, params, errors: _Errors) -> AwardFigures | None:
    if not errors.require(award, "half_days", "other_sites", "months", "distance_km"):
        return None
    errors.rule(
        "distance_km",
        schemes.check_pet_site_distance,
        award.distance_km,
        award.derogation or None,
        params,
    )
    monthly = _pet_monthly(award, params, errors)
    if monthly is None or award.months < 1:
        if award.months is not None and award.months < 1:
            errors.add("months", [_("Au moins un mois de prime.")])
        return None
    return AwardFigures(
        round_cents(monthly * award.months),
        _monthly(award.start_date, [monthly] * award.months, _("Prime d'exercice territorial")),
        end_date=_last_day(award.start_date, award.months),
    )


def _astp(award, params, errors: _Errors) -> AwardFigures | None:
    start, end = schemes.astp_convention_period(award.start_date, params)
    years = params.astp_duration_years
    salary = schemes.astp_funding(None, params)
    if salary is None:
        # seeds/004 « sur la base d'un coût moyen », which the campaign has not stored:
        # the yearly salary share of the convention is then typed in.
        if not errors.require(award, "yearly_amount"):
            return None
        salary = round_cents(award.yearly_amount * years)
    pet_monthly = ZERO
    if award.half_days not in (None, ""):
        # seeds/004: « 100% des coûts afférents aux primes d'exercice territorial dues aux ASTP ».
        pet_monthly = _pet_monthly(award, params, errors)
        if pet_monthly is None:
            return None
    # The assistant is paid monthly over the two years of the convention: so is the ARS share,
    # which lands in the calendar years the months fall in.
    months = years * 12
    amounts = [part + pet_monthly for part in split_evenly(salary, months)]
    return AwardFigures(
        sum(amounts, ZERO),
        _monthly(start, amounts, _("Traitement et PET de l'assistant")),
        end_date=end,
    )


def _pech(award, params, errors: _Errors) -> AwardFigures | None:
    amount = errors.rule(
        "locally_scarce",
        schemes.pech_amount,
        locally_scarce=award.locally_scarce,
        nationally_scarce=award.nationally_scarce,
        working_time_ratio=award.working_time_ratio or Decimal(1),
        params=params,
    )
    if amount is None:
        return None
    at_signature, at_appointment = schemes.pech_instalments(amount)
    return AwardFigures(
        amount,
        [
            Instalment(_("À la signature de la convention"), award.start_date, at_signature),
            Instalment(
                _("À la prise de poste comme praticien hospitalier"),
                award.appointment_date,
                at_appointment,
            ),
        ],
    )


_COMPOSERS = {
    AwardKind.IPA: _ipa,
    AwardKind.CAE: _cae,
    AwardKind.PET: _pet,
    AwardKind.ASTP: _astp,
    AwardKind.PECH: _pech,
}


def award_figures(award, params: schemes.SchemeParameters) -> AwardFigures:
    """Return the amount, schedule and commitment the scheme rules give ``award``.

    Raise ``ValidationError`` naming each field at fault, in French.
    """
    errors = _Errors()
    if award.kind not in _COMPOSERS:
        errors.add("kind", [_("Dispositif inconnu.")])
        errors.raise_if_any()
    if not award.start_date:
        errors.add("start_date", [_("La date de début est obligatoire.")])
        errors.raise_if_any()
    figures = _COMPOSERS[AwardKind(award.kind)](award, params, errors)
    errors.raise_if_any()
    assert figures is not None
    return figures


def instalment_year(due_date: datetime.date | None, start_date: datetime.date) -> int:
    """Return the year whose amount an instalment counts in: its date's, else the start's.

    An instalment not yet dated (the PECH half due at appointment as PH) is programmed in the
    year the award starts, as a PECH line is (``contracts.schemes.pech_due_amount`` then holds
    its delegation until the appointment).
    """
    return (due_date or start_date).year
