"""The command-line tasks and the configuration layers."""

from booking import create_app
from booking.extensions import db
from booking.models import CoursePlan, Practitioner, Service


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
