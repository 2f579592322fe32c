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


# The column titles of the same champs in a DS XLSX/CSV export (their libellés in the
# form of démarche 91234): the manual fallback import reads columns by these titles.
CLACT_2024_GRAND_EST_TITLES = {
    "4120002": "Raison sociale",
    "4120003": "N° FINESS de l'établissement (ET)",
    "4120006": "Effectif total du personnel (personnes physiques)",
    "4120007": "Nombre d'ETP – personnel médical",
    "4120008": "Nombre d'ETP – personnel non médical",
    "4120009": "Nombre de lits et places",
    "4120010": "Taux d'absentéisme (%)",
    "4120011": "Taux de turn-over (%)",
    "4120021": "Intitulé du projet",
    "4120024": "Projet mutualisé entre plusieurs établissements (GHT ou partenariat) ?",
    "4120025": "Établissements partenaires (projet mutualisé)",
    "4120026": "SIRET de l'établissement partenaire",
    "4120027": "N° FINESS de l'établissement partenaire",
    "4120028": "Raison sociale de l'établissement partenaire",
    "4120031": "Actions du projet (5 actions au maximum)",
    "4120032": "Priorité de l'action (1 = la plus prioritaire)",
    "4120033": "Axe du cahier des charges",
    "4120034": "Thématique",
    "4120035": "Description de l'action",
    "4120036": "Coût total de l'action TTC (€)",
    "4120037": "Financement demandé à l'ARS pour cette action (€)",
    "4120038": "Nombre d'agents concernés",
    "4120039": "Devis",
    "4120042": "Date prévisionnelle de début de réalisation",
    "4120043": "Date prévisionnelle de fin de réalisation (au plus tard 24 mois après l'octroi)",
    "4120051": "Coût total du projet TTC (€)",
    "4120052": "Cofinancement apporté par l'établissement (€) – 50 % minimum",
    "4120053": "Montant de la subvention FIR demandée à l'ARS (€) – 50 % maximum",
    "4120061": "Contrat négocié et signé par le directeur et les organisations syndicales représentatives",
    "4120062": "Avis des instances (a minima avis du CSE)",
    "4120063": "Document unique d'évaluation des risques professionnels (DUERP) et plan de prévention actualisés",
    "4120064": "RIB de l'établissement",
    "4120065": "Fiche récapitulative du plan de financement par action",
}

# The known forms a campaign can be bound to, by code: (label, mapping).
KNOWN_FORMS = {
    "CLACT_2024_GRAND_EST": (
        "CLACT 2024 – ARS Grand Est (démarche 91234)",
        CLACT_2024_GRAND_EST,
    ),
}


def export_titles(mapping: dict) -> dict[str, str]:
    """Return the export column titles (stable id → title) of the known form ``mapping`` is."""
    if mapping == CLACT_2024_GRAND_EST:
        return CLACT_2024_GRAND_EST_TITLES
    return {}
