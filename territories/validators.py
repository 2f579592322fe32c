"""Validators for the State's identifiers: FINESS, SIREN and SIRET (DOMAIN.md §6)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LA_POSTE_SIREN = "356000000"
CORSICAN_PREFIXES = ("2A", "2B")


def normalize_identifier(value: str | None) -> str:
    """Return ``value`` without the spaces of its display form (``NN NNN NNN N``)."""
    if value is None:
        return ""
    return "".join(str(value).split()).upper()


def luhn_is_valid(digits: str) -> bool:
    """Return whether the string of digits passes the Luhn check."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def is_valid_finess(value: str | None) -> bool:
    """Return whether ``value`` is a FINESS number (spaces of the display form allowed).

    Corsican numbers (2A/2B) carry a letter, so no Luhn key can be computed: they are
    accepted on their shape alone.
    """
    number = normalize_identifier(value)
    if len(number) != 9:
        return False
    if number.startswith(CORSICAN_PREFIXES):
        return number[2:].isdigit()
    return luhn_is_valid(number)


def is_valid_siren(value: str | None) -> bool:
    """Return whether ``value`` is a SIREN number (9 digits, Luhn)."""
    number = normalize_identifier(value)
    return len(number) == 9 and luhn_is_valid(number)


def is_valid_siret(value: str | None) -> bool:
    """Return whether ``value`` is a SIRET number (14 digits, Luhn over 14 and over its SIREN).

    La Poste (SIREN 356000000) has more establishments than the Luhn key allows: its
    SIRET numbers are valid when the sum of their digits is a multiple of 5.
    """
    number = normalize_identifier(value)
    if len(number) != 14 or not number.isdigit():
        return False
    if number[:9] == LA_POSTE_SIREN:
        return luhn_is_valid(number) or sum(int(char) for char in number) % 5 == 0
    return luhn_is_valid(number) and luhn_is_valid(number[:9])


def validate_finess(value: str) -> None:
    """Raise a French ``ValidationError`` unless ``value`` is a FINESS number."""
    if not is_valid_finess(value):
        raise ValidationError(
            _("« %(value)s » n'est pas un numéro FINESS valide (9 caractères, clé de contrôle)."),
            code="invalid_finess",
            params={"value": value},
        )


def validate_siren(value: str) -> None:
    """Raise a French ``ValidationError`` unless ``value`` is a SIREN number."""
    if not is_valid_siren(value):
        raise ValidationError(
            _("« %(value)s » n'est pas un numéro SIREN valide (9 chiffres, clé de Luhn)."),
            code="invalid_siren",
            params={"value": value},
        )


def validate_siret(value: str) -> None:
    """Raise a French ``ValidationError`` unless ``value`` is a SIRET number."""
    if not is_valid_siret(value):
        raise ValidationError(
            _("« %(value)s » n'est pas un numéro SIRET valide (14 chiffres, clé de Luhn)."),
            code="invalid_siret",
            params={"value": value},
        )
