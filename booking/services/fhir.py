"""The SMART Scheduling Links data set: the clinic, who gives what, and every bookable time.

The files are published in editions: each is the data as of a multiple of
PUBLISH_EVERY (its `transactionTime`) at one value of the schedule counter, so a
client that has an edition's ETag is answered 304 without anything being computed,
and the whole files are built once per edition and worker (`FileCache`).

A time is published for each active practitioner and each service patients can book,
from the minimum notice to the booking horizon, exactly as the public pages offer
them: `free`, or `busy` when a booking or a waitlist hold has it.

`_since` asks for what changed after an instant. When the schedule counter has not
moved since then, only time itself changed things: the times that came inside the
horizon are sent, and the ones that came inside the minimum notice are sent as
`busy` (they can no longer be booked online). When it has moved, everything is sent
(the counter says that something changed, not what), with those busy ones too.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from booking.domain.availability import Slot
from booking.extensions import db
from booking.models import ClinicSettings, ScheduleVersion, Service
from booking.presenters import fhir as resources
from booking.services import availability
from booking.services.availability_cache import ResponseCache, current_version
from booking.services.catalogue import offered_services
from booking.services.clinic import get_settings
from booking.services.links import absolute_url

PUBLISH_EVERY = timedelta(minutes=5)
# The counter's time is taken when its transaction first writes, and the change is seen
# only once that commits: a change is counted from this long before, so a client that
# read just before a commit still gets the change on its next `_since`.
COMMIT_SLACK = timedelta(minutes=1)
# Whole files kept per worker: the three of the current edition, and the one before.
FILES_KEPT = 6
FILES = {
    resources.LOCATION: "fhir.locations",
    resources.SCHEDULE: "fhir.schedules",
    resources.SLOT: "fhir.slots",
}


@dataclass(frozen=True, slots=True)
class Edition:
    """The data as of `as_of` at schedule `version`; with `since`, the changes after it."""

    as_of: datetime
    version: int
    since: datetime | None = None

    def etag(self, *parts: str) -> str:
        """A strong validator: the same edition always gives the same bytes."""
        seed = "|".join(
            (
                current_app.config["BASE_URL"],
                str(self.version),
                self.as_of.isoformat(),
                self.since.isoformat() if self.since else "",
                *parts,
            )
        )
        return hashlib.sha256(seed.encode()).hexdigest()[:32]

    def seconds_left(self, now: datetime) -> int:
        """How long a cache may keep it: until the next edition begins."""
        return max(1, math.ceil((self.as_of + PUBLISH_EVERY - now).total_seconds()))


def edition(now: datetime, since: datetime | None = None) -> Edition:
    """The edition a request made at `now` gets, for changes after `since` if asked.

    `since` is moved back to an edition's start, which can only add changes; one before
    the horizon began asks for everything, and one still to come for what changes from
    now on.
    """
    as_of = _edition_start(now)
    if since is not None:
        horizon = timedelta(days=get_settings().horizon_days)
        since = None if since < as_of - horizon else min(_edition_start(since), as_of)
    return Edition(as_of, current_version(), since)


def _edition_start(moment: datetime) -> datetime:
    step = int(PUBLISH_EVERY.total_seconds())
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, UTC)


def manifest(edition: Edition, asked_since: str | None) -> dict:
    """The `$bulk-publish` manifest, its files' URLs carrying the same `_since`."""
    since = {"_since": resources.instant(edition.since)} if edition.since else {}
    asked = {"_since": asked_since} if asked_since else {}
    return resources.manifest(
        edition.as_of,
        absolute_url("fhir.bulk_publish", **asked),
        [(kind, absolute_url(endpoint, **since)) for kind, endpoint in FILES.items()],
        resources.states(clinic_facts(get_settings())),
    )


def init_app(app) -> None:
    """Give the app its own cache of whole files (one per worker process)."""
    app.extensions["fhir_files"] = ResponseCache(FILES_KEPT)


def _whole(kind: str, edition: Edition, build: Callable[[], list[dict]]) -> bytes:
    """A whole file of the edition, built once per worker and kept at its counter."""
    cache: ResponseCache = current_app.extensions["fhir_files"]
    key = (kind, edition.as_of)
    body = cache.get(key, edition.version)
    if body is None:
        body = resources.ndjson(build())
        cache.put(key, edition.version, body)
    return body


def changed_since(moment: datetime) -> bool:
    """Whether anything that can move a time may have changed after `moment`."""
    changed_at = db.session.execute(db.select(ScheduleVersion.changed_at)).scalar()
    # Never stamped (the column is newer than the last change): it may have been anytime.
    return changed_at is None or changed_at >= moment - COMMIT_SLACK


def _unchanged(edition: Edition) -> bool:
    return edition.since is not None and not changed_since(edition.since)


def clinic_facts(settings: ClinicSettings) -> resources.Clinic:
    return resources.Clinic(
        name=settings.name,
        address=settings.address,
        phone=settings.phone,
        timezone=settings.timezone,
        website=absolute_url("public.home"),
        npi=settings.npi or "",
    )


def offers_of(service: Service) -> dict[int, resources.Offer]:
    """Who gives the service (active practitioners only), by practitioner id."""
    page = absolute_url("public.details", slug=service.slug)
    return {
        person.id: resources.Offer(person.id, person.name, service.id, service.name, page)
        for person in availability.practitioners_for(service)
    }


def location_file(edition: Edition) -> bytes:
    if _unchanged(edition):
        return b""
    return _whole(
        resources.LOCATION, edition, lambda: [resources.location(clinic_facts(get_settings()))]
    )


def schedule_file(edition: Edition) -> bytes:
    if _unchanged(edition):
        return b""

    def build() -> list[dict]:
        clinic = clinic_facts(get_settings())
        return [
            resources.schedule(offer, clinic)
            for service in offered_services()
            for offer in offers_of(service).values()
        ]

    return _whole(resources.SCHEDULE, edition, build)


def slot_file(edition: Edition) -> bytes:
    """Every time over the horizon, or for `_since` what changed (see the module's words)."""
    settings = get_settings()
    writer = resources.SlotWriter(clinic_facts(settings))
    since = edition.since
    if since is not None and not changed_since(since):
        reached = since + timedelta(days=settings.horizon_days)
        body = resources.ndjson(_every_slot(edition, settings, writer, reached))
    else:
        body = _whole(resources.SLOT, edition, lambda: list(_every_slot(edition, settings, writer)))
    if since is not None:
        body += resources.ndjson(_now_inside_notice(edition, since, settings, writer))
    return body


def _every_slot(
    edition: Edition,
    settings: ClinicSettings,
    writer: resources.SlotWriter,
    reached: datetime | None = None,
) -> Iterator[dict]:
    """Each service's times, free or busy, up to the horizon; with `reached`, only those
    from then on (the times the horizon reached after `since`)."""
    zone = ZoneInfo(settings.timezone)
    today = edition.as_of.astimezone(zone).date()
    last_day = today + timedelta(days=settings.horizon_days)
    first_day = max(reached.astimezone(zone).date(), today) if reached else today
    for service in offered_services():
        offers = offers_of(service)
        free = {
            (slot.start, slot.practitioner_id)
            for slot in availability.free_slots(service, first_day, last_day, now=edition.as_of)
        }
        # The same rules with no bookings or holds: every time that can be booked at all.
        for slot in availability.free_slots(
            service, first_day, last_day, now=edition.as_of, ignore_bookings=True
        ):
            if reached is None or slot.start >= reached:
                free_now = (slot.start, slot.practitioner_id) in free
                yield writer.slot(offers[slot.practitioner_id], slot.start, slot.end, free_now)


def _now_inside_notice(
    edition: Edition, since: datetime, settings: ClinicSettings, writer: resources.SlotWriter
) -> list[dict]:
    """Times published at `since` that are now too soon to book online: busy."""
    notice = timedelta(minutes=settings.min_notice_minutes)
    earliest = max(since + notice, edition.as_of)
    until = edition.as_of + notice
    if earliest >= until:
        return []
    zone = ZoneInfo(settings.timezone)
    first_day, last_day = earliest.astimezone(zone).date(), until.astimezone(zone).date()
    found = []
    for service in offered_services():
        offers = offers_of(service)
        for slot in _times(service, first_day, last_day, edition.as_of):
            if earliest <= slot.start < until:
                offer = offers[slot.practitioner_id]
                found.append(writer.slot(offer, slot.start, slot.end, free=False))
    return found


def _times(service: Service, first_day: date, last_day: date, now: datetime) -> list[Slot]:
    """Every time that could be booked, the minimum notice aside."""
    return availability.free_slots(
        service, first_day, last_day, now=now, enforce_notice=False, ignore_bookings=True
    )
