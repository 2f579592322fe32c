"""Scheme rules (IPA, CLACT, PET, ASTP, PECH, CAE, tutoring) as pure functions.

Every figure lives in ``SchemeParameters``, whose defaults carry only what a source gives
(each field names its source); a region or a campaign stores its own figures as data
(``contracts.models.SchemeParameterSet``) and the services pass them in. Nothing here reads
the database, a file or the clock: dates are passed in.

Sources are the public documents the product is built from (the "seeds", cited by number
in ``docs/SCHEME_RULES.md``): 000 = ARS Grand Est 2025 calls (IPA, CLACT, CAE); 001 = CLACT
2024 specification; 002 = Pays de la Loire plan (IPA internship support); 004 = Grand Est
medical attractiveness plan (ASTP, PECH, PET); and legal texts named where they are used.
"""

import calendar
import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from contracts.money import ZERO, format_euros, round_cents, split_evenly


class SchemeCode(models.TextChoices):
    IPA = "IPA", "Infirmier en pratique avancée (IPA)"
    CLACT = "CLACT", "Contrat local d'amélioration des conditions de travail (CLACT)"
    PET = "PET", "Prime d'exercice territorial (PET)"
    ASTP = "ASTP", "Assistant spécialiste à temps partagé (ASTP)"
    PECH = "PECH", "Prime d'engagement de carrière hospitalière (PECH)"
    CAE = "CAE", "Contrat d'allocation d'études (CAE)"
    TUTORING = "TUTORING", "Tutorat et formation"
    OTHER = "OTHER", "Mesure nouvelle du contrat"


class PetDerogation(models.TextChoices):
    MENTAL_HEALTH = "MENTAL_HEALTH", "Établissement de santé mentale"
    PRISON_HEALTH = "PRISON_HEALTH", "Unité de soins aux détenus"
    RADIOLOGY = "RADIOLOGY", "Radiologie"
    CASE_BY_CASE = "CASE_BY_CASE", "Dérogation accordée au cas par cas"


class IpaBeneficiaryKind(models.TextChoices):
    HEALTH_ESTABLISHMENT = "HEALTH_ESTABLISHMENT", "Établissement sanitaire"
    MEDICO_SOCIAL_ESTABLISHMENT = (
        "MEDICO_SOCIAL_ESTABLISHMENT",
        "Établissement médico-social",
    )
    MSP = "MSP", "Maison de santé pluriprofessionnelle (MSP)"
    CPTS = "CPTS", "Communauté professionnelle territoriale de santé (CPTS)"
    HEALTH_CENTRE = "HEALTH_CENTRE", "Centre de santé"
    SELF_EMPLOYED_NURSE = "SELF_EMPLOYED_NURSE", "Infirmier libéral"


class ClactDocument(models.TextChoices):
    SIGNED_CONTRACT = (
        "SIGNED_CONTRACT",
        "Contrat signé par le directeur et les organisations syndicales représentatives",
    )
    CSE_OPINION = "CSE_OPINION", "Avis du CSE"
    DUERP_AND_PREVENTION_PLAN = (
        "DUERP_AND_PREVENTION_PLAN",
        "Document unique (DUERP) et plan de prévention actualisés",
    )
    BANK_DETAILS = "BANK_DETAILS", "RIB à jour de l'établissement"
    FINANCING_SUMMARY = (
        "FINANCING_SUMMARY",
        "Fiche récapitulative du plan de financement par action",
    )
    MONITORING_INDICATORS = "MONITORING_INDICATORS", "Indicateurs de suivi des actions"


class ClactExclusion(models.TextChoices):
    RECURRING_COSTS = "RECURRING_COSTS", "Dépenses courantes ou pérennes"
    PAYROLL = "PAYROLL", "Rémunérations et charges de personnel ou de postes pérennes"
    TRAINING_BODY_FUNDED = (
        "TRAINING_BODY_FUNDED",
        "Projet remboursable par un OPCO, l'ANFH ou pris en charge par la CARSAT",
    )
    LEGALLY_REQUIRED_EQUIPMENT = (
        "LEGALLY_REQUIRED_EQUIPMENT",
        "Équipement courant ou de sécurité relevant des obligations légales de l'employeur",
    )
    ALREADY_FUNDED = "ALREADY_FUNDED", "Action déjà financée par ailleurs"


class CaeProfession(models.TextChoices):
    NURSING_ASSISTANT = "NURSING_ASSISTANT", "Aide-soignant"
    NURSE = "NURSE", "Infirmier"
    RADIOGRAPHER = "RADIOGRAPHER", "Manipulateur en électroradiologie médicale"
    OCCUPATIONAL_THERAPIST = "OCCUPATIONAL_THERAPIST", "Ergothérapeute"
    PSYCHOMOTOR_THERAPIST = "PSYCHOMOTOR_THERAPIST", "Psychomotricien"
    PHYSIOTHERAPIST = "PHYSIOTHERAPIST", "Masseur-kinésithérapeute"
    MIDWIFE = "MIDWIFE", "Sage-femme"


def _param(scheme: str, kind: str, default, source: str):
    """Declare one configurable figure: its scheme, its kind, its default and its source.

    ``kind`` says how an administrator's text is read: ``decimal``, ``int``, ``date`` or
    ``grid`` (``{"months": "amount"}``). A ``None`` default means no seed or legal text gives
    the figure: the rule that needs it applies only once a campaign stores it.
    """
    return field(default=default, metadata={"scheme": scheme, "kind": kind, "source": source})


_SEED_000 = "seeds/000 (ARS Grand Est, appels à candidatures 2025)"
_SEED_001 = "seeds/001 (ARS Grand Est, cahier des charges CLACT 2024)"
_SEED_002 = "seeds/002 (ARS Pays de la Loire, PlaM 2022)"
_SEED_004 = "seeds/004 (ARS Grand Est, plan d'attractivité médicale 2020-2023)"
_ARRETE_2017 = "arrêté du 14 mars 2017 modifié (PET : annexe ; PECH)"
_DGOS_TUTORS = (
    "instruction n° DGOS/RH1/2016/330 du 4 novembre 2016 relative à la formation des tuteurs "
    "de stages paramédicaux, cahier des charges annexé"
)


@dataclass(frozen=True, kw_only=True)
class SchemeParameters:
    """Configurable figures of every scheme; the defaults are the sources' own figures.

    Each field's ``metadata`` names its scheme, its kind and its source; a stored
    ``SchemeParameterSet`` overrides them for a region and a campaign (``with_values``).
    """

    ipa_cap_per_student: Decimal = _param(
        "IPA", "decimal", Decimal("70000.00"), f"{_SEED_000} : « Jusqu'à 70 000 € par étudiant »"
    )

    clact_fir_share: Decimal = _param(
        "CLACT",
        "decimal",
        Decimal("0.50"),
        f"{_SEED_001}, §3 Financement : « subvention du FIR à hauteur de 50 % du projet "
        "soumis » ; « cofinancement des projets à hauteur de 50% au minimum »",
    )
    clact_max_actions: int = _param(
        "CLACT",
        "int",
        5,
        f"{_SEED_001}, §2 : « Tout dossier reçu ayant un nombre d'actions supérieur à 5 sera "
        "déclaré irrecevable »",
    )
    clact_consumption_deadline: datetime.date = _param(
        "CLACT",
        "date",
        datetime.date(2026, 12, 31),
        f"{_SEED_001}, §3 : « La consommation de la subvention financière déléguée au titre du "
        "CLACT 2024 doit être réalisée au plus tard le 31/12/2026 »",
    )
    clact_start_within_months: int = _param(
        "CLACT",
        "int",
        12,
        f"{_SEED_001}, §3 : « des projets […] débutant dans l'année suivant l'accord de "
        "financement »",
    )

    pet_ars_share: Decimal = _param(
        "PET",
        "decimal",
        Decimal("1"),
        f"{_SEED_004} : « L'ARS Grand Est finance 100% de la prime d'exercice territorial »",
    )
    pet_min_half_days: Decimal = _param(
        "PET", "decimal", Decimal(1), f"{_ARRETE_2017} ; {_SEED_004} : « d'une demi-journée »"
    )
    pet_base_amount: Decimal = _param(
        "PET", "decimal", Decimal("250.00"), f"{_ARRETE_2017} ; {_SEED_004} : « de 250 € »"
    )
    pet_middle_max_half_days: Decimal = _param("PET", "decimal", Decimal(3), _ARRETE_2017)
    pet_middle_amount: Decimal = _param("PET", "decimal", Decimal("450.00"), _ARRETE_2017)
    pet_high_max_half_days: Decimal = _param("PET", "decimal", Decimal(4), _ARRETE_2017)
    pet_high_amount: Decimal = _param("PET", "decimal", Decimal("700.00"), _ARRETE_2017)
    pet_top_amount: Decimal = _param(
        "PET", "decimal", Decimal("1000.00"), f"{_ARRETE_2017} ; {_SEED_004} : « à 1000 € »"
    )
    pet_top_min_other_sites: int = _param("PET", "int", 2, _ARRETE_2017)
    pet_min_distance_km: Decimal = _param(
        "PET",
        "decimal",
        Decimal(20),
        f"{_SEED_004} : « un autre établissement distant d'au moins 20km de son site "
        "d'exercice principal »",
    )

    astp_ars_share: Decimal = _param(
        "ASTP",
        "decimal",
        Decimal("1"),
        f"{_SEED_004} : « 100% du traitement du médecin, sur la base d'un coût moyen ; 100% "
        "des coûts afférents aux primes d'exercice territorial dues aux ASTP »",
    )
    astp_duration_years: int = _param(
        "ASTP", "int", 2, f"{_SEED_004} : « la signature d'une convention de deux ans »"
    )
    astp_min_sites: int = _param(
        "ASTP",
        "int",
        2,
        f"{_SEED_004} : « des postes partagés entre deux établissements hospitaliers »",
    )
    # seeds/004 gives no yearly amount (120 posts for 5.3 M EUR in 2020 is a budget, not a
    # cap): the average cost is set by each campaign, and no ceiling applies until then.
    astp_average_yearly_cost: Decimal | None = _param(
        "ASTP", "decimal", None, f"{_SEED_004} : « sur la base d'un coût moyen » (non chiffré)"
    )
    # No seed gives the campaign's first day: set per campaign.
    astp_campaign_start: datetime.date | None = _param(
        "ASTP", "date", None, "aucune source : à fixer par campagne"
    )

    pech_ars_share: Decimal = _param(
        "PECH",
        "decimal",
        Decimal("1"),
        f"{_SEED_004} : « L'ARS Grand Est finance 100% de la prime d'engagement dans la "
        "carrière hospitalière »",
    )
    pech_locally_scarce_amount: Decimal = _param(
        "PECH", "decimal", Decimal("20000.00"), _ARRETE_2017
    )
    pech_nationally_scarce_amount: Decimal = _param(
        "PECH", "decimal", Decimal("10000.00"), _ARRETE_2017
    )
    pech_cap: Decimal = _param(
        "PECH",
        "decimal",
        Decimal("30000.00"),
        f"{_ARRETE_2017} ; {_SEED_004} : « entre 10 000 € et 30 000 € brut »",
    )

    # seeds/000 gives no CAE amount: a campaign may set a yearly ceiling.
    cae_max_yearly_amount: Decimal | None = _param(
        "CAE", "decimal", None, f"{_SEED_000} : aucun montant (à fixer par campagne)"
    )
    cae_commitment_multiplier: int = _param(
        "CAE",
        "int",
        2,
        f"{_SEED_000} : « pour une durée équivalente au double de la durée financée »",
    )
    # seeds/000: eligible study years per profession; ``None`` means the whole training.
    # Kept in code: a list of professions, not a figure an administrator edits.
    cae_eligible_years: tuple[tuple[str, frozenset[int] | None], ...] = field(
        default=(
            (CaeProfession.NURSING_ASSISTANT, None),
            (CaeProfession.NURSE, frozenset({2, 3})),
            (CaeProfession.RADIOGRAPHER, frozenset({2, 3})),
            (CaeProfession.OCCUPATIONAL_THERAPIST, frozenset({2, 3})),
            (CaeProfession.PSYCHOMOTOR_THERAPIST, frozenset({2, 3})),
            (CaeProfession.PHYSIOTHERAPIST, frozenset({3, 4})),
            (CaeProfession.MIDWIFE, frozenset({4, 5})),
        )
    )

    tutor_training_min_days: Decimal = _param(
        "TUTORING", "decimal", Decimal(4), f"{_DGOS_TUTORS} : « durée minimale de 4 jours »"
    )
    tutor_training_min_hours: Decimal = _param(
        "TUTORING", "decimal", Decimal(28), f"{_DGOS_TUTORS} : « soit 28 heures »"
    )
    ipa_internship_support: tuple[tuple[int, Decimal], ...] = _param(
        "TUTORING",
        "grid",
        ((2, Decimal("1000.00")), (4, Decimal("1500.00"))),
        f"{_SEED_002}, fiche 3-4 : « 1000 € par équipe pluri-professionnelle accueillant un "
        "IPA deux mois en stage – 1500€ pour 4 mois »",
    )

    def with_values(self, values: Mapping[str, object]) -> "SchemeParameters":
        """Return a copy with ``values`` (name -> text, as stored) read into their kinds."""
        known = {f.name: f for f in fields(self) if "kind" in f.metadata}
        changes = {}
        for name, text in values.items():
            if name not in known:
                raise RuleViolation(
                    _("« %(name)s » n'est pas un paramètre de dispositif connu.") % {"name": name}
                )
            changes[name] = parse_parameter(known[name].metadata["kind"], name, text)
        return replace(self, **changes)


def parse_parameter(kind: str, name: str, text: object):
    """Return the stored ``text`` of parameter ``name`` as a value of ``kind``."""
    if text is None or text == "":
        return None
    try:
        if kind == "decimal":
            value = _to_decimal(text, f"Le paramètre « {name} »")
            if value < 0:
                raise RuleViolation(f"Le paramètre « {name} » ne peut pas être négatif.")
            return value
        if kind == "int":
            return _to_int(text, f"Le paramètre « {name} »")
        if kind == "date":
            return datetime.date.fromisoformat(str(text))
        if kind == "grid" and isinstance(text, Mapping):
            return tuple(
                sorted(
                    (_to_int(key, f"Le paramètre « {name} »"), round_cents(_to_decimal(v, name)))
                    for key, v in text.items()
                )
            )
    except (TypeError, ValueError) as error:
        if isinstance(error, RuleViolation):
            raise
        raise RuleViolation(f"Le paramètre « {name} » n'est pas valide : « {text} ».") from None
    raise RuleViolation(f"Le paramètre « {name} » n'est pas valide : « {text} ».")


def format_parameter(value) -> object:
    """Return ``value`` in its stored form: text, or ``{"months": "amount"}`` for a grid."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return {str(key): str(amount) for key, amount in value}
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def scheme_parameter_defaults(scheme: str) -> dict[str, dict[str, object]]:
    """Return ``{name: {"value": ..., "source": ...}}`` for every figure of ``scheme``."""
    defaults = SchemeParameters()
    return {
        f.name: {
            "value": format_parameter(getattr(defaults, f.name)),
            "source": f.metadata["source"],
        }
        for f in fields(SchemeParameters)
        if f.metadata.get("scheme") == scheme
    }


_ARS_SHARE_PARAMETER = {
    SchemeCode.CLACT: "clact_fir_share",
    SchemeCode.PET: "pet_ars_share",
    SchemeCode.ASTP: "astp_ars_share",
    SchemeCode.PECH: "pech_ars_share",
}


def ars_share(scheme: str, params: "SchemeParameters | None" = None) -> Decimal | None:
    """Return the share of a line the ARS funds through the FIR, or ``None`` if no source says.

    CLACT: at most 50 % (seeds/001); PET, ASTP and PECH: 100 % (seeds/004). IPA, CAE and
    tutoring: the seeds give amounts, not a share.
    """
    name = _ARS_SHARE_PARAMETER.get(scheme)
    return getattr(params or DEFAULT_PARAMETERS, name) if name else None


DEFAULT_PARAMETERS = SchemeParameters()

_IPA_SOURCE = "appel à candidatures IPA 2025"
_CLACT_SOURCE = "cahier des charges CLACT 2024"
_PET_SOURCE = "arrêté du 14 mars 2017 modifié"
_ASTP_SOURCE = "plan d'attractivité médicale de l'ARS Grand Est"
_PET_SEED_SOURCE = "plan d'attractivité médicale de l'ARS Grand Est"
_PECH_SOURCE = "arrêté du 14 mars 2017"
_CAE_SOURCE = "appel à candidatures CAE 2025"
_TUTORING_SOURCE = "instruction n° DGOS/RH1/2016/330 du 4 novembre 2016"
_IPA_INTERNSHIP_SOURCE = "plan régional Pays de la Loire"


class RuleViolation(ValueError):
    """A scheme rule is broken; ``errors`` lists every problem, in French."""

    def __init__(self, errors: str | Iterable[str]):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


def _to_decimal(value: object, label: str) -> Decimal:
    """Return ``value`` as a finite ``Decimal``; refuse floats, which cannot hold cents."""
    if isinstance(value, float):
        raise TypeError(f"{label} ne peut pas être un nombre flottant : utilisez Decimal.")
    if isinstance(value, bool):
        raise TypeError(f"{label} doit être un nombre, pas un booléen.")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise RuleViolation(f"{label} n'est pas un nombre valide : « {value} ».") from None
    else:
        raise TypeError(f"{label} doit être un Decimal, pas {type(value).__name__}.")
    if not number.is_finite():
        raise RuleViolation(f"{label} n'est pas un nombre fini.")
    return number


def _to_int(value: object, label: str) -> int:
    """Return ``value`` as a whole number: an ``int`` or its text (from a form or a file).

    Text that is not a whole number is the user's mistake (``RuleViolation``); a float, a
    bool or another type is the caller's (``TypeError``).
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        raise RuleViolation(f"{label} doit être un nombre entier (reçu : « {value} »).")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{label} doit être un nombre entier.")
    return value


def _format_number(value: Decimal) -> str:
    """Return ``value`` with a French decimal comma and no trailing zeros, e.g. ``19,9``."""
    return number_format(value.normalize())


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """Return ``day`` moved by ``months``, clamped to the month's last day (29 Feb -> 28 Feb)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _collect(errors: list[str], check: Callable[..., None], *args, **kwargs) -> None:
    """Run ``check`` and append its problems to ``errors`` instead of stopping."""
    try:
        check(*args, **kwargs)
    except RuleViolation as violation:
        errors.extend(violation.errors)


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


@dataclass(frozen=True, kw_only=True)
class ClactAction:
    """One action of a CLACT dossier (seeds/001: "1 achat de verticalisateur = 1 action")."""

    label: str
    cost: Decimal
    ars_amount: Decimal
    has_quote: bool
    exclusions: frozenset[ClactExclusion] = frozenset()


def clact_fir_subsidy(
    project_cost: Decimal, params: SchemeParameters = DEFAULT_PARAMETERS
) -> Decimal:
    """Return the largest FIR subsidy for a CLACT project: cost × FIR share, rounded down.

    seeds/001: the ARS pays « à hauteur de 50 % » and the establishment co-finances « à
    hauteur de 50% au minimum »: rounding down keeps the establishment's share at least
    half (100.01 € -> ARS 50.00 €, establishment 50.01 €).
    """
    cost = _to_decimal(project_cost, "Le coût du projet CLACT")
    if cost <= ZERO:
        raise RuleViolation(
            f"Le coût du projet CLACT doit être positif (reçu : {format_euros(cost)})."
        )
    return (cost * params.clact_fir_share).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def clact_consumption_deadline(
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> datetime.date:
    """Return the last day on which the campaign's CLACT credits may be consumed."""
    return params.clact_consumption_deadline


def clact_start_deadline(
    agreed_on: datetime.date, params: SchemeParameters = DEFAULT_PARAMETERS
) -> datetime.date:
    """Return the last day on which a funded CLACT action may start.

    seeds/001: projects « débutant dans l'année suivant l'accord de financement ». The
    deadline is the same day a year later; an agreement of 29 Feb gets 28 Feb. (The « 24
    mois » of seeds/001 is a selection priority on *completion*, not a start deadline.)
    """
    return _add_months(agreed_on, params.clact_start_within_months)


def check_clact_start(
    *,
    agreed_on: datetime.date,
    starts_on: datetime.date,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise ``RuleViolation`` when a CLACT action starts after the year following agreement."""
    deadline = clact_start_deadline(agreed_on, params)
    if starts_on > deadline:
        raise RuleViolation(
            _(
                "L'action CLACT débute le %(start)s, après le %(deadline)s : les projets "
                "doivent débuter dans l'année suivant l'accord de financement (%(source)s)."
            )
            % {
                "start": f"{starts_on:%d/%m/%Y}",
                "deadline": f"{deadline:%d/%m/%Y}",
                "source": _CLACT_SOURCE,
            }
        )


def _percent(share: Decimal) -> str:
    """Return ``share`` as a French percentage, e.g. ``50 %``."""
    return f"{_format_number(share * 100)} %"


def _check_clact_action(number: int, action: ClactAction, params: SchemeParameters) -> list[str]:
    """Return the problems of one CLACT action (empty when it complies)."""
    errors: list[str] = []
    name = f"Action {number} « {action.label} »"
    cost = _to_decimal(action.cost, f"Le coût de l'action {number}")
    ars_amount = _to_decimal(action.ars_amount, f"Le montant ARS de l'action {number}")
    if not action.has_quote:
        errors.append(f"{name} : le devis est manquant ; un devis par action est obligatoire.")
    for exclusion in sorted(action.exclusions):
        errors.append(
            f"{name} : dépense exclue du CLACT ({ClactExclusion(exclusion).label.lower()})."
        )
    if cost <= ZERO:
        errors.append(f"{name} : le coût doit être positif (reçu : {format_euros(cost)}).")
    elif ars_amount > clact_fir_subsidy(cost, params):
        errors.append(
            f"{name} : la part ARS de {format_euros(ars_amount)} dépasse "
            f"{_percent(params.clact_fir_share)} du coût de {format_euros(cost)} "
            f"(maximum {format_euros(clact_fir_subsidy(cost, params))})."
        )
    if ars_amount < ZERO:
        errors.append(f"{name} : la part ARS ne peut pas être négative.")
    return errors


def check_clact_dossier(
    *,
    actions: Sequence[ClactAction],
    provided_documents: set[str],
    submitted_on: datetime.date,
    deadline: datetime.date,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise one ``RuleViolation`` listing every reason the CLACT dossier cannot be instructed.

    seeds/001: late or with more than 5 actions, the dossier is inadmissible; incomplete, it
    is rejected; each action needs a quote, stays out of the excluded expenses and asks the
    ARS for at most 50 % of its cost.
    """
    errors: list[str] = []
    if submitted_on > deadline:
        errors.append(
            f"Le dossier a été déposé le {submitted_on:%d/%m/%Y}, après la date limite du "
            f"{deadline:%d/%m/%Y} : il est irrecevable ({_CLACT_SOURCE})."
        )
    if len(actions) > params.clact_max_actions:
        errors.append(
            f"Le dossier comporte {len(actions)} actions : au-delà de "
            f"{params.clact_max_actions} actions, le dossier est irrecevable ({_CLACT_SOURCE})."
        )
    if not actions:
        errors.append("Le dossier ne comporte aucune action.")
    missing = [document.label for document in ClactDocument if document not in provided_documents]
    if missing:
        errors.append(
            "Le dossier est incomplet et sera rejeté ; pièces manquantes : "
            + " ; ".join(missing)
            + f" ({_CLACT_SOURCE})."
        )
    for number, action in enumerate(actions, start=1):
        errors.extend(_check_clact_action(number, action, params))
    if errors:
        raise RuleViolation(errors)


def pet_monthly_amount(
    half_days_per_week: Decimal,
    other_sites: int,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> Decimal:
    """Return the monthly PET for an average of weekly half-days outside the main site.

    Grid (arrêté of 14 March 2017 as amended, annex XVI): 1 half-day -> 250; more than 1 up
    to 3 included -> 450; more than 3 up to 4 included -> 700; 4 half-days on at least 2
    sites other than the main one, or more than 4 -> 1,000. seeds/004 says the bonus starts
    at "une demi-journée", so an average below one half-day earns nothing (zero, not an
    error): the practitioner is simply not eligible.
    """
    half_days = _to_decimal(half_days_per_week, "Le nombre moyen de demi-journées")
    other_sites = _to_int(other_sites, "Le nombre de sites d'exercice")
    if half_days < 0:
        raise RuleViolation(
            "Le nombre moyen hebdomadaire de demi-journées ne peut pas être négatif "
            f"(reçu : {_format_number(half_days)})."
        )
    if other_sites < 0 or (half_days > 0 and other_sites < 1):
        raise RuleViolation(
            "Une prime d'exercice territorial suppose au moins un site d'exercice autre que "
            f"le site principal (reçu : {other_sites})."
        )
    if half_days < params.pet_min_half_days:
        return ZERO
    if half_days == params.pet_min_half_days:
        return round_cents(params.pet_base_amount)
    if half_days <= params.pet_middle_max_half_days:
        return round_cents(params.pet_middle_amount)
    if half_days < params.pet_high_max_half_days or (
        half_days == params.pet_high_max_half_days and other_sites < params.pet_top_min_other_sites
    ):
        return round_cents(params.pet_high_amount)
    return round_cents(params.pet_top_amount)


def check_pet_site_distance(
    distance_km: Decimal,
    derogation: PetDerogation | None = None,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise ``RuleViolation`` when the host site is too close without a derogation.

    seeds/004: the host site is at least 20 km from the main site, unless the ARS director
    grants a derogation (mental health, prison health units, radiology, others case by case).
    """
    distance = _to_decimal(distance_km, "La distance entre les sites")
    if distance < 0:
        raise RuleViolation("La distance entre les sites ne peut pas être négative.")
    if derogation is not None and derogation not in PetDerogation.values:
        raise RuleViolation(f"« {derogation} » n'est pas une dérogation PET reconnue.")
    if distance < params.pet_min_distance_km and derogation is None:
        raise RuleViolation(
            f"Le site d'accueil est à {_format_number(distance)} km du site principal, moins "
            f"que les {_format_number(params.pet_min_distance_km)} km requis pour la prime "
            "d'exercice territorial, sans dérogation du directeur général de l'ARS "
            f"({_PET_SOURCE})."
        )


def check_pet_eligibility(
    *, is_public_hospital_practitioner: bool = True, has_tripartite_convention: bool = True
) -> None:
    """Raise ``RuleViolation`` when the practitioner cannot receive the PET.

    seeds/004: the PET « s'adresse aux praticiens et assistants dans les hôpitaux publics »
    under « une convention tripartite conclue entre l'établissement d'origine,
    l'établissement d'accueil et le praticien ».
    """
    errors: list[str] = []
    if not is_public_hospital_practitioner:
        errors.append(
            _(
                "La prime d'exercice territorial s'adresse aux praticiens et assistants des "
                "hôpitaux publics (%(source)s)."
            )
            % {"source": _PET_SEED_SOURCE}
        )
    if not has_tripartite_convention:
        errors.append(
            _(
                "La prime d'exercice territorial exige une convention tripartite entre "
                "l'établissement d'origine, l'établissement d'accueil et le praticien "
                "(%(source)s)."
            )
            % {"source": _PET_SEED_SOURCE}
        )
    if errors:
        raise RuleViolation(errors)


def astp_convention_period(
    start: datetime.date, params: SchemeParameters = DEFAULT_PARAMETERS
) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day (inclusive) of an ASTP convention starting on ``start``.

    The end is the day before the anniversary, e.g. 2025-11-01 -> 2027-10-31. A convention
    starting on 29 Feb has its anniversary on 1 March of a common year, so it ends on
    28 Feb and lasts the full two years.
    """
    year = start.year + params.astp_duration_years
    if start.month == 2 and start.day == 29 and not calendar.isleap(year):
        anniversary = datetime.date(year, 3, 1)
    else:
        anniversary = start.replace(year=year)
    return start, anniversary - datetime.timedelta(days=1)


def astp_campaign_period(
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> tuple[datetime.date, datetime.date]:
    """Return the convention period of the campaign's ASTP, from its stored first day.

    No seed gives the first day of a campaign: until a campaign stores it, there is none.
    """
    if params.astp_campaign_start is None:
        raise RuleViolation(
            _("La date de début de la campagne ASTP n'est pas paramétrée pour cette campagne.")
        )
    return astp_convention_period(params.astp_campaign_start, params)


def astp_funding(
    years: int | None = None, params: SchemeParameters = DEFAULT_PARAMETERS
) -> Decimal | None:
    """Return the salary funding of one ASTP for ``years`` years (default: whole convention).

    seeds/004: the ARS funds 100 % of the salary « sur la base d'un coût moyen » set by
    each campaign (the PET the assistant earns comes on top); ``None`` while the campaign
    has not stored that average cost: no ceiling applies then.
    """
    years = params.astp_duration_years if years is None else _to_int(years, "La durée ASTP")
    if not 1 <= years <= params.astp_duration_years:
        raise RuleViolation(
            f"Une convention ASTP dure {params.astp_duration_years} ans : la durée financée "
            f"doit être comprise entre 1 et {params.astp_duration_years} ans (reçu : {years})."
        )
    if params.astp_average_yearly_cost is None:
        return None
    return round_cents(params.astp_average_yearly_cost * years)


def check_astp_sites(site_count: int, params: SchemeParameters = DEFAULT_PARAMETERS) -> None:
    """Raise ``RuleViolation`` unless the ASTP post is shared between enough sites."""
    site_count = _to_int(site_count, "Le nombre de sites ASTP")
    if site_count < params.astp_min_sites:
        raise RuleViolation(
            f"Un poste d'assistant spécialiste à temps partagé doit être partagé entre au moins "
            f"{params.astp_min_sites} sites (reçu : {site_count}) ({_ASTP_SOURCE})."
        )


def pech_amount(
    *,
    locally_scarce: bool,
    nationally_scarce: bool,
    working_time_ratio: Decimal = Decimal(1),
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> Decimal:
    """Return the PECH due to a practitioner, pro rata of the working time, to the cent.

    Arrêté of 14 March 2017: 20,000 for a specialty locally scarce in the establishment,
    10,000 for a specialty nationally scarce (anaesthesia, psychiatry, radiology since
    January 2024), both cumulative up to 30,000; part-time practitioners get a pro rata.
    """
    ratio = _to_decimal(working_time_ratio, "La quotité de travail")
    if not ZERO < ratio <= 1:
        raise RuleViolation(
            "La quotité de travail doit être comprise entre 0 (exclu) et 1 "
            f"(reçu : {_format_number(ratio)})."
        )
    full_time = ZERO
    if locally_scarce:
        full_time += params.pech_locally_scarce_amount
    if nationally_scarce:
        full_time += params.pech_nationally_scarce_amount
    if full_time == ZERO:
        raise RuleViolation(
            "La prime d'engagement de carrière hospitalière ne concerne que les spécialités en "
            f"tension, au niveau de l'établissement ou au niveau national ({_PECH_SOURCE})."
        )
    return round_cents(min(full_time, params.pech_cap) * ratio)


def pech_instalments(amount: Decimal) -> tuple[Decimal, Decimal]:
    """Return the two PECH instalments (at signature, at appointment as PH).

    Arrêté of 14 March 2017, article 6: two payments of half the amount each; an odd cent
    goes to the first so that they add up exactly to ``amount``.
    """
    amount = _to_decimal(amount, "Le montant de la PECH")
    if amount <= ZERO:
        raise RuleViolation(
            f"Le montant de la PECH doit être positif (reçu : {format_euros(amount)})."
        )
    at_signature, at_appointment = (round_cents(part) for part in split_evenly(amount, 2))
    return at_signature, at_appointment


def pech_due_amount(
    amount: Decimal, details: Mapping[str, object], today: datetime.date
) -> Decimal:
    """Return how much of a PECH line of ``amount`` its instalments make payable by ``today``.

    seeds/004 « Elle est versée en 2 fois : à la signature de la convention, puis après la
    réussite au concours et la prise de poste »: the first instalment once the contract is in
    force, the second once the line's ``appointment_date`` (prise de poste as PH) is reached.
    """
    if amount <= ZERO:
        return ZERO
    at_signature, _at_appointment = pech_instalments(amount)
    appointment = details.get("appointment_date")
    if appointment:
        if isinstance(appointment, str):
            try:
                appointment = datetime.date.fromisoformat(appointment)
            except ValueError:
                return at_signature
        if isinstance(appointment, datetime.date) and appointment <= today:
            return amount
    return at_signature


def cae_commitment_months(funded_months: int, params: SchemeParameters = DEFAULT_PARAMETERS) -> int:
    """Return how many months the student commits to work for ``funded_months`` of allowance."""
    funded_months = _to_int(funded_months, "La durée financée")
    if funded_months < 1:
        raise RuleViolation(
            f"La durée financée d'un CAE doit être d'au moins un mois (reçu : {funded_months})."
        )
    return funded_months * params.cae_commitment_multiplier


def check_cae_yearly_amount(amount: Decimal, params: SchemeParameters = DEFAULT_PARAMETERS) -> None:
    """Raise ``RuleViolation`` unless the yearly allowance is positive and within the ceiling.

    seeds/000 gives no amount: the ceiling applies only once a campaign stores one.
    """
    amount = _to_decimal(amount, "Le montant annuel du CAE")
    if amount <= ZERO:
        raise RuleViolation(
            _("Le montant annuel du CAE doit être positif (reçu : %(amount)s).")
            % {"amount": format_euros(amount)}
        )
    ceiling = params.cae_max_yearly_amount
    if ceiling is not None and amount > ceiling:
        raise RuleViolation(
            _(
                "Le montant annuel du CAE de %(amount)s dépasse le plafond de la campagne (%(ceiling)s)."
            )
            % {"amount": format_euros(amount), "ceiling": format_euros(ceiling)}
        )


def check_cae_eligibility(
    *,
    profession: str,
    study_year: int,
    is_apprentice: bool = False,
    in_continuing_training: bool = False,
    has_similar_contract: bool = False,
    has_regional_grant: bool = False,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise one ``RuleViolation`` listing every reason the student cannot sign a CAE."""
    errors: list[str] = []
    study_year = _to_int(study_year, "L'année d'études")
    eligible_years = dict(params.cae_eligible_years)
    if profession not in eligible_years:
        errors.append(f"La profession « {profession} » n'est pas éligible au CAE ({_CAE_SOURCE}).")
    else:
        years = eligible_years[profession]
        label = (
            CaeProfession(profession).label if profession in CaeProfession.values else profession
        )
        if study_year < 1:
            errors.append(f"L'année d'études doit être d'au moins 1 (reçu : {study_year}).")
        elif years is not None and study_year not in years:
            listed = " et ".join(f"{year}e" for year in sorted(years))
            errors.append(
                f"Profession {label} : seules les {listed} années d'études sont éligibles au "
                f"CAE (reçu : {study_year}e année) ({_CAE_SOURCE})."
            )
    if is_apprentice:
        errors.append("Les étudiants en apprentissage ne sont pas éligibles au CAE.")
    if in_continuing_training:
        errors.append("Les salariés en formation continue ne sont pas éligibles au CAE.")
    if has_similar_contract:
        errors.append(
            "Les étudiants déjà engagés dans un contrat similaire ou un pré-recrutement ne sont "
            "pas éligibles au CAE."
        )
    if has_regional_grant:
        errors.append("Le CAE n'est pas cumulable avec une bourse régionale.")
    if errors:
        raise RuleViolation(errors)


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


def _check_at_most(errors: list[str], amount: Decimal, ceiling: Decimal, what: str) -> None:
    if amount > ceiling:
        errors.append(
            f"Le montant de la ligne ({format_euros(amount)}) dépasse {what} "
            f"({format_euros(ceiling)})."
        )


def _validate_ipa_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    students = _to_int(details.get("students", 1), "Le nombre d'étudiants IPA")
    try:
        ceiling = ipa_max_amount(students, params)
    except RuleViolation as violation:
        return violation.errors
    if amount > ceiling:
        errors.append(
            f"Le montant IPA de {format_euros(amount)} dépasse le plafond de "
            f"{format_euros(params.ipa_cap_per_student)} par étudiant, soit "
            f"{format_euros(ceiling)} pour {students} étudiant(s) ({_IPA_SOURCE})."
        )
    if "beneficiary_kind" in details:
        _collect(
            errors,
            check_ipa_beneficiary,
            details["beneficiary_kind"],
            bool(details.get("has_doctors_commitment", False)),
        )
    return errors


def _validate_clact_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    if "agreement_date" in details and "start_date" in details:
        try:
            agreed_on = datetime.date.fromisoformat(str(details["agreement_date"]))
            starts_on = datetime.date.fromisoformat(str(details["start_date"]))
        except ValueError:
            errors.append(_("Les dates d'accord et de début doivent être au format AAAA-MM-JJ."))
        else:
            _collect(
                errors, check_clact_start, agreed_on=agreed_on, starts_on=starts_on, params=params
            )
    if "actions" in details:
        actions = details["actions"]
        count = (
            len(actions) if isinstance(actions, Sized) else _to_int(actions, "Le nombre d'actions")
        )
        if count > params.clact_max_actions:
            errors.append(
                f"Le dossier comporte {count} actions : au-delà de {params.clact_max_actions} "
                f"actions, le dossier est irrecevable ({_CLACT_SOURCE})."
            )
    if "project_cost" in details:
        try:
            subsidy = clact_fir_subsidy(details["project_cost"], params)
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            _check_at_most(
                errors,
                amount,
                subsidy,
                f"la part FIR de {_percent(params.clact_fir_share)} du coût du projet",
            )
    return errors


def _validate_pet_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    if "half_days" in details:
        months = _to_int(details.get("months", 1), "Le nombre de mois")
        try:
            monthly = pet_monthly_amount(
                details["half_days"], details.get("other_sites", 1), params
            )
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            if monthly == ZERO:
                errors.append(
                    "En dessous d'une demi-journée hebdomadaire en moyenne hors du site "
                    f"principal, la prime d'exercice territorial n'est pas due ({_PET_SOURCE})."
                )
            else:
                _check_at_most(
                    errors,
                    amount,
                    round_cents(monthly * months),
                    f"la grille de la prime d'exercice territorial pour {months} mois",
                )
    if "distance_km" in details:
        _collect(
            errors,
            check_pet_site_distance,
            details["distance_km"],
            details.get("derogation"),
            params,
        )
    if "tripartite_convention" in details or "public_hospital_practitioner" in details:
        _collect(
            errors,
            check_pet_eligibility,
            is_public_hospital_practitioner=bool(details.get("public_hospital_practitioner", True)),
            has_tripartite_convention=bool(details.get("tripartite_convention", True)),
        )
    return errors


def _validate_astp_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    assistants = _to_int(details.get("assistants", 1), "Le nombre d'assistants")
    try:
        salary = astp_funding(details.get("years"), params)
        years = _to_int(details.get("years", params.astp_duration_years), "La durée ASTP")
        pet = ZERO
        if "pet_half_days" in details:
            # seeds/004: the ARS also funds 100 % of the PET the assistant earns.
            months = _to_int(details.get("pet_months", years * 12), "Le nombre de mois de PET")
            pet = (
                pet_monthly_amount(
                    details["pet_half_days"], details.get("pet_other_sites", 1), params
                )
                * months
            )
    except RuleViolation as violation:
        errors.extend(violation.errors)
    else:
        if salary is not None:
            _check_at_most(
                errors,
                amount,
                round_cents((salary + pet) * assistants),
                _("le financement ASTP (coût moyen de la campagne et PET)"),
            )
    if "sites" in details:
        _collect(errors, check_astp_sites, details["sites"], params)
    return errors


def _validate_pech_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    practitioners = _to_int(details.get("practitioners", 1), "Le nombre de praticiens")
    ceiling = params.pech_cap * practitioners
    if "locally_scarce" in details or "nationally_scarce" in details:
        try:
            ceiling = practitioners * pech_amount(
                locally_scarce=bool(details.get("locally_scarce", False)),
                nationally_scarce=bool(details.get("nationally_scarce", False)),
                working_time_ratio=details.get("working_time_ratio", Decimal(1)),
                params=params,
            )
        except RuleViolation as violation:
            return violation.errors
    _check_at_most(errors, amount, round_cents(ceiling), "la prime d'engagement plafonnée")
    return errors


def _validate_cae_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    students = _to_int(details.get("students", 1), "Le nombre d'étudiants")
    years = _to_int(details.get("years", 1), "Le nombre d'années")
    allowances = students * years
    if allowances < 1:
        return ["Le nombre d'étudiants et d'années financées doit être d'au moins 1."]
    errors: list[str] = []
    _collect(errors, check_cae_yearly_amount, round_cents(amount / allowances), params)
    if "funded_months" in details and "commitment_months" in details:
        try:
            required = cae_commitment_months(details["funded_months"], params)
            committed = _to_int(details["commitment_months"], "La durée d'engagement")
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            if committed < required:
                errors.append(
                    _(
                        "L'étudiant doit s'engager à travailler %(required)s mois, le double de "
                        "la durée financée (reçu : %(committed)s mois) (%(source)s)."
                    )
                    % {"required": required, "committed": committed, "source": _CAE_SOURCE}
                )
    if "profession" in details:
        _collect(
            errors,
            check_cae_eligibility,
            profession=details["profession"],
            study_year=details.get("study_year", 1),
            params=params,
        )
    return errors


def _validate_tutoring_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    if "internship_months" in details:
        teams = _to_int(details.get("teams", 1), "Le nombre d'équipes")
        try:
            support = ipa_internship_support(details["internship_months"], params)
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            _check_at_most(
                errors,
                amount,
                round_cents(support * teams),
                "l'aide à l'accueil de stagiaires IPA",
            )
    if "training_days" in details or "training_hours" in details:
        _collect(
            errors,
            check_tutor_training,
            details.get("training_days", 0),
            details.get("training_hours", 0),
            params,
        )
    return errors


# The details a line of each scheme must carry for its rules to be checked at all.
REQUIRED_DETAILS: dict[str, tuple[tuple[str, str], ...]] = {
    SchemeCode.IPA: (("students", "nombre d'étudiants"),),
    SchemeCode.CLACT: (
        ("actions", "nombre d'actions"),
        ("project_cost", "coût total du projet"),
    ),
    SchemeCode.PET: (
        ("half_days", "nombre moyen de demi-journées hebdomadaires hors site principal"),
        ("months", "nombre de mois"),
        ("distance_km", "distance entre les sites (km)"),
    ),
    SchemeCode.ASTP: (
        ("years", "durée financée (années)"),
        ("sites", "nombre de sites"),
    ),
    SchemeCode.PECH: (("practitioners", "nombre de praticiens"),),
    SchemeCode.CAE: (("students", "nombre d'étudiants"), ("years", "nombre d'années")),
}


def missing_details(scheme: str, details: Mapping[str, object]) -> list[str]:
    """Return a French message for each detail ``scheme`` requires that ``details`` lacks."""
    return [
        _("Dispositif %(scheme)s : le détail « %(key)s » (%(description)s) est obligatoire.")
        % {"scheme": scheme, "key": key, "description": _(description)}
        for key, description in REQUIRED_DETAILS.get(scheme, ())
        if details.get(key) in (None, "")
    ]


_LINE_VALIDATORS = {
    SchemeCode.IPA: _validate_ipa_line,
    SchemeCode.CLACT: _validate_clact_line,
    SchemeCode.PET: _validate_pet_line,
    SchemeCode.ASTP: _validate_astp_line,
    SchemeCode.PECH: _validate_pech_line,
    SchemeCode.CAE: _validate_cae_line,
    SchemeCode.TUTORING: _validate_tutoring_line,
}


def validate_funding_line(
    *,
    scheme: str,
    amount: Decimal,
    details: Mapping[str, object] | None = None,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise one ``RuleViolation`` listing every scheme rule a funding line breaks.

    ``amount`` must be positive for every scheme, and the details of ``REQUIRED_DETAILS``
    present. The ``details`` keys read, per scheme (any other key is ignored; counts are
    ``int``, figures ``Decimal``, ``int`` or ``str``, dates ISO text):

    - IPA: ``students``: amount <= cap per student × students; ``beneficiary_kind`` and
      ``has_doctors_commitment``: beneficiary eligibility.
    - CLACT: ``actions`` (a count or a sequence): at most 5; ``project_cost``: amount <=
      50 % of it, rounded down; ``agreement_date`` and ``start_date``: start within the
      year following the funding agreement.
    - PET: ``half_days``, ``other_sites`` (default 1) and ``months``: amount <= grid amount
      × months; ``distance_km`` and ``derogation``: the 20 km rule;
      ``tripartite_convention`` / ``public_hospital_practitioner``: eligibility.
    - ASTP: ``years``, ``assistants`` (default 1) and ``sites`` (at least 2); once the
      campaign stores an average cost, amount <= (average cost × years + the PET given by
      ``pet_half_days``, ``pet_other_sites``, ``pet_months``) × assistants.
    - PECH: ``practitioners``: amount <= cap × practitioners; when ``locally_scarce`` or
      ``nationally_scarce`` is given (with ``working_time_ratio``, default 1), amount <= the
      computed PECH × practitioners.
    - CAE: ``students`` and ``years``: amount positive and, once the campaign stores a
      ceiling, within it × students × years; ``funded_months`` and ``commitment_months``:
      twice the funded duration; ``profession`` and ``study_year``: eligibility.
    - TUTORING: ``internship_months`` and ``teams`` (default 1): amount <= IPA internship
      support × teams; ``training_days`` / ``training_hours``: tutor training length.
    - OTHER: no scheme rule beyond a positive amount.
    """
    if scheme not in SchemeCode.values:
        raise RuleViolation(f"« {scheme} » n'est pas un dispositif connu.")
    amount = _to_decimal(amount, "Le montant de la ligne")
    if amount <= ZERO:
        raise RuleViolation(
            f"Le montant d'une ligne de financement doit être positif "
            f"(reçu : {format_euros(amount)})."
        )
    details = details or {}
    errors = missing_details(scheme, details)
    if errors:
        raise RuleViolation(errors)
    validator = _LINE_VALIDATORS.get(SchemeCode(scheme))
    errors = validator(amount, details, params) if validator else []
    if errors:
        raise RuleViolation(errors)
