"""The SMART Scheduling Links publisher (/fhir), read as a slot directory reads it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from booking.domain.availability import Slot
from booking.extensions import db
from booking.models import ClinicSettings, Practitioner, Service, WorkingHours
from booking.models.base import utcnow
from booking.views import fhir as fhir_views
from tests.conftest import NO_FLAGS

ZONE = ZoneInfo("America/New_York")
NDJSON = "application/fhir+ndjson"
REGISTRY = "http://fhir-registry.smarthealthit.org/StructureDefinition"
DEEP_LINK, PHONE = f"{REGISTRY}/booking-deep-link", f"{REGISTRY}/booking-phone"
# Both the specification and FHIR's id type allow these.
ID = re.compile(r"^[A-Za-z0-9.]{1,64}$")
MODELS = {"Location": Location, "Schedule": Schedule, "Slot": FhirSlot}


def path_of(url: str) -> str:
    """An absolute URL the app published, as the test client asks for it."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://clinic.test", url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def read(client, url: str, **headers) -> list[dict]:
    response = client.get(path_of(url) if url.startswith("http") else url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == NDJSON
    body = response.get_data(as_text=True)
    assert body == "" or body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def by_id(resources: list[dict]) -> dict[str, dict]:
    found = {resource["id"]: resource for resource in resources}
    assert len(found) == len(resources), "ids are unique"
    return found


def schedule_id(practitioner, slug: str, clinic) -> str:
    return (
        f"practitioner{getattr(practitioner, 'id', practitioner)}.service{clinic.service(slug).id}"
    )


def slots_of(slots: list[dict], schedule: str) -> list[dict]:
    return [slot for slot in slots if slot["schedule"]["reference"] == f"Schedule/{schedule}"]


def at(slots: list[dict], schedule: str, start: str) -> dict:
    """The slot of a schedule at an instant (given with any offset)."""
    moment = datetime.fromisoformat(start)
    (found,) = [
        s for s in slots_of(slots, schedule) if datetime.fromisoformat(s["start"]) == moment
    ]
    return found


def extension(slot: dict, url: str):
    values = [e for e in slot.get("extension", []) if e["url"] == url]
    return values[0] if values else None


@pytest.fixture
def frozen(monkeypatch):
    """Publish as if it were `moment` (aware): the files read the clock in the view."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(fhir_views, "utcnow", lambda: moment)

    return freeze


def test_the_manifest_names_the_three_files_under_the_base_url(client):
    before = utcnow()
    response = client.get("/fhir/$bulk-publish")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    manifest = response.get_json()
    assert set(manifest) == {"transactionTime", "request", "output", "error"}
    assert manifest["request"] == "http://clinic.test/fhir/$bulk-publish"
    assert manifest["error"] == []
    as_of = datetime.fromisoformat(manifest["transactionTime"].replace("Z", "+00:00"))
    assert manifest["transactionTime"].endswith("Z")
    assert before - timedelta(minutes=5) < as_of <= before
    assert [(o["type"], o["url"]) for o in manifest["output"]] == [
        ("Location", "http://clinic.test/fhir/locations.ndjson"),
        ("Schedule", "http://clinic.test/fhir/schedules.ndjson"),
        ("Slot", "http://clinic.test/fhir/slots.ndjson"),
    ]
    # A hint for directories that cover some states only: the demo clinic is in Maine.
    assert all(o["extension"] == {"state": ["ME"]} for o in manifest["output"])
    for output in manifest["output"]:
        assert {r["resourceType"] for r in read(client, output["url"])} == {output["type"]}


def test_every_resource_is_valid_fhir_and_every_reference_resolves(client):
    manifest = client.get("/fhir/$bulk-publish").get_json()
    files = {o["type"]: read(client, o["url"]) for o in manifest["output"]}
    for kind, resources in files.items():
        for resource in resources:
            MODELS[kind].model_validate(resource)
            assert ID.match(resource["id"]), resource["id"]
    locations, schedules = by_id(files["Location"]), by_id(files["Schedule"])
    for schedule in schedules.values():
        assert schedule["actor"][0]["reference"].removeprefix("Location/") in locations
    slots = by_id(files["Slot"])
    assert slots
    for slot in slots.values():
        assert slot["schedule"]["reference"].removeprefix("Schedule/") in schedules
        assert slot["status"] in {"free", "busy"}
        # ISO 8601 with the clinic's offset, never a bare local time.
        assert datetime.fromisoformat(slot["start"]).utcoffset() is not None


def test_the_location_is_the_clinic_as_its_settings_have_it(client, clinic):
    (location,) = read(client, "/fhir/locations.ndjson")
    assert location["name"] == clinic.name
    # An identifier, as SMART Scheduling Links asks: always this installation's own.
    assert location["identifier"][-1] == {"system": "http://clinic.test/", "value": "clinic"}
    assert {"system": "phone", "value": clinic.phone} in location["telecom"]
    assert {"system": "url", "value": "http://clinic.test/"} in location["telecom"]
    assert location["address"] == {
        "text": clinic.address,
        "line": ["24 Harbour Street", "Suite 3"],
        "city": "Portland",
        "state": "ME",
        "postalCode": "04101",
        "country": "US",
    }
    assert {
        "url": "http://hl7.org/fhir/StructureDefinition/timezone",
        "valueCode": "America/New_York",
    } in location["extension"]


def test_one_schedule_per_active_practitioner_and_bookable_service(app, client, clinic):
    schedules = by_id(read(client, "/fhir/schedules.ndjson"))
    expected = {
        schedule_id(person, slug, clinic)
        for person in clinic.practitioners
        for slug in person.services
    }
    assert set(schedules) == expected
    mine = schedules[schedule_id(clinic.specialist, "neck-initial", clinic)]
    # One actor, the Location, as the specification has it; the practitioner by name.
    assert len(mine["actor"]) == 1
    assert mine["comment"] == f"With {clinic.specialist.name}"
    assert mine["serviceType"][0]["text"] == clinic.service("neck-initial").name
    assert mine["serviceType"][0]["coding"][0]["code"] == "13"  # HL7 service type: acupuncture
    with app.app_context():
        db.session.get(Practitioner, clinic.specialist.id).active = False
        db.session.get(Service, clinic.service("back-follow-up").id).active = False
        db.session.commit()
    left = set(by_id(read(client, "/fhir/schedules.ndjson")))
    assert left == {
        schedule_id(person, slug, clinic)
        for person in clinic.practitioners
        if person != clinic.specialist
        for slug in person.services
        if slug != "back-follow-up"
    }
    references = {s["schedule"]["reference"] for s in read(client, "/fhir/slots.ndjson")}
    assert references == {f"Schedule/{name}" for name in left}


def test_free_times_are_the_ones_the_public_pages_offer_each_with_its_links(client, clinic):
    slots = read(client, "/fhir/slots.ndjson")
    today = utcnow().astimezone(ZONE).date()
    # From two days on, clear of the minimum notice (the answers are a few minutes apart).
    first, last = today + timedelta(days=2), today + timedelta(days=8)
    offered = client.get(
        "/api/v1/availability",
        query_string={
            "service": "neck-initial",
            "practitioner": clinic.practitioner.id,
            "from": first.isoformat(),
            "to": last.isoformat(),
        },
    ).get_json()["slots"]
    mine = slots_of(slots, schedule_id(clinic.practitioner, "neck-initial", clinic))
    in_days = [s for s in mine if first <= datetime.fromisoformat(s["start"]).date() <= last]
    free = [(s["start"], s["end"]) for s in in_days if s["status"] == "free"]
    assert free == [(o["start"], o["end"]) for o in offered]
    slot = in_days[0]
    assert extension(slot, PHONE) == {"url": PHONE, "valueString": clinic.phone}
    link = urlsplit(extension(slot, DEEP_LINK)["valueUrl"])
    assert (link.netloc, link.path) == ("clinic.test", "/book/neck-initial")


def test_times_start_after_the_minimum_notice_and_end_at_the_horizon(client, clinic, frozen):
    # Monday 12 April 2027, 09:32 in Portland: the edition is as of 09:30.
    frozen(datetime(2027, 4, 12, 9, 32, tzinfo=ZONE))
    starts = [
        datetime.fromisoformat(s["start"])
        for s in slots_of(
            read(client, "/fhir/slots.ndjson"),
            schedule_id(clinic.practitioner, "neck-initial", clinic),
        )
    ]
    # Two hours' notice from 09:30: 11:30 is the first, and the last is within 60 days.
    assert starts[0] == datetime(2027, 4, 12, 11, 30, tzinfo=ZONE)
    assert starts == sorted(starts)
    assert starts[-1] < datetime(2027, 4, 12, 9, 30, tzinfo=ZONE) + timedelta(days=60)
    assert starts[-1] > datetime(2027, 4, 12, 9, 30, tzinfo=ZONE) + timedelta(days=55)


def test_a_booked_time_is_busy_with_no_link_in_every_schedule_it_takes(
    client, clinic, make_booking
):
    booking = make_booking(practitioner=clinic.practitioner)
    slots = read(client, "/fhir/slots.ndjson")
    taken = at(slots, schedule_id(clinic.practitioner, "neck-initial", clinic), booking["start"])
    assert taken["status"] == "busy"
    assert "extension" not in taken
    # The practitioner is as taken for a follow-up at that time; a colleague is not.
    follow_up = schedule_id(clinic.practitioner, "back-follow-up", clinic)
    assert at(slots, follow_up, booking["start"])["status"] == "busy"
    colleague = schedule_id(clinic.colleague, "neck-initial", clinic)
    others = [s for s in slots_of(slots, colleague) if s["start"] == taken["start"]]
    assert all(s["status"] == "free" for s in others)


def test_a_time_held_for_the_waitlist_is_busy(app, client, clinic):
    day = utcnow().astimezone(ZONE).date() + timedelta(days=5)
    body = {
        "service": "neck-initial",
        "patient": {"name": "Ada One", "email": "ada@example.com", "phone": "207 555 0199"},
        "screening": dict(NO_FLAGS),
        "disclaimer_accepted": True,
        "earliest": day.isoformat(),
        "latest": (day + timedelta(days=7)).isoformat(),
        "practitioner": clinic.practitioner.id,
    }
    joined = client.post("/api/v1/waitlist", json=body)
    assert joined.status_code == 201, joined.get_data(as_text=True)
    offer = client.get(f"/api/v1/waitlist/{joined.get_json()['token']}").get_json()["offer"]
    assert offer["status"] == "offered"
    slots = read(client, "/fhir/slots.ndjson")
    held = at(slots, schedule_id(clinic.practitioner, "neck-initial", clinic), offer["start"])
    assert held["status"] == "busy"


# The Sundays the clocks change in New York in 2027, and the Friday before each.
SPRING, FALL = datetime(2027, 3, 12, 12, tzinfo=UTC), datetime(2027, 11, 5, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "opens", "closes", "expected"),
    [
        # 2:00 becomes 3:00: the hour that never is has no time, and none is lost.
        (
            SPRING,
            time(1),
            time(4),
            [
                ("2027-03-14T01:00:00-05:00", "2027-03-14T03:00:00-04:00"),
                ("2027-03-14T01:15:00-05:00", "2027-03-14T03:15:00-04:00"),
                ("2027-03-14T01:30:00-05:00", "2027-03-14T03:30:00-04:00"),
                ("2027-03-14T01:45:00-05:00", "2027-03-14T03:45:00-04:00"),
                ("2027-03-14T03:00:00-04:00", "2027-03-14T04:00:00-04:00"),
            ],
        ),
        # 2:00 becomes 1:00 again: each 1:xx happens twice, an hour apart, told apart by
        # its offset.
        (
            FALL,
            time(0, 30),
            time(2, 30),
            [
                ("2027-11-07T00:30:00-04:00", "2027-11-07T01:30:00-04:00"),
                ("2027-11-07T00:45:00-04:00", "2027-11-07T01:45:00-04:00"),
                ("2027-11-07T01:00:00-04:00", "2027-11-07T01:00:00-05:00"),
                ("2027-11-07T01:15:00-04:00", "2027-11-07T01:15:00-05:00"),
                ("2027-11-07T01:30:00-04:00", "2027-11-07T01:30:00-05:00"),
                ("2027-11-07T01:45:00-04:00", "2027-11-07T01:45:00-05:00"),
                ("2027-11-07T01:00:00-05:00", "2027-11-07T02:00:00-05:00"),
                ("2027-11-07T01:15:00-05:00", "2027-11-07T02:15:00-05:00"),
                ("2027-11-07T01:30:00-05:00", "2027-11-07T02:30:00-05:00"),
            ],
        ),
    ],
)
def test_times_on_the_days_the_clocks_change_carry_their_own_offsets(
    app, client, clinic, frozen, now, opens, closes, expected
):
    with app.app_context():
        db.session.add(
            WorkingHours(
                practitioner_id=clinic.practitioner.id, weekday=6, start_time=opens, end_time=closes
            )
        )
        db.session.commit()
    frozen(now)
    slots = slots_of(
        read(client, "/fhir/slots.ndjson"), schedule_id(clinic.practitioner, "neck-initial", clinic)
    )
    sunday = expected[0][0][:10]
    assert [(s["start"], s["end"]) for s in slots if s["start"].startswith(sunday)] == expected
    for slot in slots:
        assert datetime.fromisoformat(slot["start"]).utcoffset() == (
            datetime.fromisoformat(slot["start"]).astimezone(ZONE).utcoffset()
        )


def test_an_unchanged_file_is_a_304_and_a_booking_changes_its_etag(client, make_booking):
    first = client.get("/fhir/slots.ndjson")
    etag = first.headers["ETag"]
    assert not etag.startswith("W/")  # strong: the same tag is always the same bytes
    cache = first.headers["Cache-Control"]
    assert cache.startswith("public, max-age=")
    assert 0 < int(cache.removeprefix("public, max-age=")) <= 300
    again = client.get("/fhir/slots.ndjson", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"].startswith("public, max-age=")
    manifest = client.get("/fhir/$bulk-publish")
    repeat = {"If-None-Match": manifest.headers["ETag"]}
    assert client.get("/fhir/$bulk-publish", headers=repeat).status_code == 304

    # A client that took the compressed copy revalidates with its tag: 304 too, before
    # the file is built or compressed again.
    packed = client.get("/fhir/slots.ndjson", headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert packed.headers["ETag"].endswith(':br"')
    held = {"If-None-Match": packed.headers["ETag"], "Accept-Encoding": "br"}
    revalidated = client.get("/fhir/slots.ndjson", headers=held)
    assert revalidated.status_code == 304
    assert "Accept-Encoding" in revalidated.headers["Vary"]

    booking = make_booking()
    changed = client.get("/fhir/slots.ndjson", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    moment = datetime.fromisoformat(booking["start"])
    busy = [
        json.loads(line)
        for line in changed.get_data(as_text=True).splitlines()
        if datetime.fromisoformat(json.loads(line)["start"]) == moment
    ]
    assert any(slot["status"] == "busy" for slot in busy)


def test_since_after_a_change_sends_it(client, clinic, make_booking):
    since = client.get("/fhir/$bulk-publish").get_json()["transactionTime"]
    booking = make_booking(practitioner=clinic.practitioner)
    asked = client.get("/fhir/$bulk-publish", query_string={"_since": since}).get_json()
    assert asked["request"] == f"http://clinic.test/fhir/$bulk-publish?_since={since}"
    urls = {o["type"]: o["url"] for o in asked["output"]}
    assert urls["Slot"] == f"http://clinic.test/fhir/slots.ndjson?_since={since}"
    slots = read(client, urls["Slot"])
    taken = at(slots, schedule_id(clinic.practitioner, "neck-initial", clinic), booking["start"])
    assert taken["status"] == "busy"
    # The counter says something changed, not what: the clinic is sent again too.
    assert len(read(client, urls["Location"])) == 1
    assert len(read(client, urls["Schedule"])) == len(read(client, "/fhir/schedules.ndjson"))


def test_since_with_nothing_changed_sends_only_what_time_changed(client, frozen):
    # A Monday morning days after the clinic was set up: nothing changed since 09:00.
    day = (utcnow() + timedelta(days=2)).astimezone(ZONE).date()
    day += timedelta(days=-day.weekday() % 7)
    now = datetime.combine(day, time(9, 30), ZONE)
    since = now - timedelta(minutes=30)
    frozen(since)
    then = by_id(read(client, "/fhir/slots.ndjson"))
    frozen(now)
    current = by_id(read(client, "/fhir/slots.ndjson"))
    query = f"?_since={since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    delta = by_id(read(client, "/fhir/slots.ndjson" + query))
    assert read(client, "/fhir/locations.ndjson" + query) == [], "the clinic has not changed"
    assert read(client, "/fhir/schedules.ndjson" + query) == []
    # The times the horizon reached meanwhile are all sent, as they are now ...
    reached = set(current) - set(then)
    assert reached
    assert reached <= set(delta)
    # ... and the ones that came inside the minimum notice, as no longer bookable.
    too_soon = {
        key for key in set(then) - set(current) if datetime.fromisoformat(then[key]["start"]) >= now
    }
    assert too_soon
    assert too_soon <= set(delta)
    for key, slot in delta.items():
        if key in current:
            assert slot == current[key]
        else:
            assert key in then and slot["status"] == "busy" and "extension" not in slot
    assert len(delta) < len(current) / 10


@pytest.mark.parametrize(
    "since",
    [
        "yesterday",
        "",
        "2026-13-01T00:00:00Z",
        "2026-03-01T09:00:00",  # no offset: which 09:00?
        "3000-01-01T00:00:00Z",
        "2026-03-01T09:00:00Z" * 3,
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/fhir/$bulk-publish",
        "/fhir/locations.ndjson",
        "/fhir/schedules.ndjson",
        "/fhir/slots.ndjson",
    ],
)
def test_a_since_that_cannot_be_read_is_a_400_saying_so(client, path, since):
    response = client.get(path, query_string={"_since": since})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_since"
    assert "_since" in error["fields"]


def test_a_deep_link_opens_the_booking_form_with_the_time_chosen_until_it_is_taken(
    client, clinic, make_booking
):
    schedule = schedule_id(clinic.practitioner, "neck-initial", clinic)
    free = [
        s
        for s in slots_of(read(client, "/fhir/slots.ndjson"), schedule)
        if s["status"] == "free"
        and datetime.fromisoformat(s["start"]) > utcnow() + timedelta(days=2)
    ]
    slot = free[0]
    # Directories may add where the patient came from (the specification's two names).
    link = path_of(extension(slot, DEEP_LINK)["valueUrl"]) + "&source=directory&booking-referral=r1"
    start = datetime.fromisoformat(slot["start"])
    page = client.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Your details" in text
    assert f"With {clinic.practitioner.name}" in text
    assert f'name="start" value="{start.astimezone(UTC).isoformat()}"' in text
    assert "no longer free" not in text.lower()

    end = datetime.fromisoformat(slot["end"])
    make_booking(Slot(start.astimezone(UTC), end.astimezone(UTC), clinic.practitioner.id))
    gone = client.get(link).get_data(as_text=True)
    assert "No longer free" in gone
    assert "no longer free. Please pick another" in gone


def test_the_files_need_no_cookie_and_set_none(app):
    fresh = app.test_client(use_cookies=False)
    for path in ("/fhir/$bulk-publish", "/fhir/%24bulk-publish", "/fhir/slots.ndjson"):
        response = fresh.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers


def test_settings_change_the_location_and_the_booking_phone(app, client):
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        settings.phone = "(207) 555-0199"
        settings.address = "Unit 2\nThe Old Mill"
        settings.npi = "1234567893"
        db.session.commit()
    (location,) = read(client, "/fhir/locations.ndjson")
    # The clinic's NPI first, when it has one.
    assert location["identifier"][0] == {
        "system": "http://hl7.org/fhir/sid/us-npi",
        "value": "1234567893",
    }
    assert location["address"] == {
        "text": "Unit 2, The Old Mill",
        "line": ["Unit 2", "The Old Mill"],
    }
    Location.model_validate(location)
    slot = next(s for s in read(client, "/fhir/slots.ndjson") if s["status"] == "free")
    assert extension(slot, PHONE)["valueString"] == "(207) 555-0199"
    states = [o.get("extension") for o in client.get("/fhir/$bulk-publish").get_json()["output"]]
    assert states == [None, None, None]
