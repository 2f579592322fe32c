"""The deadline calendar as iCalendar (RFC 5545), written with the ``icalendar`` library.

All-day events, one per deadline; the library escapes text, folds long lines at 75 octets
and ends lines with CRLF.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import icalendar

PRODUCT_ID = "-//ARS//Contrats d'attractivite territoriale//FR"
UID_DOMAIN = "contrats-attractivite.invalid"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: datetime.date
    summary: str
    description: str = ""
    categories: str = ""


def write_calendar(events: Iterable[CalendarEvent], *, name: str, stamp: datetime.datetime) -> str:
    """Return a VCALENDAR holding one all-day VEVENT per event; ``stamp`` is aware."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = stamp.astimezone(datetime.UTC)
    for item in events:
        event = icalendar.Event()
        event.add("uid", f"{item.uid}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + datetime.timedelta(days=1))
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.categories:
            event.add("categories", [item.categories])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
