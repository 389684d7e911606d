"""Is the course working: answers before each visit, the trend, the prompt to review or
refer out, the decision and its letter, a doctor's clearance, and the owner's figures."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from booking.extensions import db
from booking.models import (
    AuditEntry,
    Booking,
    CheckIn,
    ClinicSettings,
    Course,
    CourseDecision,
    DoctorClearance,
    OutboxMessage,
)
from booking.models.base import utcnow
from tests.conftest import NO_FLAGS


def clinic_today():
    """Today in the demo clinic's timezone (the day a doctor can have seen someone)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("America/New_York")).date()


ANN = {"name": "Ann Lee", "email": "ann@example.com", "phone": "207 555 0100"}
NO_NEW = {f"new_{key}": "no" for key in NO_FLAGS}


def squeezed(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def booking_id(app, reference: str) -> int:
    with app.app_context():
        return db.session.execute(db.select(Booking.id).filter_by(reference=reference)).scalar_one()


def letter_text(response) -> str:
    """The letter itself, without the page's messages around it."""
    html = response.get_data(as_text=True)
    return squeezed_html(html[html.index('<article class="letter">') : html.index("</article>")])


def squeezed_html(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def happened(app, booking_id: int, days_ago: float) -> None:
    """Time passes: the visit took place this long ago, at the same length."""
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        length, held = booking.end_at - booking.start_at, booking.blocked_until - booking.start_at
        start = utcnow().replace(second=0, microsecond=0) - timedelta(days=days_ago)
        booking.start_at, booking.end_at, booking.blocked_until = (
            start,
            start + length,
            start + held,
        )
        db.session.commit()


def check_in(client, token: str, **body):
    return client.post(f"/api/v1/bookings/{token}/check-in", json=body)


def no_new_flags(**yes) -> dict:
    return {key: key in yes for key in NO_FLAGS}


# --- the patient's answers before a visit ------------------------------------------------


def test_the_manage_page_asks_the_pain_and_the_check_in_stores_it_with_who_and_when(
    app, client, make_booking
):
    first = make_booking(days_ahead=2, **ANN)
    token = first["manage_token"]
    page = squeezed(client.get(f"/manage/{token}"))
    assert "Before your visit: how has your pain been?" in page
    assert 'name="pain" value="7"' in client.get(f"/manage/{token}").get_data(as_text=True)

    opened = client.get(f"/manage/{token}/check-in?pain=7")
    html = opened.get_data(as_text=True)
    assert re.search(r'value="7"[^>]*checked|checked[^>]*value="7"', html)
    assert "What was your pain on average over the last 24 hours?" in html
    # The first consultation asks the PEG too.
    assert "enjoyment of life" in html and "general activity" in html
    with app.app_context():
        assert db.session.execute(db.select(CheckIn)).first() is None  # opening stores nothing

    missing_peg = client.post(f"/manage/{token}/check-in", data={"pain": "7", **NO_NEW})
    assert missing_peg.status_code == 422
    assert "Please choose a number from 0 to 10." in squeezed(missing_peg)

    sent = client.post(
        f"/manage/{token}/check-in",
        data={"pain": "7", "peg_pain": "8", "peg_enjoyment": "6", "peg_activity": "7", **NO_NEW},
    )
    assert sent.status_code == 302
    back = squeezed(client.get(sent.headers["Location"]))
    assert "Thank you: your answers are with" in back
    assert "you told us 7 out of 10" in back
    with app.app_context():
        row = db.session.execute(db.select(CheckIn)).scalar_one()
        assert (row.pain, row.peg_total, row.new_red_flags, row.entered_by_id) == (7, 21, [], None)
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="check_in.record")
        ).scalar_one()
        assert entry.actor_kind == "patient" and entry.after["pain"] == 7
    body = client.get(f"/api/v1/bookings/{token}").get_json()
    assert body["pain_scores"] == [
        {
            "session": 1,
            "booking": first["reference"],
            "start": first["start"],
            "pain": 7,
            "peg": 7,
            "entered_by": "patient",
            "entered_at": body["pain_scores"][0]["entered_at"],
        }
    ]
    assert body["course"]["outcome"]["status"] == "too_few_scores"
    assert "prompt" not in body["course"]["outcome"]  # the prompt is for staff


def test_the_questions_open_three_days_before_a_visit(app, client, make_booking):
    later = make_booking(days_ahead=10, **ANN)
    token = later["manage_token"]
    assert "how has your pain been" not in squeezed(client.get(f"/manage/{token}"))
    refused = client.get(f"/manage/{token}/check-in?pain=3")
    assert refused.status_code == 302
    assert "open three days before it" in squeezed(client.get(refused.headers["Location"]))
    api = check_in(client, token, pain=3)
    assert api.status_code == 409
    assert api.get_json()["error"]["code"] == "check_in_closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"pain": 11}, "pain", id="above-10"),
        pytest.param({"pain": -1}, "pain", id="below-0"),
        pytest.param({"pain": "7"}, "pain", id="text"),
        pytest.param({"pain": 6.5}, "pain", id="fraction"),
        pytest.param({"pain": True}, "pain", id="boolean"),
        pytest.param({"pain": 4, "mood": 3}, "mood", id="unknown-key"),
        pytest.param(
            {"pain": 4, "new_red_flags": {**no_new_flags(), "headache": True}},
            "new_red_flags.headache",
            id="unknown-symptom",
        ),
        pytest.param(
            {"pain": 4, "new_red_flags": {"fever": False}},
            "new_red_flags.trauma",
            id="symptom-missing",
        ),
        pytest.param(
            {"pain": 4, "peg": {"pain": 5, "enjoyment": 3}}, "peg.activity", id="peg-short"
        ),
        pytest.param(
            {"pain": 4, "peg": {"pain": 5, "enjoyment": 3, "activity": 12}},
            "peg.activity",
            id="peg-above-10",
        ),
        pytest.param({}, "pain", id="nothing"),
        pytest.param({"disability": 30}, "disability", id="disability-is-for-staff"),
    ],
)
def test_the_check_in_api_refuses_what_it_cannot_store(app, client, make_booking, body, field):
    token = make_booking(days_ahead=2, **ANN)["manage_token"]
    response = check_in(client, token, **body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.execute(db.select(CheckIn)).first() is None


def test_a_new_red_flag_cancels_nothing_tells_reception_and_waits_for_a_clearance(
    app, client, auth, make_booking
):
    first = make_booking(days_ahead=2, **ANN)
    token, booking = first["manage_token"], booking_id(app, first["reference"])
    answered = check_in(client, token, pain=6, new_red_flags=no_new_flags(numbness_weakness=True))
    assert answered.status_code == 200
    body = answered.get_json()
    assert body["status"] == "booked"
    assert body["red_flags"]["reported"] == ["numbness_weakness"]
    assert body["red_flags"]["urgent"] is True and body["red_flags"]["booking_kept"] is True
    # Answering "nothing new" afterwards does not take the flag back.
    again = check_in(client, token, pain=5, new_red_flags=no_new_flags()).get_json()
    assert again["red_flags"]["reported"] == ["numbness_weakness"]
    with app.app_context():
        notices = (
            db.session.execute(db.select(OutboxMessage).filter_by(kind="clinic_check_in"))
            .scalars()
            .all()
        )
        assert len(notices) == 1 and notices[0].booking_id == booking
        assert "numbness" not in notices[0].subject.lower()

    auth.login("reception")
    day = first["start"][:10]
    calendar = squeezed(client.get(f"/staff/?date={day}"))
    assert "Red flags reported before a visit this day" in calendar
    assert "Numbness or weakness getting worse" in calendar
    page = squeezed(client.get(f"/staff/bookings/{booking}"))
    assert "Red flag reported before this visit" in page
    assert "urgently" in page

    refused = client.post(
        f"/staff/bookings/{booking}/clearance", data={"cleared_by": "", "cleared_on": ""}
    )
    assert "Give the doctor who cleared the patient" in squeezed(
        client.get(refused.headers["Location"])
    )
    today = clinic_today().isoformat()
    cleared = client.post(
        f"/staff/bookings/{booking}/clearance",
        data={
            "cleared_by": "Dr Ana Ruiz, Main Street Surgery",
            "cleared_on": today,
            "note": "MRI clear",
        },
    )
    after = squeezed(client.get(cleared.headers["Location"]))
    assert "the visit is no longer flagged" in after
    assert "Red flag reported before this visit" not in after
    assert "Dr Ana Ruiz, Main Street Surgery" in after
    assert "Red flags reported before a visit this day" not in squeezed(
        client.get(f"/staff/?date={day}")
    )
    with app.app_context():
        row = db.session.execute(db.select(DoctorClearance)).scalar_one()
        assert row.red_flags == ["numbness_weakness"] and row.booking_id == booking
        assert (
            db.session.execute(db.select(AuditEntry).filter_by(action="clearance.record"))
            .scalar_one()
            .user_id
            is not None
        )


def test_a_cancelled_booking_takes_no_answers(client, make_booking):
    first = make_booking(days_ahead=2, **ANN)
    client.post(f"/api/v1/bookings/{first['manage_token']}/cancel", json={})
    response = check_in(client, first["manage_token"], pain=3)
    assert response.status_code == 409
    assert "cancelled" in response.get_json()["error"]["message"]


# --- the practitioner's scores -----------------------------------------------------------


def test_the_practitioner_records_and_corrects_a_visits_scores(app, client, auth, make_booking):
    first = make_booking(days_ahead=2, **ANN)
    booking = booking_id(app, first["reference"])
    check_in(client, first["manage_token"], pain=8, new_red_flags=no_new_flags())
    auth.login("reception")
    corrected = client.post(
        f"/staff/bookings/{booking}/scores",
        data={"pain": "6", "peg_pain": "7", "peg_enjoyment": "5", "peg_activity": "6"},
    )
    page = squeezed(client.get(corrected.headers["Location"]))
    assert "Scores saved." in page
    assert "Pain 6 /10 · PEG 6 (7, 5, 6)" in page
    assert "· entered by Reception" in page or re.search(r"· entered by (?!the patient)", page)
    refused = client.post(
        f"/staff/bookings/{booking}/scores", data={"peg_pain": "7", "peg_enjoyment": "5"}
    )
    assert "Each answer must be a whole number from 0 to 10." in squeezed(
        client.get(refused.headers["Location"])
    )
    no_licence = client.post(f"/staff/bookings/{booking}/scores", data={"disability": "30"})
    assert "No licensed disability index" in squeezed(client.get(no_licence.headers["Location"]))
    with app.app_context():
        row = db.session.execute(db.select(CheckIn)).scalar_one()
        assert (row.pain, row.peg_total, row.disability) == (6, 18, None)
        assert row.entered_by_id is not None
        corrections = (
            db.session.execute(
                db.select(AuditEntry).filter_by(action="check_in.record").order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert [(e.before or {}).get("pain") for e in corrections] == [None, 8]
        assert corrections[-1].after["pain"] == 6


def test_a_licensed_disability_index_is_recorded_once_the_owner_confirms_the_licence(
    app, client, auth, make_booking
):
    first = make_booking(days_ahead=2, **ANN)
    booking = booking_id(app, first["reference"])
    with app.app_context():
        db.session.execute(db.select(ClinicSettings)).scalar_one().ndi_licensed = True
        db.session.commit()
    auth.login("reception")
    assert "Neck Disability Index (%), licensed" in squeezed(
        client.get(f"/staff/bookings/{booking}")
    )
    too_high = client.post(f"/staff/bookings/{booking}/scores", data={"disability": "140"})
    assert "from 0 to 100" in squeezed(client.get(too_high.headers["Location"]))
    client.post(f"/staff/bookings/{booking}/scores", data={"pain": "5", "disability": "32"})
    with app.app_context():
        row = db.session.execute(db.select(CheckIn)).scalar_one()
        assert (row.disability, row.disability_measure) == (32, "ndi")


# --- a way back after a red flag at booking ---------------------------------------------


def staff_booking_form(app, slot, **answers) -> dict:
    return {
        "service": "neck-initial",
        "source": "phone",
        "patient_id": "",
        "name": "Bo Reyes",
        "phone": "207 555 0199",
        "email": "bo@example.com",
        "disclaimer_read": "y",
        **{key: "no" for key in NO_FLAGS},
        **answers,
    }


def test_reception_books_a_red_flag_patient_once_a_doctor_has_cleared_them(
    app, client, auth, free_slot
):
    auth.login("reception")
    slot = free_slot("neck-initial", days_ahead=3)
    url = f"/staff/bookings/new?start={slot.start.isoformat()}&practitioner={slot.practitioner_id}"
    flagged = staff_booking_form(
        app, slot, cancer_history="yes", cancer_active="yes", cancer_pain_known="yes"
    )
    refused = client.post(url, data=flagged)
    assert refused.status_code == 422
    page = squeezed(refused)
    assert "Not booked: the patient should see a doctor first" in page
    assert "Cancer that is active or recent" in page
    assert "record the clearance and book" in page

    half = client.post(url, data={**flagged, "doctor_cleared": "y"})
    assert half.status_code == 422
    assert "Give the doctor who cleared the patient" in squeezed(half)
    with app.app_context():
        assert db.session.execute(db.select(Booking)).first() is None

    today = clinic_today().isoformat()
    booked = client.post(
        url,
        data={
            **flagged,
            "doctor_cleared": "y",
            "cleared_by": "Dr Kim, oncology",
            "cleared_on": today,
            "clearance_note": "Remission; fine for acupuncture",
        },
    )
    assert booked.status_code == 302
    page = squeezed(client.get(booked.headers["Location"]))
    assert "Booked after a doctor's clearance: Dr Kim, oncology" in page
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        row = db.session.execute(db.select(DoctorClearance)).scalar_one()
        assert (row.booking_id, row.red_flags, row.cleared_by) == (
            booking.id,
            ["cancer_history"],
            "Dr Kim, oncology",
        )
        assert booking.screening["cancer_active"] is True


def test_a_past_cancer_known_to_the_doctor_books_online_without_a_clearance(
    app, client, free_slot, booking_payload
):
    slot = free_slot("neck-initial", days_ahead=3)
    body = booking_payload(slot)
    body["screening"] = {
        **NO_FLAGS,
        "cancer_history": True,
        "cancer_active": False,
        "cancer_pain_known": True,
    }
    assert client.post("/api/v1/bookings", json=body).status_code == 201
    refused = booking_payload(free_slot("neck-initial", days_ahead=4))
    refused["screening"] = {**NO_FLAGS, "cancer_history": True}
    answer = client.post("/api/v1/bookings", json=refused)
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "red_flag"


def test_the_staff_api_books_with_a_clearance_and_checks_it(app, client, auth, free_slot):
    auth.login("reception")
    slot = free_slot("neck-initial", days_ahead=3)
    body = {
        "service": "neck-initial",
        "start": slot.start.isoformat(),
        "practitioner": slot.practitioner_id,
        "patient": {"name": "Bo Reyes", "email": "bo@example.com", "phone": "207 555 0199"},
        "source": "phone",
        "screening": {**NO_FLAGS, "trauma": True},
        "disclaimer_read": True,
    }
    assert (
        client.post("/api/v1/staff/bookings", json=body).get_json()["error"]["code"] == "red_flag"
    )
    future = (clinic_today() + timedelta(days=2)).isoformat()
    bad = client.post(
        "/api/v1/staff/bookings",
        json={**body, "clearance": {"cleared_by": "Dr Ruiz", "cleared_on": future}},
    )
    assert bad.status_code == 422 and "cleared_on" in bad.get_json()["error"]["fields"]
    today = clinic_today().isoformat()
    made = client.post(
        "/api/v1/staff/bookings",
        json={**body, "clearance": {"cleared_by": "Dr Ruiz", "cleared_on": today}},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(DoctorClearance.cleared_by)).scalar_one() == "Dr Ruiz"


# --- end to end: eight visits that do not help ------------------------------------------


def test_a_course_that_does_not_improve_prompts_review_then_referral_and_the_owner_sees_it(
    app, client, auth, make_booking, make_user, start_now
):
    """Ann books her first consultation and the rest of the course (8 in all), answers
    7 out of 10 before every visit, and reception marks each visit done."""
    first = make_booking(days_ahead=2, **ANN)
    rest = client.post(f"/api/v1/bookings/{first['manage_token']}/course", json={})
    assert rest.status_code == 201, rest.get_data(as_text=True)
    sessions = [(first["reference"], first["manage_token"])] + [
        (b["reference"], b["manage_token"]) for b in rest.get_json()["bookings"]
    ]
    assert len(sessions) == 8
    desk = app.test_client()
    desk.post("/login", data={"email": make_user("reception"), "password": "correct horse battery"})
    seen = {}
    for number, (reference, token) in enumerate(sessions, 1):
        visit = booking_id(app, reference)
        start_now(visit)  # the visit is starting: the patient answers from their link
        peg = {"pain": 7, "enjoyment": 6, "activity": 6} if number in (1, 4, 8) else None
        answered = check_in(
            client, token, pain=7, new_red_flags=no_new_flags(), **({"peg": peg} if peg else {})
        )
        assert answered.status_code == 200, answered.get_data(as_text=True)
        page = squeezed(desk.get(f"/staff/bookings/{visit}"))
        seen[number] = (
            "Review progress" in page,
            "Consider referring out" in page,
        )
        done = desk.post(f"/staff/bookings/{visit}/status", data={"status": "fulfilled"})
        assert done.status_code == 302
        happened(app, visit, days_ago=(9 - number) * 7)
    # Nothing until half the plan (4 of 8) is done; a review from the fifth visit on.
    assert seen == {
        1: (False, False),
        2: (False, False),
        3: (False, False),
        4: (False, False),
        5: (True, False),
        6: (True, False),
        7: (True, False),
        8: (True, False),
    }
    last = booking_id(app, sessions[-1][0])
    after = squeezed(desk.get(f"/staff/bookings/{last}"))
    assert "Consider referring out" in after
    assert "All 8 planned sessions are done without a meaningful improvement" in after
    assert "Pain 7 → 7 (no change): no meaningful improvement yet" in after

    with app.app_context():
        course_id = db.session.execute(db.select(Course.id)).scalar_one()
    staff_api = desk.get(f"/api/v1/staff/courses/{course_id}/outcome").get_json()
    assert staff_api["outcome"]["prompt"]["level"] == "refer"
    assert staff_api["outcome"]["status"] == "not_improving"
    assert [s["pain"] for s in staff_api["pain_scores"]] == [7] * 8

    refused = desk.post(
        f"/staff/courses/{course_id}/decision",
        data={"decision": "refer", "reason": "No change after 8 sessions.", "from_booking": last},
    )
    assert "Choose who the patient is referred to." in squeezed(
        desk.get(refused.headers["Location"])
    )
    referred = desk.post(
        f"/staff/courses/{course_id}/decision",
        data={
            "decision": "refer",
            "refer_to": "physiotherapy",
            "reason": "No change after 8 sessions; please assess for a graded exercise plan.",
            "from_booking": last,
        },
    )
    letter = squeezed(desk.get(referred.headers["Location"]))
    assert "Referral: Ann Lee" in letter
    assert "To: the physiotherapist" in letter
    assert "we are referring them to you for physiotherapy" in letter
    assert "Sessions attended 8 (planned: 8)" in letter
    assert "please assess for a graded exercise plan" in letter
    assert "Pain 7 → 7 (no change)" in letter
    after = squeezed(desk.get(f"/staff/bookings/{last}"))
    assert "Consider referring out" not in after
    assert "Referred out: Physiotherapy" in after

    patient = client.get(f"/api/v1/bookings/{sessions[-1][1]}").get_json()
    assert patient["course"]["outcome"]["status"] == "referred"
    assert patient["course"]["outcome"]["decision"]["refer_to"] == "physiotherapy"
    manage = squeezed(client.get(f"/manage/{sessions[-1][1]}"))
    assert "How you are getting on" in manage and "referred you on (Physiotherapy)" in manage

    owner = app.test_client()
    owner.post("/login", data={"email": make_user("owner"), "password": "correct horse battery"})
    today = utcnow().date()
    span = {"from": (today - timedelta(days=70)).isoformat(), "to": today.isoformat()}
    report = owner.get("/admin/reports", query_string=span)
    assert "Course outcomes" in squeezed(report)
    assert "Referred to: Physiotherapy 1." in squeezed(report)
    csv = owner.get("/admin/reports/outcomes.csv", query_string=span).get_data(as_text=True)
    lines = csv.splitlines()
    assert lines[0].startswith("Courses,Courses (count),With scores to compare,Improved")
    assert lines[-1] == "All courses,1,1,0,0.0,1,0,0,"
    with app.app_context():
        decision = db.session.execute(db.select(CourseDecision)).scalar_one()
        assert (decision.at_session, decision.prompted) == (8, "refer")


# --- the patient's rights ---------------------------------------------------------------


def test_the_export_holds_the_answers_and_erasure_keeps_only_nameless_scores(
    app, client, auth, make_booking, make_user, start_now
):
    from booking.models import User
    from booking.services.privacy import erase_patient, export_patient

    first = make_booking(days_ahead=2, **ANN)
    booking = booking_id(app, first["reference"])
    check_in(client, first["manage_token"], pain=6, new_red_flags=no_new_flags(fever=True))
    auth.login("reception")
    client.post(
        f"/staff/bookings/{booking}/clearance",
        data={
            "cleared_by": "Dr Ana Ruiz",
            "cleared_on": clinic_today().isoformat(),
            "note": "Viral",
        },
    )
    with app.app_context():
        course = db.session.execute(db.select(Course)).scalar_one()
        course_id, patient_id = course.id, course.patient_id
    start_now(booking)
    client.post(f"/staff/bookings/{booking}/status", data={"status": "fulfilled"})
    decided = client.post(
        f"/staff/courses/{course_id}/decision",
        data={"decision": "discharge", "reason": "Ann feels well after her daughter's wedding"},
    )
    assert "Recorded: Discharge as improved." in squeezed(client.get(decided.headers["Location"]))
    with app.app_context():
        from booking.models import Patient

        record = export_patient(db.session.get(Patient, patient_id))
        (exported,) = record["bookings"]
        assert exported["before_the_visit"]["pain"] == 6
        # What was reported, answered by the doctor's clearance.
        assert exported["before_the_visit"]["new_red_flags"] == []
        (cleared,) = record["doctor_clearances"]
        assert cleared["red_flags"] == ["A fever, or feeling generally unwell"]
        assert (cleared["cleared_by"], cleared["booking"]) == ("Dr Ana Ruiz", exported["reference"])
        assert record["courses"][0]["decisions"][0]["note"].startswith("Ann feels well")

    owner_email = make_user("owner")
    with app.app_context():
        from booking.models import Patient

        owner = db.session.execute(db.select(User).filter_by(email=owner_email)).scalar_one()
        erase_patient(db.session.get(Patient, patient_id), actor=owner)

        row = db.session.execute(db.select(CheckIn)).scalar_one()
        assert (row.pain, row.new_red_flags) == (6, None)  # the score counts, nameless
        clearance = db.session.execute(db.select(DoctorClearance)).scalar_one()
        assert (clearance.cleared_by, clearance.note, clearance.red_flags) == ("[erased]", "", [])
        assert db.session.execute(db.select(CourseDecision.reason)).scalar_one() == ""
        logged = " ".join(
            str((e.before, e.after, e.summary))
            for e in db.session.execute(db.select(AuditEntry)).scalars()
        )
        for secret in ("Dr Ana Ruiz", "Viral", "wedding", "'fever'"):
            assert secret not in logged


def test_a_symptom_reported_again_at_a_later_visit_after_a_clearance_is_news_again(
    app, client, auth, make_booking, start_now
):
    first = make_booking(days_ahead=2, **ANN)
    token, visit = first["manage_token"], booking_id(app, first["reference"])
    check_in(client, token, pain=6, new_red_flags=no_new_flags(fever=True))
    auth.login("reception")
    client.post(
        f"/staff/bookings/{visit}/clearance",
        data={"cleared_by": "Dr Ana Ruiz", "cleared_on": clinic_today().isoformat()},
    )
    start_now(visit)
    client.post(f"/staff/bookings/{visit}/status", data={"status": "fulfilled"})
    happened(app, visit, days_ago=7)
    with app.app_context():  # the clearance came before that visit
        db.session.execute(db.select(DoctorClearance)).scalar_one().recorded_at -= timedelta(days=8)
        db.session.commit()
    second = make_booking(service="neck-follow-up", days_ahead=2, **ANN)
    quiet = check_in(client, second["manage_token"], pain=5, new_red_flags=no_new_flags())
    assert quiet.get_json()["red_flags"] is None
    again = check_in(client, second["manage_token"], pain=5, new_red_flags=no_new_flags(fever=True))
    assert again.get_json()["red_flags"]["reported"] == ["fever"]
    later = booking_id(app, second["reference"])
    assert "Red flag reported before this visit" in squeezed(client.get(f"/staff/bookings/{later}"))
    with app.app_context():
        kinds = db.session.execute(
            db.select(OutboxMessage.kind).filter_by(kind="clinic_check_in")
        ).scalars()
        assert len(list(kinds)) == 2


# --- a red flag stays with the patient until a doctor clears it -------------------------


def test_a_flag_not_cleared_follows_the_patient_to_the_next_visit_and_stops_online_booking(
    app, client, auth, make_booking, start_now
):
    first = make_booking(days_ahead=2, **ANN)
    token, visit = first["manage_token"], booking_id(app, first["reference"])
    check_in(client, token, pain=6, new_red_flags=no_new_flags(numbness_weakness=True))
    refused = client.post(f"/api/v1/bookings/{token}/course", json={})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "red_flag_waiting"
    manage = squeezed(client.get(f"/manage/{token}"))
    assert "Please see a doctor first" in manage and "Choose my dates" not in manage
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 1

    auth.login("reception")
    start_now(visit)
    client.post(f"/staff/bookings/{visit}/status", data={"status": "fulfilled"})
    happened(app, visit, days_ago=7)
    second = make_booking(service="neck-follow-up", days_ahead=2, staff=True, **ANN)
    later = booking_id(app, second["reference"])
    page = squeezed(client.get(f"/staff/bookings/{later}"))
    assert "Red flag reported before a visit" in page
    assert "Numbness or weakness getting worse" in page
    day = squeezed(client.get(f"/staff/?date={second['start'][:10]}"))
    assert "Red flags reported before a visit this day" in day
    client.post(
        f"/staff/bookings/{later}/clearance",
        data={"cleared_by": "Dr Ana Ruiz", "cleared_on": clinic_today().isoformat()},
    )
    assert "Red flag reported" not in squeezed(client.get(f"/staff/bookings/{later}"))
    assert (
        client.post(f"/api/v1/bookings/{token}/course", json={"preview": True}).status_code == 200
    )


def test_changing_answers_after_a_clearance_does_not_raise_the_same_flag_again(
    app, client, auth, make_booking
):
    first = make_booking(days_ahead=2, **ANN)
    token, visit = first["manage_token"], booking_id(app, first["reference"])
    check_in(client, token, pain=6, new_red_flags=no_new_flags(fever=True))
    auth.login("reception")
    client.post(
        f"/staff/bookings/{visit}/clearance",
        data={"cleared_by": "Dr Ana Ruiz", "cleared_on": clinic_today().isoformat()},
    )
    patient = app.test_client()
    form = patient.get(f"/manage/{token}/check-in").get_data(as_text=True)
    # The answers come back as given: fever still ticked yes, pain 6.
    assert re.search(r'<input checked[^>]*name="new_fever"[^>]*value="yes"', form)
    assert re.search(r'<input checked[^>]*name="pain"[^>]*value="6"', form)
    again = check_in(patient, token, pain=4, new_red_flags=no_new_flags(fever=True)).get_json()
    assert again["red_flags"] is None
    with app.app_context():
        from booking.services import clearances

        assert clearances.waiting_flags(db.session.get(Booking, visit).patient) == []
        notices = db.session.execute(
            db.select(OutboxMessage).filter_by(kind="clinic_check_in")
        ).scalars()
        assert len(list(notices)) == 1


def test_odd_digits_and_clearance_mistakes_get_a_message_never_a_500(
    app, client, auth, make_booking, free_slot
):
    first = make_booking(days_ahead=2, **ANN)
    token, visit = first["manage_token"], booking_id(app, first["reference"])
    assert client.get(f"/manage/{token}/check-in?pain=%C2%B2").status_code == 200
    auth.login("reception")
    for data in ({"disability": "²"}, {"pain": "٣"}):
        answer = client.post(f"/staff/bookings/{visit}/scores", data=data)
        assert answer.status_code == 302
    with app.app_context():
        course_id = db.session.execute(db.select(Course.id)).scalar_one()
    odd = client.post(
        f"/staff/courses/{course_id}/decision",
        data={"decision": "continue", "reason": "x", "planned_sessions": "²"},
    )
    assert odd.status_code == 302
    slot = free_slot("neck-initial", days_ahead=4)
    url = f"/staff/bookings/new?start={slot.start.isoformat()}&practitioner={slot.practitioner_id}"
    flagged = staff_booking_form(app, slot, trauma="yes")
    kept = client.post(url, data={**flagged, "doctor_cleared": "y", "cleared_by": "D" * 250})
    assert kept.status_code == 422
    html = kept.get_data(as_text=True)
    assert 'name="cleared_by"' in html and 'name="doctor_cleared"' in html
    assert "Keep under 200." in squeezed(kept)


def test_the_referral_letter_reads_as_it_did_when_it_was_written(
    app, client, auth, make_booking, start_now
):
    first = make_booking(days_ahead=2, **ANN)
    visit = booking_id(app, first["reference"])
    start_now(visit)
    check_in(client, first["manage_token"], pain=7, new_red_flags=no_new_flags())
    auth.login("reception")
    client.post(f"/staff/bookings/{visit}/status", data={"status": "fulfilled"})
    happened(app, visit, days_ago=14)
    upcoming = make_booking(service="neck-follow-up", days_ahead=2, **ANN)
    check_in(client, upcoming["manage_token"], pain=9, new_red_flags=no_new_flags())
    with app.app_context():
        course_id = db.session.execute(db.select(Course.id)).scalar_one()
    referred = client.post(
        f"/staff/courses/{course_id}/decision",
        data={"decision": "refer", "refer_to": "gp", "reason": "Worse at night"},
    )
    letter_url = referred.headers["Location"]
    with app.app_context():
        # Written a week ago, a week after the first visit.
        decision = db.session.execute(db.select(CourseDecision)).scalar_one()
        decision.decided_at -= timedelta(days=7)
        db.session.commit()
    before = letter_text(client.get(letter_url))
    assert "Sessions attended 1 (planned: 8)" in before
    assert "To: the patient's GP or doctor" in before
    assert "for a medical review" in before
    # The answer before the visit still to come is not in the letter.
    assert "One score so far" in before and "→ 9" not in before
    later = booking_id(app, upcoming["reference"])
    start_now(later)
    client.post(f"/staff/bookings/{later}/status", data={"status": "fulfilled"})
    assert letter_text(client.get(letter_url)) == before
