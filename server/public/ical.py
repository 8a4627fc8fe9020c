"""Séances as an iCalendar feed (RFC 5545) that a phone's calendar subscribes to.

One ``VEVENT`` per séance:

* ``UID`` ``seance-{id}@{host}``: the same séance keeps its UID across edits, so a calendar
  updates the event instead of adding a second one;
* ``DTSTART``/``DTEND`` in the city's zone (``ATELIER_TIME_ZONE``) with its ``VTIMEZONE``: a
  séance at 18:00 in Strasbourg is at 18:00 wherever the phone is. A séance without a time is
  a whole-day event on its date;
* ``LAST-MODIFIED`` and ``DTSTAMP`` are the séance's last change and ``SEQUENCE`` counts its
  edits, so a client sees an edit as a newer revision;
* ``SUMMARY`` « Atelier « … » — séance n », ``LOCATION`` its place, ``URL`` the atelier's
  public page, ``DESCRIPTION`` its objectives and agenda and how to take part;
* a cancelled séance stays, same ``UID`` and one ``SEQUENCE`` further, with ``STATUS:CANCELLED``,
  « Annulée : » before its summary and the reason in its description (RFC 5545 §3.8.1.11:
  how a calendar learns to strike it out rather than lose track of it).

Never in a feed: the join code, the remote link, anyone's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Event

    from server.public.seances import PublicSeance

__all__ = ["calendar"]

PRODID = "-//Atelier//Séances//FR"


def calendar(
    seances: Sequence[PublicSeance],
    *,
    name: str,
    host: str,
    base_url: str,
    time_zone: str,
    page_url: str,
) -> bytes:
    """The feed's bytes (CRLF lines, folded at 75 octets, text escaped by ``icalendar``).

    ``icalendar`` is imported on the first feed asked for, not with the server."""
    from icalendar import Calendar

    zone = ZoneInfo(time_zone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)  # what most calendar applications read
    cal.add("x-wr-timezone", time_zone)
    cal.add("url", page_url)
    cal.add("refresh-interval", dt.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for seance in seances:
        cal.add_component(_event(seance, host=host, base_url=base_url, zone=zone))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _event(seance: PublicSeance, *, host: str, base_url: str, zone: ZoneInfo) -> Event:
    from icalendar import Event

    s = seance.session
    event = Event()
    event.add("uid", f"seance-{seance.id}@{host}")
    event.add("dtstamp", seance.updated_at.astimezone(dt.UTC))
    event.add("created", seance.created_at.astimezone(dt.UTC))
    event.add("last-modified", seance.updated_at.astimezone(dt.UTC))
    event.add("sequence", seance.revision)
    summary = f"Atelier « {seance.atelier_title} » — séance {seance.number}"
    if s.cancelled:
        event.add("status", "CANCELLED")
        summary = "Annulée : " + summary
    event.add("summary", summary)
    if s.start_time is None:
        event.add("dtstart", s.date)
        event.add("dtend", s.date + dt.timedelta(days=1))
    else:
        event.add("dtstart", dt.datetime.combine(s.date, s.start_time, zone))
        if s.end_time is not None:
            event.add("dtend", dt.datetime.combine(s.date, s.end_time, zone))
    event.add("location", s.place or "À distance")
    url = f"{base_url}/decouvrir/ateliers/{seance.atelier_id}"
    event.add("url", url)
    event.add("description", _description(seance, url))
    event.add("transp", "OPAQUE")
    return event


def _description(seance: PublicSeance, url: str) -> str:
    s = seance.session
    if s.cancelled:
        lines = ["Séance annulée."]
        if s.cancel_reason:
            lines.append(f"Motif : {s.cancel_reason}")
        return "\n".join([*lines, "", url])
    lines = [s.mode.label_fr.capitalize() + "."]
    if s.objectives:
        lines += ["", "Objectifs :", *(f"- {o}" for o in s.objectives)]
    if s.agenda:
        lines += ["", "Ordre du jour :", *(f"- {item.title}" for item in s.agenda)]
    lines += [
        "",
        "Pour participer : venez à la séance, le code pour rejoindre l’atelier est donné sur "
        "place.",
        url,
    ]
    return "\n".join(lines)
