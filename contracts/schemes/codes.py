"""The schemes and the coded values their rules speak of."""

from django.db import models


class SchemeCode(models.TextChoices):
    IPA = "IPA", "Formation d'infirmiers en pratique avancée (IPA)"
    CLACT = "CLACT", "Contrat local d'amélioration des conditions de travail (CLACT)"
    PET = "PET", "Prime d'exercice territorial (PET)"
    ASTP = "ASTP", "Assistant spécialiste à temps partagé (ASTP)"
    PECH = "PECH", "Prime d'engagement de carrière hospitalière (PECH)"
    CAE = "CAE", "Contrat d'allocation d'études (CAE)"
    TUTORING = "TUTORING", "Formation et tutorat"
    OTHER = "OTHER", "Mesure spécifique au contrat"


class PetDerogation(models.TextChoices):
    MENTAL_HEALTH = "MENTAL_HEALTH", "Établissement de santé mentale"
    PRISON_HEALTH = "PRISON_HEALTH", "Unité de soins aux détenus"
    RADIOLOGY = "RADIOLOGY", "Radiologues"
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
    CSE_OPINION = "CSE_OPINION", "Avis des instances (a minima le CSE)"
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
