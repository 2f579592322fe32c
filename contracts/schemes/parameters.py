"""Every figure of the rules, each with its source; the defaults carry only what a source gives."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from ..money import round_cents
from ._common import RuleViolation, _to_decimal, _to_int
from .codes import CaeProfession, SchemeCode


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
