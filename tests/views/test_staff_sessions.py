"""Staff sessions held on the server: sign-out that holds, idle and absolute timeouts."""

from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.models import AuditEntry, StaffSession
from booking.models.base import utcnow


def copy_of(app, client):
    """A second browser holding the very same cookies, as a stolen cookie would be."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return thief


def age_sessions(app, **ago):
    """Move every open session back in time: created_at=..., last_seen_at=..."""
    with app.app_context():
        for row in db.session.execute(db.select(StaffSession)).scalars():
            for column, delta in ago.items():
                setattr(row, column, utcnow() - delta)
        db.session.commit()


def test_a_copied_cookie_stops_working_once_its_owner_signs_out(app, client, auth):
    auth.login()
    thief = copy_of(app, client)
    assert thief.get("/api/v1/staff/patients?q=ann").status_code == 200

    auth.logout()

    assert thief.get("/api/v1/staff/patients?q=ann").status_code == 401
    assert thief.get("/staff/").status_code == 302


def test_a_session_left_unused_for_the_idle_time_ends(app, client, auth):
    auth.login()
    age_sessions(app, last_seen_at=timedelta(minutes=31))

    response = client.get("/staff/")

    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_session_in_use_stays_open_and_is_kept_alive(app, client, auth):
    auth.login()
    age_sessions(app, last_seen_at=timedelta(minutes=29))
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        row = db.session.execute(db.select(StaffSession)).scalar_one()
        assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_no_session_outlives_its_absolute_lifetime(app, client, auth):
    auth.login()
    age_sessions(app, created_at=timedelta(hours=12, minutes=1))

    assert client.get("/staff/").status_code == 302


def test_the_idle_time_is_a_setting(app, client, auth):
    app.config["STAFF_IDLE_MINUTES"] = 5
    auth.login()
    age_sessions(app, last_seen_at=timedelta(minutes=6))
    assert client.get("/staff/").status_code == 302


def test_sign_out_everywhere_ends_the_other_browsers_and_keeps_this_one(app, client, auth):
    email = auth.login()
    laptop = app.test_client()
    laptop.post("/login", data={"email": email, "password": "correct horse battery"})
    assert laptop.get("/staff/").status_code == 200
    page = client.get("/account/").get_data(as_text=True)
    assert "2 browsers" in page

    response = client.post("/account/sign-out-everywhere", follow_redirects=True)

    assert "Signed out of 1 other session" in response.get_data(as_text=True)
    assert laptop.get("/staff/").status_code == 302
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "account.sign_out_everywhere")
        ).scalar_one()
        assert entry.before == {"other_sessions": 1}
