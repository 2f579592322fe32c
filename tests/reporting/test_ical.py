import datetime

import icalendar

from reporting import ical

STAMP = datetime.datetime(2026, 3, 15, 9, 30, tzinfo=datetime.UTC)


def calendar(*events):
    return ical.write_calendar(events, name="Échéances des contrats", stamp=STAMP)


class TestWriteCalendar:
    def test_is_read_back_by_the_icalendar_package(self):
        summary = (
            "CAT-1 – Échéance de jalon : Recrutements, phase 1; suite\\fin\nligne 2 " + "é" * 60
        )
        text = calendar(
            ical.CalendarEvent(
                "milestone-7", datetime.date(2026, 2, 28), summary, "Axe 1", "Jalon"
            ),
            ical.CalendarEvent("contract-end-3", datetime.date(2028, 2, 29), "Fin du contrat"),
        )
        parsed = icalendar.Calendar.from_ical(text)
        events = list(parsed.walk("VEVENT"))
        assert [str(event["UID"]) for event in events] == [
            "milestone-7@contrats-attractivite.invalid",
            "contract-end-3@contrats-attractivite.invalid",
        ]
        assert str(events[0]["SUMMARY"]) == summary
        assert str(events[0]["DESCRIPTION"]) == "Axe 1"
        assert events[0]["DTSTART"].dt == datetime.date(2026, 2, 28)
        assert events[1]["DTSTART"].dt == datetime.date(2028, 2, 29)
        assert events[1]["DTEND"].dt == datetime.date(2028, 3, 1)
        assert events[0]["DTSTAMP"].dt == STAMP
        assert str(parsed["X-WR-CALNAME"]) == "Échéances des contrats"

    def test_end_every_line_with_crlf_and_fold_long_ones(self):
        text = calendar(ical.CalendarEvent("x-1", datetime.date(2026, 1, 1), "é" * 200))
        assert text.startswith("BEGIN:VCALENDAR\r\n")
        assert "VERSION:2.0\r\n" in text
        assert text.endswith("END:VCALENDAR\r\n")
        assert "\n" not in text.replace("\r\n", "")
        assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
        assert "DTSTART;VALUE=DATE:20260101\r\n" in text

    def test_write_an_empty_calendar(self):
        parsed = icalendar.Calendar.from_ical(calendar())
        assert list(parsed.walk("VEVENT")) == []
