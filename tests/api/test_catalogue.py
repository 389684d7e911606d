"""GET /api/v1/services, /availability and /estimate."""

from datetime import date, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Service


def test_services_lists_the_four_demo_consultations_with_prices_and_course_plans(client):
    response = client.get("/api/v1/services")
    assert response.status_code == 200
    by_slug = {s["slug"]: s for s in response.get_json()}
    assert set(by_slug) == {"neck-initial", "neck-follow-up", "back-initial", "back-follow-up"}
    neck = by_slug["neck-initial"]
    assert neck["condition"] == "neck" and neck["kind"] == "initial"
    assert neck["duration_minutes"] == 60
    assert neck["price"] == {"amount": "95.00", "currency": "USD"}
    assert neck["course"] == {"min_sessions": 5, "typical_sessions": 8, "max_sessions": 12}
    assert by_slug["back-follow-up"]["course"] == {
        "min_sessions": 8,
        "typical_sessions": 10,
        "max_sessions": 12,
    }
    for service in by_slug.values():
        assert 50 <= float(service["price"]["amount"]) <= 150


def test_retired_service_is_not_listed(app, client):
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="back-follow-up")).scalar()
        service.active = False
        db.session.commit()
    slugs = [s["slug"] for s in client.get("/api/v1/services").get_json()]
    assert "back-follow-up" not in slugs


def next_weekday(weekday: int) -> date:
    day = date.today() + timedelta(days=3)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def test_availability_gives_slots_with_offsets_in_clinic_time(client, clinic):
    monday = next_weekday(0)
    response = client.get(f"/api/v1/availability?service=neck-initial&from={monday}&to={monday}")
    body = response.get_json()
    assert response.status_code == 200
    assert body["service"] == "neck-initial"
    assert body["timezone"] == "America/New_York"
    starts = {(s["start"], s["practitioner"]["name"]) for s in body["slots"]}
    # The specialist opens at 08:00 on Mondays; clinic.practitioner at 09:00 with lunch
    # 12:30-13:30.
    offset = datetime.fromisoformat(body["slots"][0]["start"]).strftime("%z")
    assert offset in ("-0500", "-0400")
    first = body["slots"][0]
    assert first["start"].startswith(f"{monday}T08:00:00")
    assert first["practitioner"]["name"] == clinic.specialist.name
    own = [s for s in body["slots"] if s["practitioner"]["name"] == clinic.practitioner.name]
    assert own[0]["start"].startswith(f"{monday}T09:00:00")
    # 60-minute appointments must finish by the 12:30 break.
    assert not any(s["start"].startswith(f"{monday}T11:45") for s in own)
    assert any(s["start"].startswith(f"{monday}T11:30") for s in own)
    assert (f"{monday}T16:00:00{first['start'][19:]}", clinic.practitioner.name) in starts
    for slot in body["slots"]:
        start = datetime.fromisoformat(slot["start"])
        end = datetime.fromisoformat(slot["end"])
        assert end - start == timedelta(minutes=60)


def test_availability_for_one_practitioner_only_lists_them(client, clinic):
    tuesday, colleague = next_weekday(1), clinic.colleague.id
    body = client.get(
        f"/api/v1/availability?service=back-initial&from={tuesday}&to={tuesday}"
        f"&practitioner={colleague}"
    ).get_json()
    assert body["slots"]
    assert {s["practitioner"]["id"] for s in body["slots"]} == {colleague}
    # clinic.colleague works 12:00-20:00 on Tuesdays.
    assert body["slots"][0]["start"].startswith(f"{tuesday}T12:00")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("service=nope&from=2026-12-01&to=2026-12-02", "service"),
        ("from=2026-12-01&to=2026-12-02", "service"),
        ("service=neck-initial&from=2026-13-01&to=2026-12-02", "from"),
        ("service=neck-initial&from=01/12/2026&to=2026-12-02", "from"),
        ("service=neck-initial&from=2026-12-01", "to"),
        ("service=neck-initial&from=2026-12-05&to=2026-12-01", "to"),
        ("service=neck-initial&from=2026-12-01&to=2027-01-01", "to"),
        ("service=neck-initial&from=2026-12-01&to=2026-12-02&practitioner=99", "practitioner"),
        ("service=neck-initial&from=2026-12-01&to=2026-12-02&practitioner=x", "practitioner"),
        # {specialist} does not give back-initial.
        (
            "service=back-initial&from=2026-12-01&to=2026-12-02&practitioner={specialist}",
            "practitioner",
        ),
    ],
    ids=[
        "unknown-service",
        "missing-service",
        "impossible-date",
        "wrong-format",
        "missing-to",
        "to-before-from",
        "more-than-31-days",
        "unknown-practitioner",
        "non-numeric-practitioner",
        "practitioner-without-service",
    ],
)
def test_availability_rejects_bad_queries_with_field_messages(client, clinic, query, field):
    query = query.format(specialist=clinic.specialist.id)
    response = client.get(f"/api/v1/availability?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert error["fields"][field]


def test_availability_accepts_exactly_31_days(client):
    start = date.today() + timedelta(days=1)
    end = start + timedelta(days=30)
    response = client.get(f"/api/v1/availability?service=neck-initial&from={start}&to={end}")
    assert response.status_code == 200
    days = {s["start"][:10] for s in response.get_json()["slots"]}
    assert len(days) > 20


def test_estimate_gives_totals_for_min_typical_max_and_market_range(client):
    body = client.get("/api/v1/estimate?service=back-initial").get_json()
    assert body["price_per_session"] == {"amount": "95.00", "currency": "USD"}
    assert body["first_consultation"] == {"amount": "95.00", "currency": "USD"}
    assert body["follow_up"] == {"amount": "75.00", "currency": "USD"}
    assert body["sessions"] == {"min": 8, "typical": 10, "max": 12}
    # One first consultation at $95 and follow-ups at $75: 1 x 95 + 9 x 75 = 770.
    assert body["totals"]["min"]["total"]["amount"] == "620.00"
    assert body["totals"]["typical"]["total"]["amount"] == "770.00"
    assert body["totals"]["max"]["total"]["amount"] == "920.00"
    assert body["totals"]["typical"]["market_total"]["low"]["amount"] == "500.00"
    assert body["totals"]["typical"]["market_total"]["high"]["amount"] == "1500.00"
    assert "GP or doctor" in body["disclaimer"]
    assert "requested" not in body


@pytest.mark.parametrize("sessions", [None, "6"])
def test_either_service_of_a_condition_gives_the_same_estimate(client, sessions):
    query = f"&sessions={sessions}" if sessions else ""
    first = client.get(f"/api/v1/estimate?service=back-initial{query}").get_json()
    follow_up = client.get(f"/api/v1/estimate?service=back-follow-up{query}").get_json()
    assert follow_up["price_per_session"]["amount"] == "75.00"
    for key in ("sessions", "totals", "first_consultation", "follow_up", "requested"):
        assert first.get(key) == follow_up.get(key), key


def test_estimate_for_a_chosen_number_of_sessions(client):
    body = client.get("/api/v1/estimate?service=neck-follow-up&sessions=6").get_json()
    assert body["requested"]["sessions"] == 6
    assert body["requested"]["total"]["amount"] == "470.00"  # 95 + 5 x 75
    assert body["requested"]["market_total"]["high"]["amount"] == "900.00"


@pytest.mark.parametrize("sessions", ["0", "61", "abc", "-3", "2.5"])
def test_estimate_rejects_impossible_session_counts(client, sessions):
    response = client.get(f"/api/v1/estimate?service=neck-initial&sessions={sessions}")
    assert response.status_code == 422
    assert "sessions" in response.get_json()["error"]["fields"]


def test_unknown_api_url_answers_json_not_html(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
