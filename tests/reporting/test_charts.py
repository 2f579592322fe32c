import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

from reporting import charts

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal


def parse(chart: charts.Chart) -> ET.Element:
    return ET.fromstring(charts.render_svg(chart))


def texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def money_chart(**kwargs) -> charts.Chart:
    defaults = {
        "chart_id": "axis-1-money",
        "title": "Axe 1 : montants par année",
        "groups": ["2025", "2026"],
        "series": [
            charts.BarSeries("Alloué", [D("35000.00"), D("50000.00")]),
            charts.BarSeries("Délégué", [D("35000.00"), D("0.00")]),
            charts.BarSeries("Consommé", [D("12345.67"), D("0.00")]),
        ],
    }
    return charts.grouped_bars_layout(**{**defaults, **kwargs})


class TestGroupedBars:
    def test_is_an_accessible_image_with_a_title_and_a_description(self):
        root = parse(money_chart())
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        assert root.get("aria-label") == "Axe 1 : montants par année"
        assert root.get("aria-labelledby") == "axis-1-money-title axis-1-money-desc"
        assert root.find(f"{SVG}title").text == "Axe 1 : montants par année"
        description = root.find(f"{SVG}desc").text
        assert "2025 : alloué 35\u202f000,00 €, délégué 35\u202f000,00 €" in description
        assert "consommé 12\u202f345,67 €" in description

    def test_tell_series_apart_by_pattern_and_name_them_in_a_legend(self):
        root = parse(money_chart())
        patterns = {pattern.get("id") for pattern in root.iter(f"{SVG}pattern")}
        assert patterns == {"axis-1-money-hatched", "axis-1-money-dotted"}
        bars = [
            rect
            for rect in root.iter(f"{SVG}rect")
            if rect.find(f"{SVG}title") is not None and " – " in rect.find(f"{SVG}title").text
        ]
        by_series = {}
        for bar in bars:
            series = bar.find(f"{SVG}title").text.split(" – ")[1].split(" :")[0]
            by_series.setdefault(series, set()).add(bar.get("data-pattern"))
        assert by_series == {"Alloué": {"solid"}, "Délégué": {"hatched"}, "Consommé": {"dotted"}}
        assert {"Alloué", "Délégué", "Consommé", "2025", "2026"} <= set(texts(root))

    def test_write_each_value_on_its_bar_and_scale_bars_to_the_largest(self):
        root = parse(money_chart())
        labels = texts(root)
        assert "50\u00a0k€" in labels and "12,3\u00a0k€" in labels and "0\u00a0€" in labels
        heights = {
            rect.find(f"{SVG}title").text: float(rect.get("height"))
            for rect in root.iter(f"{SVG}rect")
            if rect.find(f"{SVG}title") is not None and " – " in rect.find(f"{SVG}title").text
        }
        assert heights["2026 – Alloué : 50\u202f000,00 €"] == 180.0
        assert heights["2025 – Alloué : 35\u202f000,00 €"] == 126.0
        assert heights["2026 – Délégué : 0,00 €"] == 0.0

    def test_escape_text_and_survive_no_money(self):
        chart = money_chart(
            title="Axe <1> & « suite »",
            groups=[],
            series=[charts.BarSeries("A & B", [])],
        )
        root = parse(chart)
        assert root.find(f"{SVG}title").text == "Axe <1> & « suite »"
        assert root.find(f"{SVG}desc").text == "Aucun montant."


class TestProgressBars:
    def bars(self):
        return charts.progress_bars_layout(
            chart_id="axis-2-indicators",
            title="Axe 2 : indicateurs",
            bars=[
                charts.ProgressBar("Recrutements", D("75.0"), "15 / 20 personnes", "validé"),
                charts.ProgressBar("Dépassement", D("130.0"), "13 / 10 kits", "validé"),
                charts.ProgressBar(
                    "Pas encore", None, "non déclaré, cible 4 IPA", "en retard", charts.HATCHED
                ),
            ],
        )

    def test_write_the_percentage_of_the_target_with_the_unit(self):
        labels = texts(parse(self.bars()))
        assert "75\u00a0% – 15 / 20 personnes (validé)" in labels
        assert "130\u00a0% – 13 / 10 kits (validé)" in labels
        assert "non déclaré, cible 4 IPA (en retard)" in labels
        assert "cible 100\u00a0%" in labels

    def test_stop_bars_at_the_target_and_draw_none_for_nothing_reported(self):
        root = parse(self.bars())
        filled = {
            rect.find(f"{SVG}title").text.split(" :")[0]: float(rect.get("width"))
            for rect in root.iter(f"{SVG}rect")
            if rect.find(f"{SVG}title") is not None
        }
        full = 640 - 12 - 228
        assert filled == {"Recrutements": full * 0.75, "Dépassement": full}


class TestTimeline:
    def test_show_each_state_by_shape_and_mark_today(self):
        chart = charts.timeline_layout(
            chart_id="contract-timeline",
            title="Calendrier",
            start=datetime.date(2025, 1, 1),
            end=datetime.date(2027, 12, 31),
            today=datetime.date(2026, 3, 15),
            events=[
                charts.TimelineEvent(
                    datetime.date(2025, 6, 30), "Jalon A", "validé", charts.CIRCLE
                ),
                charts.TimelineEvent(
                    datetime.date(2026, 1, 31), "Jalon B", "en retard", charts.TRIANGLE
                ),
                charts.TimelineEvent(
                    datetime.date(2026, 6, 30), "Jalon C", "à venir", charts.HOLLOW_CIRCLE
                ),
                charts.TimelineEvent(
                    datetime.date(2027, 12, 31), "Fin du contrat", "échéance", charts.DIAMOND
                ),
            ],
        )
        root = parse(chart)
        labels = texts(root)
        assert "Aujourd'hui (15/03/2026)" in labels
        assert "30/06/2025 – Jalon A (validé)" in labels
        assert {"2025", "2026", "2027"} <= set(labels)
        markers = {
            element.find(f"{SVG}title").text: (element.get("data-shape"), element.get("fill"))
            for element in root.iter()
            if element.get("class") == "marker"
        }
        assert markers == {
            "30/06/2025 – Jalon A (validé)": ("circle", charts.INK),
            "31/01/2026 – Jalon B (en retard)": ("triangle", charts.INK),
            "30/06/2026 – Jalon C (à venir)": ("hollow-circle", "#ffffff"),
            "31/12/2027 – Fin du contrat (échéance)": ("diamond", "#ffffff"),
        }


class TestFormats:
    def test_write_numbers_the_french_way(self):
        assert charts.format_percent(D("74.96")) == "75\u00a0%"
        assert charts.format_percent(None) == "—"
        assert charts.format_number(D("12.50")) == "12,5"
        assert charts.format_number(D("40.00")) == "40"
        assert charts.format_compact_euros(D("1234567.00")) == "1,2\u00a0M€"
        assert charts.format_compact_euros(D("850.40")) == "850\u00a0€"
