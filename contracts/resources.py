"""The columns of a contract's funding lines and milestones in CSV and XLSX files.

One resource per kind of row; the same column names are read back by ``contracts.imports``.
Every exported cell goes through ``audit.spreadsheet.neutralise_cell`` so that no
spreadsheet runs it as a formula; ``restore_cell`` undoes it on import.
"""

import json
from collections.abc import Iterable

import tablib
from django.db.models import QuerySet
from import_export import resources
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX

from audit.spreadsheet import neutralise_cell, neutralise_dataset, restore_cell

from .models import Contract, FundingLine, Milestone

__all__ = ["neutralise_cell", "neutralise_dataset", "restore_cell"]

FILE_FORMATS = {"csv": CSV, "xlsx": XLSX}

AXIS_COLUMN = "axe"
LINE_COLUMNS = [
    "axe",
    "code",
    "dispositif",
    "libelle",
    "beneficiaire",
    "parametres",
    "date_limite_consommation",
]
AMOUNT_COLUMN_PREFIX = "montant_"
MILESTONE_COLUMNS = [
    "axe",
    "intitule",
    "echeance",
    "indicateur",
    "unite",
    "valeur_reference",
    "cible",
]
# Exported for reading; ignored on import (they change through the milestone review).
MILESTONE_READ_ONLY_COLUMNS = ["valeur_atteinte", "statut"]


def amount_column(year: int) -> str:
    return f"{AMOUNT_COLUMN_PREFIX}{year}"


def beneficiary_key(establishment) -> str:
    """Return how a file names an establishment: its FINESS number, else its name."""
    return establishment.finess or establishment.name


def _text(value) -> str:
    return "" if value is None else str(value)


class _OrderedResource(resources.Resource):
    """A resource whose columns are exported in the order its fields were added."""

    def get_export_order(self):
        return tuple(self.fields)


class FundingLineResource(_OrderedResource):
    """A contract's funding lines, one row each, with one amount column per year."""

    axe = Field(column_name="axe", dehydrate_method=lambda line: line.axis.number)
    code = Field(column_name="code", dehydrate_method=lambda line: line.code)
    dispositif = Field(column_name="dispositif", dehydrate_method=lambda line: line.scheme)
    libelle = Field(column_name="libelle", dehydrate_method=lambda line: line.label)
    beneficiaire = Field(
        column_name="beneficiaire", dehydrate_method=lambda line: beneficiary_key(line.beneficiary)
    )
    parametres = Field(
        column_name="parametres",
        dehydrate_method=lambda line: (
            json.dumps(line.details, sort_keys=True, ensure_ascii=False) if line.details else ""
        ),
    )
    date_limite_consommation = Field(
        column_name="date_limite_consommation",
        dehydrate_method=lambda line: (
            line.consumption_deadline_date.isoformat() if line.consumption_deadline_date else ""
        ),
    )

    def __init__(self, *, years: Iterable[int]):
        super().__init__()
        for year in years:
            self.fields[amount_column(year)] = Field(
                column_name=amount_column(year),
                dehydrate_method=lambda line, year=year: _text(
                    next(
                        (a.allocated_amount for a in line.allocations.all() if a.year == year), None
                    )
                ),
            )


class MilestoneResource(_OrderedResource):
    """A contract's milestones, one row each."""

    axe = Field(column_name="axe", dehydrate_method=lambda m: m.axis.number)
    intitule = Field(column_name="intitule", dehydrate_method=lambda m: m.title)
    echeance = Field(column_name="echeance", dehydrate_method=lambda m: m.due_date.isoformat())
    indicateur = Field(column_name="indicateur", dehydrate_method=lambda m: m.indicator_label)
    unite = Field(column_name="unite", dehydrate_method=lambda m: m.indicator_unit)
    valeur_reference = Field(
        column_name="valeur_reference", dehydrate_method=lambda m: _text(m.baseline_value)
    )
    cible = Field(column_name="cible", dehydrate_method=lambda m: _text(m.target_value))
    valeur_atteinte = Field(
        column_name="valeur_atteinte", dehydrate_method=lambda m: _text(m.actual_value)
    )
    statut = Field(column_name="statut", dehydrate_method=lambda m: m.status)


def funding_lines_of(contract: Contract) -> QuerySet[FundingLine]:
    return (
        FundingLine.objects.filter(axis__contract=contract)
        .select_related("axis", "beneficiary")
        .prefetch_related("allocations")
        .order_by("axis__number", "code", "pk")
    )


def milestones_of(contract: Contract) -> QuerySet[Milestone]:
    return (
        Milestone.objects.filter(axis__contract=contract)
        .select_related("axis")
        .order_by("axis__number", "due_date", "pk")
    )


def contract_dataset(contract: Contract, kind: str) -> tablib.Dataset:
    """Return the rows of ``kind`` (``lines`` or ``milestones``) of ``contract``, neutralised."""
    if kind == "lines":
        dataset = FundingLineResource(years=contract.years).export(funding_lines_of(contract))
    elif kind == "milestones":
        dataset = MilestoneResource().export(milestones_of(contract))
    else:
        raise ValueError(f"Unknown kind of rows: {kind}")
    return neutralise_dataset(dataset)


def render_dataset(dataset: tablib.Dataset, file_format: str) -> bytes:
    """Return ``dataset`` as the bytes of a CSV (UTF-8 with BOM, for Excel) or XLSX file."""
    data = FILE_FORMATS[file_format]().export_data(dataset)
    if isinstance(data, str):
        return ("\ufeff" + data).encode("utf-8")
    return data
