"""The command-line tasks and the configuration layers."""

import re
from zoneinfo import ZoneInfo

import pytest

from booking import create_app
from booking.domain.statuses import STATUSES
from booking.extensions import db
from booking.models import (
    Booking,
    CheckIn,
    ClinicSettings,
    Course,
    CoursePlan,
    Patient,
    Practitioner,
    Service,
    User,
)
from booking.models.base import utcnow
from tests.conftest import PASSWORD
from tests.database import database_uri, fresh_database

SIGN_IN = re.compile(r"^\s+(owner|reception)\s+(\S+@\S+)\s+(\S+)$", re.MULTILINE)


def test_init_db_and_seed_demo_are_safe_to_run_twice(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite3'}"})
    runner = app.test_cli_runner()
    assert "Database ready" in runner.invoke(args=["init-db"]).output
    assert "Database ready" in runner.invoke(args=["init-db"]).output
    first = runner.invoke(args=["seed-demo"])
    assert "service neck-initial" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "already loaded" in second.output
    with app.app_context():
        slugs = set(db.session.execute(db.select(Service.slug)).scalars())
        assert slugs == {"neck-initial", "neck-follow-up", "back-initial", "back-follow-up"}
        practitioners = list(db.session.execute(db.select(Practitioner)).scalars())
        assert len(practitioners) == 3
        # Different hours: no two practitioners share a weekly timetable.
        timetables = {
            tuple((h.weekday, h.start_time, h.end_time) for h in p.hours) for p in practitioners
        }
        assert len(timetables) == 3
        for service in db.session.execute(db.select(Service)).scalars():
            assert 5000 <= service.price_cents <= 15000
        plans = {
            plan.condition: (
                plan.sessions_text,
                plan.first_service.slug,
                plan.follow_up_service.slug,
            )
            for plan in db.session.execute(db.select(CoursePlan)).scalars()
        }
        assert plans == {
            "neck": ("5/8/12", "neck-initial", "neck-follow-up"),
            "back": ("8/10/12", "back-initial", "back-follow-up"),
        }
        db.engine.dispose()


def test_environment_variables_choose_the_database_and_secret(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("BOOKING_DATABASE_URL", url)
    monkeypatch.setenv("BOOKING_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("BOOKING_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/booking.sqlite3")


def sign_ins(output: str) -> dict[str, tuple[str, str]]:
    """The demo sign-ins seed-demo printed: role -> (email, password)."""
    return {role: (email, password) for role, email, password in SIGN_IN.findall(output)}


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
        for model in (Booking, Patient, User, Course, CheckIn)
    }


def test_seed_demo_fills_a_fortnight_around_today(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Sample bookings:" in result.output and " added, " in result.output
    with app.app_context():
        bookings = list(db.session.execute(db.select(Booking)).scalars())
        now = utcnow()
        starts = sorted(b.start_at for b in bookings)
        assert starts[0] < now < starts[-1]
        assert (now - starts[0]).days >= 5 and (starts[-1] - now).days >= 5
        assert all(abs(b.start_at - now).days <= 9 for b in bookings)
        assert {b.status for b in bookings} == set(STATUSES)
        assert len({b.practitioner_id for b in bookings}) >= 2
        assert len({b.service_id for b in bookings}) == 4
        assert {b.source for b in bookings} >= {"online", "phone"}
        patients = list(db.session.execute(db.select(Patient)).scalars())
        assert all(
            p.email.rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"}
            for p in patients
        )
        # Courses of several sessions, with the patients' pain scores before them.
        per_course = {}
        for booking in bookings:
            per_course.setdefault(booking.course_id, []).append(booking)
        assert max(len(b) for course, b in per_course.items() if course) >= 4
        scores = list(db.session.execute(db.select(CheckIn)).scalars())
        assert len(scores) >= 6 and all(0 <= c.pain <= 10 for c in scores)
        zone = ZoneInfo(db.session.execute(db.select(ClinicSettings)).scalar_one().timezone)
        for booking in bookings:
            assert_in_working_hours(booking, zone)


def assert_in_working_hours(booking: Booking, zone: ZoneInfo) -> None:
    start, end = booking.start_at.astimezone(zone), booking.end_at.astimezone(zone)
    days = [h for h in booking.practitioner.hours if h.weekday == start.weekday()]
    assert any(
        h.start_time <= start.time()
        and end.time() <= h.end_time
        and not (h.break_start and start.time() < h.break_end and h.break_start < end.time())
        for h in days
    ), f"{booking.practitioner.name} does not work {start:%a %H:%M}-{end:%H:%M}"


def test_seed_demo_twice_adds_nothing_and_gives_new_sign_ins(app, runner, client):
    first = runner.invoke(args=["seed-demo"])
    with app.app_context():
        before = counts()
    second = runner.invoke(args=["seed-demo"])
    assert "Sample bookings: already in the diary." in second.output
    with app.app_context():
        assert counts() == before
    old, new = sign_ins(first.output), sign_ins(second.output)
    assert set(new) == {"owner", "reception"}
    assert "http://clinic.test/login" in second.output
    for role in ("owner", "reception"):
        email, password = new[role]
        assert old[role][0] == email and old[role][1] != password
        stale = client.post("/login", data={"email": email, "password": old[role][1]})
        assert stale.status_code == 401  # the first password is gone
        signed_in = client.post("/login", data={"email": email, "password": password})
        assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
        client.post("/logout")
    with app.app_context():
        roles = {u.email: u.role for u in db.session.execute(db.select(User)).scalars()}
        assert roles == {new["owner"][0]: "owner", new["reception"][0]: "reception"}


def test_seed_demo_leaves_a_clinic_with_staff_of_its_own_alone(app, runner, make_user):
    make_user("owner", email="owner@clinic.test", password=PASSWORD)
    result = runner.invoke(args=["seed-demo"])
    assert "staff account(s) of its own" in result.output
    assert not sign_ins(result.output)
    with app.app_context():
        assert counts()["Booking"] == 0
        assert counts()["User"] == 1


@pytest.mark.parametrize(
    ("config", "said"),
    [
        pytest.param({"PRODUCTION": True}, "none in production mode", id="production"),
        # A cron-style command with production mode left off, on a server with its own
        # secret key (as production requires): still no demo owner, no made-up patients.
        pytest.param({}, "a secret key of its own", id="own-secret-without-production"),
    ],
)
def test_seed_demo_on_a_real_clinic_makes_no_accounts_and_prints_no_secret(tmp_path, config, said):
    app = create_app(
        {
            **config,
            "SECRET_KEY": "a-long-production-secret-of-forty-characters",
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        }
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        fresh_database(app)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert said in result.output
    assert not sign_ins(result.output) and "password" not in result.output.lower()
    with app.app_context():
        assert counts()["User"] == 0 and counts()["Booking"] == 0
        db.engine.dispose()
