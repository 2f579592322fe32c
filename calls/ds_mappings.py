"""Champ mappings of known DS forms: a campaign copies one into its ``ds_champ_mapping``.

``CLACT_2024_GRAND_EST`` is the form of démarche 91234 (CLACT 2024, ARS Grand Est, as in the
shared sample answer): champ stable id → one of ``calls.ds`` targets.
"""

CLACT_2024_GRAND_EST = {
    "4120002": "applicant_name",
    "4120003": "finess",
    "4120006": "headcount",
    "4120007": "medical_fte",
    "4120008": "non_medical_fte",
    "4120009": "beds_and_places",
    "4120010": "absenteeism_rate",
    "4120011": "turnover_rate",
    "4120021": "project_title",
    "4120024": "is_mutualised",
    "4120025": "partners",
    "4120026": "partner.siret",
    "4120027": "partner.finess",
    "4120028": "partner.name",
    "4120031": "actions",
    "4120032": "action.rank",
    "4120033": "action.axis",
    "4120034": "action.theme",
    "4120035": "action.label",
    "4120036": "action.cost_amount",
    "4120037": "action.ars_requested_amount",
    "4120038": "action.agents_concerned",
    "4120039": "action.quote",
    "4120042": "planned_start_date",
    "4120043": "planned_end_date",
    "4120051": "total_cost_amount",
    "4120052": "cofunding_amount",
    "4120053": "requested_amount",
    "4120061": "document:SIGNED_CONTRACT",
    "4120062": "document:CSE_OPINION",
    "4120063": "document:DUERP_AND_PREVENTION_PLAN",
    "4120064": "document:BANK_DETAILS",
    "4120065": "document:FINANCING_SUMMARY",
}

# The known forms a campaign can be bound to, by code: (label, mapping).
KNOWN_FORMS = {
    "CLACT_2024_GRAND_EST": (
        "CLACT 2024 – ARS Grand Est (démarche 91234)",
        CLACT_2024_GRAND_EST,
    ),
}
