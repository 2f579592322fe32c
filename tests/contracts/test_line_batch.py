"""A file of lines is checked against the envelope once, then with a running total.

The contract of ``conftest`` has 180,000 € allocated of a 300,000 € envelope (2025-2027).
"""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from contracts import services
from contracts.exceptions import BusinessRuleError
from contracts.imports import RowStatus, import_contract_file
from contracts.models import YearlyAllocation

from .factories import ContractFactory

pytestmark = pytest.mark.django_db

D = Decimal


def lines_csv(contract, amounts: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        ["axe", "code", "dispositif", "libelle", "beneficiaire", "parametres",
         "date_limite_consommation", "montant_2025"]
    )  # fmt: skip
    for index, amount in enumerate(amounts, start=1):
        writer.writerow(
            ["1", f"1.{index + 10}", "OTHER", f"Mesure {index}",
             contract.carrier_establishment.finess, "", "", amount]
        )  # fmt: skip
    return buffer.getvalue().encode("utf-8")


def run(contract, user, content, *, dry_run=False):
    return import_contract_file(
        actor=user,
        contract=contract,
        kind="lines",
        file_format="csv",
        content=content,
        dry_run=dry_run,
    )


def allocation_totals(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if "SUM(" in query["sql"].upper() and "yearlyallocation" in query["sql"].lower()
    ]


class TestImportTotalsTheEnvelopeOnce:
    @pytest.mark.parametrize("dry_run", [True, False])
    def test_one_total_of_the_allocations_whatever_the_number_of_lines(
        self, contract, manager, dry_run
    ):
        with CaptureQueriesContext(connection) as queries:
            report = run(contract, manager, lines_csv(contract, ["1 000,00"] * 20), dry_run=dry_run)
        assert report.is_valid, report.errors
        assert len(allocation_totals(queries.captured_queries)) == 1

    def test_queries_grow_linearly_with_the_lines(self, manager):
        def queries_for(lines: int) -> int:
            contract = ContractFactory(with_lines=True)
            with CaptureQueriesContext(connection) as queries:
                report = run(contract, manager, lines_csv(contract, ["100,00"] * lines))
            assert report.is_valid, report.errors
            return len(queries.captured_queries)

        per_line = queries_for(11) - queries_for(10)
        assert queries_for(30) - queries_for(10) == 20 * per_line

    def test_the_line_that_passes_the_envelope_is_named(self, contract, manager):
        # 180,000 allocated: 60,000 + 50,000 fit, the third line would make 190,000 more.
        report = run(
            contract, manager, lines_csv(contract, ["60 000,00", "50 000,00", "80 000,00"])
        )
        assert not report.is_valid
        failed = [row for row in report.rows if row.status == RowStatus.ERROR]
        assert [row.line_number for row in failed] == [4]
        assert "enveloppe" in " ".join(failed[0].errors)
        assert YearlyAllocation.objects.filter(funding_line__axis__contract=contract).count() == 6

    def test_a_file_that_fits_exactly_is_written(self, contract, manager):
        report = run(contract, manager, lines_csv(contract, ["60 000,00", "60 000,00"]))
        assert report.is_valid, report.errors
        total = sum(
            a.allocated_amount
            for a in YearlyAllocation.objects.filter(funding_line__axis__contract=contract)
        )
        assert total == contract.envelope_amount


class TestLineBatch:
    def add(self, batch, contract, user, code, amount, year=2025):
        with transaction.atomic():
            return services.add_funding_line(
                actor=user,
                axis=contract.axes.get(number=1),
                code=code,
                scheme="OTHER",
                label=f"Ligne {code}",
                beneficiary=contract.carrier_establishment,
                amounts_by_year={year: D(amount)},
                batch=batch,
            )

    def test_a_refused_write_leaves_the_running_total_as_it_was(self, contract, manager):
        with transaction.atomic():
            batch = services.LineBatch.open(contract)
            assert batch.allocated == D("180000.00")
            self.add(batch, contract, manager, "1.20", "60000.00")
            with pytest.raises(BusinessRuleError, match="enveloppe"):
                self.add(batch, contract, manager, "1.21", "60000.01")
            assert batch.allocated == D("240000.00")
            self.add(batch, contract, manager, "1.22", "60000.00")
            assert batch.allocated == contract.envelope_amount

    def test_a_change_moves_the_running_total_by_its_difference(self, contract, manager):
        line = contract.axes.get(number=1).lines.get()
        with transaction.atomic():
            batch = services.LineBatch.open(contract)
            services.change_funding_line(
                actor=manager, line=line, amounts_by_year={2025: D("150000.00")}, batch=batch
            )
            assert batch.allocated == D("300000.00")
            with pytest.raises(BusinessRuleError, match="enveloppe"):
                self.add(batch, contract, manager, "1.20", "0.01")

    def test_a_year_outside_the_period_is_refused(self, contract, manager):
        with transaction.atomic():
            batch = services.LineBatch.open(contract)
            with pytest.raises(BusinessRuleError, match="hors de la période"):
                self.add(batch, contract, manager, "1.20", "10.00", year=2031)
            assert batch.allocated == D("180000.00")

    def test_a_batch_writes_the_lines_of_its_contract_only(self, contract, manager):
        other = ContractFactory(with_lines=True)
        with transaction.atomic():
            batch = services.LineBatch.open(contract)
            with pytest.raises(ValueError, match="another contract"):
                self.add(batch, other, manager, "1.20", "10.00")

    def test_a_single_line_still_re_totals_the_contract(self, contract, manager):
        with CaptureQueriesContext(connection) as queries:
            self.add(None, contract, manager, "1.20", "120000.00")
        assert len(allocation_totals(queries.captured_queries)) == 1
        with pytest.raises(BusinessRuleError, match="enveloppe"):
            self.add(None, contract, manager, "1.21", "0.01")
