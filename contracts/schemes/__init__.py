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

from ._common import (  # noqa: F401
    _ASTP_SOURCE,
    _CAE_SOURCE,
    _CLACT_SOURCE,
    _IPA_INTERNSHIP_SOURCE,
    _IPA_SOURCE,
    _PECH_SOURCE,
    _PET_SEED_SOURCE,
    _PET_SOURCE,
    _TUTORING_SOURCE,
    RuleViolation,
    _add_months,
    _check_at_most,
    _collect,
    _format_number,
    _to_decimal,
    _to_int,
)
from .astp import (  # noqa: F401
    astp_campaign_period,
    astp_convention_period,
    astp_funding,
    check_astp_sites,
)
from .cae import (  # noqa: F401
    cae_commitment_months,
    cae_recovery_amount,
    check_cae_eligibility,
    check_cae_yearly_amount,
)
from .clact import (  # noqa: F401
    ClactAction,
    _check_clact_action,
    _percent,
    check_clact_dossier,
    check_clact_start,
    clact_consumption_deadline,
    clact_fir_subsidy,
    clact_start_deadline,
)
from .codes import (  # noqa: F401
    CaeProfession,
    ClactDocument,
    ClactExclusion,
    IpaBeneficiaryKind,
    PetDerogation,
    SchemeCode,
)
from .ipa import (  # noqa: F401
    _check_student_count,
    check_ipa_amount,
    check_ipa_beneficiary,
    ipa_internship_support,
    ipa_max_amount,
)
from .lines import (  # noqa: F401
    _LINE_VALIDATORS,
    REQUIRED_DETAILS,
    _validate_astp_line,
    _validate_cae_line,
    _validate_clact_line,
    _validate_ipa_line,
    _validate_pech_line,
    _validate_pet_line,
    _validate_tutoring_line,
    missing_details,
    validate_funding_line,
)
from .parameters import (  # noqa: F401
    _ARRETE_2017,
    _ARS_SHARE_PARAMETER,
    _DGOS_TUTORS,
    _SEED_000,
    _SEED_001,
    _SEED_002,
    _SEED_004,
    DEFAULT_PARAMETERS,
    SchemeParameters,
    _param,
    ars_share,
    format_parameter,
    parse_parameter,
    scheme_parameter_defaults,
)
from .pech import (  # noqa: F401
    pech_amount,
    pech_due_amount,
    pech_instalments,
)
from .pet import (  # noqa: F401
    check_pet_eligibility,
    check_pet_site_distance,
    pet_monthly_amount,
)
from .tutoring import (  # noqa: F401
    check_tutor_training,
)
