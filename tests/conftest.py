"""Shared fixtures: a fresh app on its own SQLite file per test, seeded with the demo clinic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

import pytest

from booking import create_app
from booking.extensions import db
from booking.models import ClinicSettings, Practitioner, Service
from booking.services import availability
from booking.views.helpers import to_local
from tests.database import database_uri, fresh_database
from tests.mail import MailServer
from tests.openapi_contract import Contract

NO_FLAGS = {
    "bowel_bladder": False,
    "weight_loss": False,
    "fever": False,
    "trauma": False,
    "numbness_weakness": False,
    "cancer_history": False,
}


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "clinic.test",
            "BOT_MIN_FILL_SECONDS": 0,
            "BASE_URL": "http://clinic.test",
        }
    )
    # Files the app writes (emails without an SMTP server) stay out of the repository.
    app.instance_path = str(tmp_path)
    # Every API answer in every test is held to the OpenAPI document. Flask runs the
    # app's after-request hooks last-registered first, so this one sees the answer after
    # the blueprints' hooks (ETag, 304) and before compression: the JSON as it is sent.
    contract = Contract()
    app.after_request(contract.check)
    with app.app_context():
        fresh_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()
    assert not contract.failures, "Answers the OpenAPI document does not describe:\n" + (
        "\n".join(dict.fromkeys(contract.failures))
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def free_slot(app):
    """A factory: the first free slot for a service, optionally from a day offset."""

    def find(slug="neck-initial", days_ahead=2, practitioner_id=None):
        with app.app_context():
            service = db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()
            from booking.models.base import utcnow

            first = to_local(utcnow()).date() + timedelta(days=days_ahead)
            slots = availability.free_slots(
                service, first, first + timedelta(days=13), practitioner_id=practitioner_id
            )
            assert slots, "the demo clinic should have free times within two weeks"
            return slots[0]

    return find


PATIENT = {"name": "Ann Lee", "email": "ann@example.com", "phone": "207 555 0100"}


@pytest.fixture
def booking_payload(free_slot):
    """A factory for a valid POST /api/v1/bookings body."""

    def make(slot=None, **overrides):
        slot = slot or free_slot()
        body = {
            "service": "neck-initial",
            "start": slot.start.isoformat(),
            "practitioner": slot.practitioner_id,
            "patient": dict(PATIENT),
            "screening": dict(NO_FLAGS),
            "disclaimer_accepted": True,
        }
        body.update(overrides)
        return body

    return make


@pytest.fixture
def make_booking(app, client, free_slot, booking_payload, make_user):
    """A factory: book as a patient through POST /api/v1/bookings; returns the JSON body.

    make_booking() takes the first free neck-initial time two days ahead, as Ann Lee.
    Say which time with `slot`, or let it be found from `service`, `practitioner`
    (an id or one of `clinic`'s practitioners) and `days_ahead`; `name`, `email` and
    `phone` change the patient, and any other keyword replaces that part of the body.
    staff=True books as reception through POST /api/v1/staff/bookings instead (a phone
    booking unless `source` says otherwise), from a desk of its own, so the test's
    client stays signed in or out as it was.
    """
    desk = []

    def front_desk():
        if not desk:
            email = make_user("reception", email="front-desk@clinic.test", name="Front Desk")
            signed_in = app.test_client()
            response = signed_in.post("/login", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)
            desk.append(signed_in)
        return desk[0]

    def make(
        slot=None,
        *,
        service="neck-initial",
        practitioner=None,
        days_ahead=2,
        name=None,
        email=None,
        phone=None,
        staff=False,
        **overrides,
    ):
        practitioner_id = getattr(practitioner, "id", practitioner)
        slot = slot or free_slot(service, days_ahead=days_ahead, practitioner_id=practitioner_id)
        patient = dict(overrides.pop("patient", PATIENT))
        given = {"name": name, "email": email, "phone": phone}
        patient.update({key: value for key, value in given.items() if value is not None})
        if staff:
            body = {
                "service": service,
                "start": slot.start.isoformat(),
                "practitioner": slot.practitioner_id,
                "patient": patient,
                "source": "phone",
                "screening": dict(NO_FLAGS),
                "disclaimer_read": True,
            }
            body.update(overrides)
            response = front_desk().post("/api/v1/staff/bookings", json=body)
        else:
            body = booking_payload(slot, service=service, patient=patient, **overrides)
            response = client.post("/api/v1/bookings", json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return make


@dataclass(frozen=True)
class SeededService:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class SeededPractitioner:
    id: int
    name: str
    services: frozenset[str]  # slugs
    weekdays: frozenset[int]  # the days they work, 0 is Monday


@dataclass(frozen=True)
class Clinic:
    """The demo clinic as tests refer to it: by what each practitioner does, never by id or name.

    practitioner: gives every consultation and works every weekday.
    colleague: another who gives every consultation.
    specialist: gives neck-initial but not back-initial.
    """

    practitioner: SeededPractitioner
    colleague: SeededPractitioner
    specialist: SeededPractitioner
    practitioners: tuple[SeededPractitioner, ...]  # everyone, in the order they were added
    services: Mapping[str, SeededService]  # by slug
    name: str  # the clinic's own name, phone and address, as its settings hold them
    phone: str
    address: str

    def service(self, slug: str = "neck-initial") -> SeededService:
        return self.services[slug]


def the_one(found: list, what: str):
    assert len(found) == 1, f"the demo clinic should have exactly one {what}, not {found}"
    return found[0]


def seeded_clinic() -> Clinic:
    """Look the demo clinic up (inside an app context), before a test changes it."""
    services = {
        service.slug: SeededService(service.id, service.slug, service.name)
        for service in db.session.execute(db.select(Service).order_by(Service.position)).scalars()
    }
    people = tuple(
        SeededPractitioner(
            id=person.id,
            name=person.name,
            services=frozenset(service.slug for service in person.services),
            weekdays=frozenset(hours.weekday for hours in person.hours),
        )
        for person in db.session.execute(db.select(Practitioner).order_by(Practitioner.id))
        .scalars()
        .all()
    )
    everything = [p for p in people if p.services == set(services)]
    practitioner = the_one(
        [p for p in everything if p.weekdays >= set(range(5))],
        "practitioner giving every consultation on every weekday",
    )
    colleague = the_one(
        [p for p in everything if p != practitioner], "other practitioner giving everything"
    )
    specialist = the_one(
        [p for p in people if "neck-initial" in p.services and "back-initial" not in p.services],
        "practitioner giving neck-initial but not back-initial",
    )
    settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
    return Clinic(
        practitioner,
        colleague,
        specialist,
        people,
        MappingProxyType(services),
        settings.name,
        settings.phone,
        settings.address,
    )


@pytest.fixture
def clinic(app) -> Clinic:
    """The demo clinic's practitioners and services, with their ids and names."""
    with app.app_context():
        return seeded_clinic()


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app):
    """A factory for staff accounts: make_user("owner") -> the user's email."""

    def make(role="reception", email=None, password=PASSWORD, name=""):
        # Straight into the table: tests about audit entries should not see this one.
        from werkzeug.security import generate_password_hash

        from booking.models import User

        email = email or f"{role}@clinic.test"
        with app.app_context():
            db.session.add(
                User(
                    email=email,
                    role=role,
                    name=name or role.title(),
                    password_hash=generate_password_hash(password),
                )
            )
            db.session.commit()
        return email

    return make


class Auth:
    def __init__(self, client, make_user):
        self.client = client
        self.make_user = make_user

    def login(self, role="reception", email=None):
        email = email or self.make_user(role)
        response = self.client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return email

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client, make_user):
    """Sign the test client in as staff: auth.login("owner")."""
    return Auth(client, make_user)


CLINIC_EMAIL = "hello@harbourside-acupuncture.example"


@pytest.fixture
def mail_server(app):
    """A real SMTP server on 127.0.0.1, and the app set to deliver to it."""
    server = MailServer()
    server.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        SMTP_STARTTLS=False,
        MAIL_FROM="booking@clinic.test",
        BASE_URL="http://clinic.test",
    )
    yield server
    server.stop()


@pytest.fixture
def start_now(app):
    """Time passes: move a booking so that it started a few minutes ago.

    Staff can only mark a visit done or missed once it has begun; tests cannot wait,
    so the row is moved (the overlap guard still applies).
    """

    def move(booking_id: int) -> None:
        from booking.models import Booking
        from booking.models.base import utcnow

        with app.app_context():
            booking = db.session.get(Booking, booking_id)
            length = booking.end_at - booking.start_at
            held = booking.blocked_until - booking.start_at
            start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
            booking.start_at, booking.end_at = start, start + length
            booking.blocked_until = start + held
            db.session.commit()

    return move
