"""The clinic, its schedules and its times as SMART Scheduling Links resources (FHIR R4).

Pure: the service passes in the clinic, each practitioner-and-service pair with the
absolute address of its booking page, and the times; this builds the manifest and the
Location, Schedule and Slot resources as the SMART Scheduling Links specification
(smart-on-fhir/smart-scheduling-links, specification.md) has them, one minified JSON
object per line. Ids hold only letters, digits and dots, which both that specification
and FHIR's id type allow, and are made of row ids, which never change: a service or a
practitioner renamed keeps its schedule, and a time keeps its slot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from booking.domain.text import one_line

REGISTRY = "http://fhir-registry.smarthealthit.org/StructureDefinition"
BOOKING_DEEP_LINK = f"{REGISTRY}/booking-deep-link"
BOOKING_PHONE = f"{REGISTRY}/booking-phone"
# FHIR's own extension for a place's IANA time zone.
TIMEZONE = "http://hl7.org/fhir/StructureDefinition/timezone"
# HL7's service types (terminology.hl7.org): 13 is acupuncture.
ACUPUNCTURE = {
    "system": "http://terminology.hl7.org/CodeSystem/service-type",
    "code": "13",
    "display": "Acupuncture",
}
LOCATION, SCHEDULE, SLOT = "Location", "Schedule", "Slot"
LOCATION_ID = "clinic"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
FREE, BUSY = "free", "busy"

# The end of a US address: "ME 04101" or "ME 04101-1234", and an optional country after.
STATE_AND_ZIP = re.compile(r"^(?P<state>[A-Z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)$", re.ASCII)
UNITED_STATES = frozenset(
    {"us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}
)


@dataclass(frozen=True, slots=True)
class Clinic:
    """The clinic as its settings have it; `website` is its home page's absolute URL."""

    name: str
    address: str
    phone: str
    timezone: str
    website: str
    npi: str = ""  # the clinic's National Provider Identifier, where it has one


@dataclass(frozen=True, slots=True)
class Offer:
    """One practitioner giving one service: one Schedule, and the page to book it on."""

    practitioner_id: int
    practitioner_name: str
    service_id: int
    service_name: str
    booking_page: str  # the absolute URL of the service's booking page, no query

    @property
    def schedule_id(self) -> str:
        return f"practitioner{self.practitioner_id}.service{self.service_id}"


def instant(moment: datetime) -> str:
    """A FHIR instant in UTC: 2026-03-09T13:05:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest(
    transaction_time: datetime,
    request_url: str,
    outputs: Sequence[tuple[str, str]],
    states: Sequence[str] = (),
) -> dict:
    """The `$bulk-publish` manifest: (type, url) per file, each tagged with the states."""
    extension = {"extension": {"state": list(states)}} if states else {}
    return {
        "transactionTime": instant(transaction_time),
        "request": request_url,
        "output": [{"type": kind, "url": url, **extension} for kind, url in outputs],
        "error": [],
    }


def address(text: str) -> dict | None:
    """A FHIR Address from the clinic's one-line address, or None when it has none.

    The text is always there; a US address ending "City, ST 12345" also gets its street
    lines, city, state and ZIP code, which the specification asks for. Anything else is
    kept as lines only, rather than guessed at.
    """
    parts = [part.strip() for line in text.splitlines() for part in one_line(line).split(",")]
    parts = [part for part in parts if part]
    if not parts:
        return None
    found: dict = {"text": ", ".join(parts)}
    body = parts[:-1] if parts[-1].casefold() in UNITED_STATES else parts
    ending = STATE_AND_ZIP.match(body[-1]) if len(body) >= 2 else None
    if ending is None:
        found["line"] = parts
        return found
    if body[:-2]:
        found["line"] = body[:-2]
    found.update(city=body[-2], state=ending["state"], postalCode=ending["zip"], country="US")
    return found


def states(clinic: Clinic) -> list[str]:
    """The state the clinic is in, for the manifest's hint to clients, when known."""
    found = address(clinic.address)
    return [found["state"]] if found and "state" in found else []


def location(clinic: Clinic) -> dict:
    """The clinic as the one Location every schedule is at."""
    telecom = [{"system": "phone", "value": one_line(clinic.phone)}] if clinic.phone else []
    telecom.append({"system": "url", "value": clinic.website})
    # SMART Scheduling Links asks for an identifier: the NPI when the clinic has one, and
    # always this installation's own (its website and the resource's id).
    identifiers = [{"system": NPI_SYSTEM, "value": clinic.npi}] if clinic.npi else []
    identifiers.append({"system": clinic.website, "value": LOCATION_ID})
    resource = {
        "resourceType": LOCATION,
        "id": LOCATION_ID,
        "identifier": identifiers,
        "name": one_line(clinic.name),
        "telecom": telecom,
        "extension": [{"url": TIMEZONE, "valueCode": clinic.timezone}],
    }
    if place := address(clinic.address):
        resource["address"] = place
    return resource


def schedule(offer: Offer, clinic: Clinic) -> dict:
    """One practitioner's calendar for one service, at the clinic.

    Its one actor is the Location, as the specification has it; the practitioner is
    named in the comment (no Practitioner resource is published).
    """
    return {
        "resourceType": SCHEDULE,
        "id": offer.schedule_id,
        "active": True,
        "serviceType": [{"coding": [ACUPUNCTURE], "text": one_line(offer.service_name)}],
        "actor": [{"reference": f"{LOCATION}/{LOCATION_ID}", "display": one_line(clinic.name)}],
        "comment": one_line(f"With {offer.practitioner_name}"),
    }


class SlotWriter:
    """Slot resources for one clinic, each instant's text made once.

    The same start time is shared by every practitioner and service that has it, and
    turning an instant into local time with its offset is most of a slot's cost.
    """

    def __init__(self, clinic: Clinic):
        self.zone = ZoneInfo(clinic.timezone)
        self.phone = (
            [{"url": BOOKING_PHONE, "valueString": one_line(clinic.phone)}] if clinic.phone else []
        )
        self._texts: dict[datetime, tuple[str, str, str]] = {}

    def _text(self, moment: datetime) -> tuple[str, str, str]:
        """(ISO 8601 in clinic time with its UTC offset, the same for a URL's query,
        the UTC minute for ids)."""
        text = self._texts.get(moment)
        if text is None:
            local = moment.astimezone(self.zone).isoformat()
            text = self._texts[moment] = (
                local,
                quote(local, safe=""),
                moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ"),
            )
        return text

    def slot(self, offer: Offer, start: datetime, end: datetime, free: bool) -> dict:
        """A bookable time: free with the links to book it, or busy (booked or held)."""
        local_start, start_query, minute = self._text(start)
        resource = {
            "resourceType": SLOT,
            "id": f"{offer.schedule_id}.{minute}",
            "schedule": {"reference": f"{SCHEDULE}/{offer.schedule_id}"},
            "status": FREE if free else BUSY,
            "start": local_start,
            "end": self._text(end)[0],
        }
        if free:
            resource["extension"] = [
                {"url": BOOKING_DEEP_LINK, "valueUrl": deep_link(offer, start_query)},
                *self.phone,
            ]
        return resource


def deep_link(offer: Offer, start_query: str) -> str:
    """The booking page with this time (already quoted for a query) and practitioner chosen."""
    return f"{offer.booking_page}?start={start_query}&practitioner={offer.practitioner_id}"


def ndjson(resources: Iterable[dict]) -> bytes:
    """Newline-delimited JSON: one minified resource per line, each line ended."""
    return "".join(_MINIFIED.encode(resource) + "\n" for resource in resources).encode()


_MINIFIED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
