"""A small iCalendar (RFC 5545) writer: all-day events, enough for a deadline calendar.

Lines end with CRLF and are folded at 75 octets (never inside a UTF-8 character); text
values escape backslashes, semicolons, commas and newlines (RFC 5545 §3.3.11).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

PRODUCT_ID = "-//ARS//Contrats d'attractivite territoriale//FR"
UID_DOMAIN = "contrats-attractivite.invalid"
LINE_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: datetime.date
    summary: str
    description: str = ""
    categories: str = ""


def escape_text(value: str) -> str:
    """Return ``value`` as an RFC 5545 TEXT value."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Return ``line`` folded into chunks of at most 75 octets, continuations led by a space."""
    if len(line) * 4 <= LINE_OCTETS or len(line.encode("utf-8")) <= LINE_OCTETS:
        return line
    chunks, current, size = [], "", 0
    limit = LINE_OCTETS
    for character in line:
        octets = len(character.encode("utf-8"))
        if size + octets > limit:
            chunks.append(current)
            # A continuation line starts with one space, which counts in its 75 octets.
            current, size, limit = " ", 1, LINE_OCTETS
        current += character
        size += octets
    chunks.append(current)
    return CRLF.join(chunks)


def _date(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


def write_calendar(events: Iterable[CalendarEvent], *, name: str, stamp: datetime.datetime) -> str:
    """Return a VCALENDAR holding one all-day VEVENT per event; ``stamp`` is aware."""
    stamp_text = stamp.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}@{UID_DOMAIN}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{_date(event.day)}",
            f"DTEND;VALUE=DATE:{_date(event.day + datetime.timedelta(days=1))}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.categories:
            lines.append(f"CATEGORIES:{escape_text(event.categories)}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
