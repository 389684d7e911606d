"""The staff API on how a course is going: the prompt, the decision, scores, clearances."""

from __future__ import annotations

import pytest

from booking.extensions import db
from booking.models import Booking, Course, CourseDecision, DoctorClearance
from tests.conftest import NO_FLAGS


def clinic_today():
    """Today in the demo clinic's timezone (the day a doctor can have seen someone)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("America/New_York")).date()


ANN = {"name": "Ann Lee", "email": "ann@example.com", "phone": "207 555 0100"}


@pytest.fixture
def ann(app, client, auth, make_booking):
    """Ann's first consultation, within the three days before it; reception signed in."""
    first = make_booking(days_ahead=2, **ANN)
    auth.login("reception")
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        course = db.session.execute(db.select(Course)).scalar_one()
        return {**first, "id": booking.id, "course": course.id}


@pytest.fixture
def visited(client, ann, start_now):
    """... and that first consultation done."""
    start_now(ann["id"])
    done = client.post(f"/api/v1/staff/bookings/{ann['id']}/status", json={"status": "fulfilled"})
    assert done.status_code == 200, done.get_data(as_text=True)
    return ann


def test_no_decision_is_recorded_before_the_first_session_is_done(client, ann):
    early = client.post(
        f"/api/v1/staff/courses/{ann['course']}/decision", json={"kind": "discharge"}
    )
    assert early.status_code == 422
    assert early.get_json()["error"]["fields"]["decision"] == (
        "Record a decision once the first session is done."
    )


def test_the_outcome_carries_the_scores_the_prompt_and_the_decisions(app, client, ann):
    body = client.get(f"/api/v1/staff/courses/{ann['course']}/outcome").get_json()
    assert body["outcome"]["status"] == "no_scores"
    assert body["outcome"]["prompt"] is None and body["outcome"]["decisions"] == []
    assert body["pain_scores"] == []
    recorded = client.post(
        f"/api/v1/staff/bookings/{ann['id']}/check-in",
        json={"pain": 8, "peg": {"pain": 8, "enjoyment": 7, "activity": 7}},
    )
    assert recorded.status_code == 200
    detail = recorded.get_json()
    assert detail["pain_scores"][0]["entered_by"] == "staff"
    assert detail["pain_scores"][0]["peg"] == 7.3
    assert detail["course"]["outcome"]["status"] == "too_few_scores"
    assert detail["course"]["outcome"]["prompt"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"kind": "pause"}, "decision", id="unknown-kind"),
        pytest.param({"kind": "refer", "refer_to": "astrology"}, "refer_to", id="unknown-referral"),
        pytest.param(
            {"kind": "continue", "planned_sessions": 10}, "reason", id="continue-without-why"
        ),
        pytest.param(
            {"kind": "continue", "reason": "Slow start"}, "planned_sessions", id="no-plan"
        ),
        pytest.param(
            {"kind": "continue", "reason": "Slow start", "planned_sessions": 0},
            "planned_sessions",
            id="plan-of-nothing",
        ),
        pytest.param({"kind": "discharge", "reason": 12}, "reason", id="reason-not-text"),
        pytest.param({"kind": "discharge", "mood": "good"}, "mood", id="unknown-field"),
        pytest.param({"kind": "discharge", "reason": "a\x00b"}, "reason", id="control-character"),
    ],
)
def test_a_decision_that_cannot_be_stored_is_refused(app, client, visited, body, field):
    ann = visited
    response = client.post(f"/api/v1/staff/courses/{ann['course']}/decision", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    outcome = client.get(f"/api/v1/staff/courses/{ann['course']}/outcome").get_json()
    assert outcome["outcome"]["decisions"] == []


def test_continuing_sets_the_new_plan_and_a_referral_gives_its_letter(app, client, visited):
    ann = visited
    made = client.post(
        f"/api/v1/staff/courses/{ann['course']}/decision",
        json={"kind": "continue", "reason": "Acute flare; give it longer", "planned_sessions": 12},
    )
    assert made.status_code == 201
    assert made.get_json()["label"] == "Continue the course"
    with app.app_context():
        assert db.session.get(Course, ann["course"]).planned_sessions == 12
    referred = client.post(
        f"/api/v1/staff/courses/{ann['course']}/decision",
        json={"kind": "refer", "refer_to": "orthopaedic", "reason": "Suspected disc lesion"},
    )
    body = referred.get_json()
    assert body["label"] == "Referred out: Orthopaedic specialist"
    letter = client.get(body["letter_url"])
    assert letter.status_code == 200
    assert "Suspected disc lesion" in letter.get_data(as_text=True)
    outcome = client.get(f"/api/v1/staff/courses/{ann['course']}/outcome").get_json()
    assert outcome["outcome"]["status"] == "referred"
    assert [d["kind"] for d in outcome["outcome"]["decisions"]] == ["continue", "refer"]


def test_a_clearance_through_the_api_answers_a_flag_reported_before_the_visit(app, client, ann):
    patient = app.test_client()
    flagged = patient.post(
        f"/api/v1/bookings/{ann['manage_token']}/check-in",
        json={"pain": 5, "new_red_flags": {**NO_FLAGS, "weight_loss": True}},
    )
    assert flagged.get_json()["red_flags"]["urgent"] is False
    nothing = client.post(
        f"/api/v1/staff/bookings/{ann['id']}/clearance", json={"cleared_by": "Dr Ruiz"}
    )
    assert nothing.status_code == 422 and "cleared_on" in nothing.get_json()["error"]["fields"]
    today = clinic_today().isoformat()
    cleared = client.post(
        f"/api/v1/staff/bookings/{ann['id']}/clearance",
        json={"cleared_by": "Dr Ruiz", "cleared_on": today, "note": "Thyroid; treated"},
    )
    assert cleared.status_code == 200
    again = client.post(
        f"/api/v1/staff/bookings/{ann['id']}/clearance",
        json={"cleared_by": "Dr Ruiz", "cleared_on": today},
    )
    assert again.status_code == 422  # nothing is waiting any more
    with app.app_context():
        assert db.session.execute(db.select(DoctorClearance.red_flags)).scalar_one() == [
            "weight_loss"
        ]


def test_patients_cannot_reach_the_staff_outcome_api(app, make_booking):
    make_booking(days_ahead=2, **ANN)
    with app.app_context():
        course_id = db.session.execute(db.select(Course.id)).scalar_one()
    anonymous = app.test_client()
    assert anonymous.get(f"/api/v1/staff/courses/{course_id}/outcome").status_code == 401
    refused = anonymous.post(
        f"/api/v1/staff/courses/{course_id}/decision", json={"kind": "discharge"}
    )
    assert refused.status_code == 401
    with app.app_context():
        assert db.session.execute(db.select(CourseDecision)).first() is None
