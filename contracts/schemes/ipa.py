"""IPA: training grants for advanced practice nurses (seed 000) and internship support (seed 002)."""

from decimal import Decimal

from ..money import ZERO, format_euros, round_cents
from ._common import _IPA_INTERNSHIP_SOURCE, _IPA_SOURCE, RuleViolation, _to_decimal, _to_int
from .codes import IpaBeneficiaryKind
from .parameters import DEFAULT_PARAMETERS, SchemeParameters


def _check_student_count(students: int) -> int:
    """Return ``students`` if at least one student is funded."""
    students = _to_int(students, "Le nombre d'étudiants IPA")
    if students < 1:
        raise RuleViolation(
            f"Le nombre d'étudiants IPA doit être d'au moins 1 (reçu : {students})."
        )
    return students


def ipa_max_amount(students: int, params: SchemeParameters = DEFAULT_PARAMETERS) -> Decimal:
    """Return the largest IPA funding for ``students`` students (cap per student × students)."""
    return round_cents(params.ipa_cap_per_student * _check_student_count(students))


def check_ipa_amount(
    amount_per_student: Decimal,
    students: int = 1,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise ``RuleViolation`` unless the amount per student is positive and within the cap."""
    amount = _to_decimal(amount_per_student, "Le montant IPA par étudiant")
    _check_student_count(students)
    if amount <= ZERO:
        raise RuleViolation(
            f"Le montant IPA par étudiant doit être positif (reçu : {format_euros(amount)})."
        )
    if amount > params.ipa_cap_per_student:
        raise RuleViolation(
            f"Le montant IPA de {format_euros(amount)} dépasse le plafond de "
            f"{format_euros(params.ipa_cap_per_student)} par étudiant ({_IPA_SOURCE})."
        )


def check_ipa_beneficiary(kind: str, has_doctors_commitment: bool = False) -> None:
    """Raise ``RuleViolation`` unless ``kind`` may receive IPA funding.

    A self-employed nurse is eligible only with a written commitment from the doctors of
    the coordinated structure (ESP, MSP) to work with the future IPA (seeds/000).
    """
    if kind not in IpaBeneficiaryKind.values:
        raise RuleViolation(
            f"« {kind} » n'est pas un bénéficiaire éligible au financement IPA ({_IPA_SOURCE})."
        )
    if kind == IpaBeneficiaryKind.SELF_EMPLOYED_NURSE and not has_doctors_commitment:
        raise RuleViolation(
            "Un infirmier libéral n'est éligible au financement IPA qu'avec l'engagement écrit "
            "des médecins de sa structure d'exercice coordonné (ESP, MSP) à travailler avec "
            f"le futur IPA ({_IPA_SOURCE})."
        )


def ipa_internship_support(months: int, params: SchemeParameters = DEFAULT_PARAMETERS) -> Decimal:
    """Return the support paid to a team hosting an IPA intern for ``months`` months."""
    months = _to_int(months, "La durée du stage IPA")
    amounts = dict(params.ipa_internship_support)
    if months not in amounts:
        accepted = " ou ".join(f"{duration} mois" for duration in sorted(amounts))
        raise RuleViolation(
            f"L'aide à l'accueil d'un stagiaire IPA est prévue pour un stage de {accepted} "
            f"(reçu : {months} mois) ({_IPA_INTERNSHIP_SOURCE})."
        )
    return round_cents(amounts[months])
