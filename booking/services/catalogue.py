"""The owner's catalogue: services, their prices, course plans, packages and who gives them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import joinedload

from booking.database import write_transaction
from booking.domain.estimates import MAX_SESSIONS
from booking.domain.money import amount, format_money
from booking.extensions import db
from booking.models import Booking, ClinicSettings, Practitioner, PriceChange, Service, User
from booking.models.base import utcnow
from booking.models.booking import ACTIVE_STATUSES
from booking.models.practitioner import practitioner_service
from booking.models.service import CONDITIONS, KINDS
from booking.services import audit
from booking.services.clinic import get_settings

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", re.ASCII)
SLUG_MAX = 60
NAME_MAX = 120
DURATION_RANGE = (1, 480)
BUFFER_RANGE = (0, 120)
DISCOUNT_RANGE = (1, 90)
# Fields a plain edit changes; the price has its own history and audit action.
EDITABLE = (
    "name",
    "condition",
    "kind",
    "description",
    "duration_minutes",
    "buffer_minutes",
    "course_min",
    "course_typical",
    "course_max",
    "package_sessions",
    "package_price_cents",
    "package_discount_percent",
)


class CatalogueError(ValueError):
    """A change the catalogue refuses: field name -> a message for the owner."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(fields.values()))
        self.fields = fields


@dataclass(frozen=True, slots=True)
class ServiceDetails:
    """Everything an owner sets on a service, named as on the model (the slug aside)."""

    name: str
    condition: str
    kind: str
    duration_minutes: int
    buffer_minutes: int
    price_cents: int
    course_min: int
    course_typical: int
    course_max: int
    description: str = ""
    package_sessions: int | None = None
    package_price_cents: int | None = None
    package_discount_percent: int | None = None
    practitioner_ids: frozenset[int] = field(default_factory=frozenset)


# Rules


def price_bounds_message(settings: ClinicSettings) -> str:
    low = format_money(settings.price_min_cents, settings.currency)
    high = format_money(settings.price_max_cents, settings.currency)
    return f"Prices must be between {low} and {high} (set in Clinic settings)."


def price_problem(price_cents: int, settings: ClinicSettings) -> str | None:
    if not settings.price_min_cents <= price_cents <= settings.price_max_cents:
        return price_bounds_message(settings)
    return None


def slug_problem(slug: str) -> str | None:
    if not slug:
        return "Enter the web address name, e.g. neck-initial."
    if len(slug) > SLUG_MAX:
        return f"Keep the web address name to {SLUG_MAX} characters or fewer."
    if not SLUG_RE.match(slug):
        return (
            "Use lowercase letters, digits and single hyphens only, "
            "starting and ending with a letter or digit, e.g. neck-initial."
        )
    return None


def _in_range(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def plan_problems(details: ServiceDetails) -> dict[str, str]:
    low, typical, high = details.course_min, details.course_typical, details.course_max
    if not _in_range(low, (1, MAX_SESSIONS)):
        return {"course_min": f"The fewest sessions must be between 1 and {MAX_SESSIONS}."}
    if not _in_range(high, (1, MAX_SESSIONS)):
        return {"course_max": f"The most sessions must be between 1 and {MAX_SESSIONS}."}
    if high < low:
        return {"course_max": f"The most sessions cannot be fewer than the fewest ({low})."}
    if not low <= typical <= high:
        return {
            "course_typical": (
                f"The typical number of sessions must be between the fewest ({low}) "
                f"and the most ({high})."
            )
        }
    return {}


def package_problems(details: ServiceDetails, currency: str) -> dict[str, str]:
    """A package is N >= 2 sessions for a price below paying for them one by one, or P% off."""
    sessions = details.package_sessions
    price, percent = details.package_price_cents, details.package_discount_percent
    if sessions is None:
        if price is not None or percent is not None:
            return {"package_sessions": "Enter how many sessions the package covers."}
        return {}
    if not _in_range(sessions, (2, MAX_SESSIONS)):
        return {"package_sessions": f"A package covers between 2 and {MAX_SESSIONS} sessions."}
    if price is None and percent is None:
        return {"package_sessions": "Give the package a price or a percentage off."}
    if price is not None and percent is not None:
        return {"package_sessions": "Give the package a price or a percentage off, not both."}
    if percent is not None:
        if not _in_range(percent, DISCOUNT_RANGE):
            low, high = DISCOUNT_RANGE
            return {"package_discount_percent": f"The discount must be between {low}% and {high}%."}
        return {}
    one_by_one = details.price_cents * sessions
    if price is None or price <= 0:
        return {"package_price_cents": "The package price must be more than zero."}
    if price >= one_by_one:
        return {
            "package_price_cents": (
                f"The package must cost less than {sessions} sessions paid one at a time "
                f"({format_money(one_by_one, currency)})."
            )
        }
    return {}


def problems(
    details: ServiceDetails, settings: ClinicSettings, *, price_changed: bool = True
) -> dict[str, str]:
    """Every rule a service breaks, by field.

    A price already set is not checked again against bounds the clinic has narrowed since,
    so the owner can still edit the rest.
    """
    found: dict[str, str] = {}
    if not details.name.strip():
        found["name"] = "Enter the name patients see."
    elif len(details.name) > NAME_MAX:
        found["name"] = f"Keep the name to {NAME_MAX} characters or fewer."
    if details.condition not in CONDITIONS:
        found["condition"] = "Choose neck pain or back pain."
    if details.kind not in KINDS:
        found["kind"] = "Choose first consultation or follow-up session."
    if not _in_range(details.duration_minutes, DURATION_RANGE):
        found["duration_minutes"] = "A session lasts between 1 and 480 minutes."
    if not _in_range(details.buffer_minutes, BUFFER_RANGE):
        found["buffer_minutes"] = "The buffer after a session is between 0 and 120 minutes."
    if price_changed and (message := price_problem(details.price_cents, settings)):
        found["price_cents"] = message
    found |= plan_problems(details)
    if "price_cents" not in found:
        found |= package_problems(details, settings.currency)
    return found


# Reading


def list_services() -> list[Service]:
    """Every service, those offered to patients first, each group in the patients' order."""
    return list(
        db.session.execute(
            db.select(Service).order_by(
                Service.active.desc(), Service.position, Service.name, Service.id
            )
        ).scalars()
    )


def all_practitioners() -> list[Practitioner]:
    """Practitioners to choose from, those still working here first."""
    return list(
        db.session.execute(
            db.select(Practitioner).order_by(Practitioner.active.desc(), Practitioner.name)
        ).scalars()
    )


def practitioners_by_service(services: Iterable[Service]) -> dict[int, list[Practitioner]]:
    """Who gives each service (practitioners who left included), by service id."""
    ids = [service.id for service in services]
    found: dict[int, list[Practitioner]] = {service_id: [] for service_id in ids}
    if not ids:
        return found
    rows = db.session.execute(
        db.select(practitioner_service.c.service_id, Practitioner)
        .join(Practitioner, Practitioner.id == practitioner_service.c.practitioner_id)
        .where(practitioner_service.c.service_id.in_(ids))
        .order_by(Practitioner.active.desc(), Practitioner.name)
    )
    for service_id, practitioner in rows:
        found[service_id].append(practitioner)
    return found


def practitioner_ids(service: Service) -> frozenset[int]:
    return frozenset(p.id for p in practitioners_by_service([service])[service.id])


def price_history(service: Service) -> list[PriceChange]:
    """Every price change, newest first."""
    return list(
        db.session.execute(
            db.select(PriceChange)
            .where(PriceChange.service_id == service.id)
            .options(joinedload(PriceChange.user))
            .order_by(PriceChange.at.desc(), PriceChange.id.desc())
        ).scalars()
    )


def upcoming_booking_count(service: Service) -> int:
    """How many bookings of this service are still to come; retiring keeps them."""
    return db.session.execute(
        db.select(db.func.count(Booking.id)).where(
            Booking.service_id == service.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at >= utcnow(),
        )
    ).scalar_one()


# Audit snapshots


def package_text(service: Service | ServiceDetails, currency: str) -> str | None:
    """'5 sessions for $400.00', '5 sessions at 10% off', or None."""
    if not service.package_sessions:
        return None
    if service.package_price_cents is not None:
        return (
            f"{service.package_sessions} sessions for "
            f"{format_money(service.package_price_cents, currency)}"
        )
    return f"{service.package_sessions} sessions at {service.package_discount_percent}% off"


def service_snapshot(service: Service, givers: Iterable[Practitioner], currency: str) -> dict:
    """What the audit log keeps of a service, in words an owner reads."""
    return {
        "name": service.name,
        "condition": service.condition,
        "kind": service.kind,
        "description": service.description,
        "duration_minutes": service.duration_minutes,
        "buffer_minutes": service.buffer_minutes,
        "price": amount(service.price_cents),
        "course_plan": f"{service.course_min}/{service.course_typical}/{service.course_max}",
        "package": package_text(service, currency),
        "practitioners": ", ".join(sorted(p.name for p in givers)),
        "active": service.active,
    }


# Changing


def _givers_problem(ids: frozenset[int], *, need_one: bool) -> dict[str, str]:
    """An offered service needs someone who still works here to give it."""
    active = dict(
        db.session.execute(
            db.select(Practitioner.id, Practitioner.active).where(Practitioner.id.in_(ids))
        ).all()
    )
    if len(active) != len(ids):
        return {"practitioner_ids": "One of those practitioners no longer exists."}
    if need_one and not any(active.values()):
        return {
            "practitioner_ids": (
                "Tick at least one practitioner who gives it: otherwise patients cannot book it."
            )
        }
    return {}


def _set_givers(service: Service, ids: frozenset[int]) -> None:
    link = practitioner_service.c
    current = set(
        db.session.execute(
            db.select(link.practitioner_id).where(link.service_id == service.id)
        ).scalars()
    )
    if current - ids:
        db.session.execute(
            practitioner_service.delete().where(
                link.service_id == service.id, link.practitioner_id.in_(current - ids)
            )
        )
    if ids - current:
        db.session.execute(
            practitioner_service.insert(),
            [{"practitioner_id": pid, "service_id": service.id} for pid in ids - current],
        )


def _givers(service: Service) -> list[Practitioner]:
    return practitioners_by_service([service])[service.id]


def _record_price(service: Service, new_cents: int, actor: User | None, currency: str) -> None:
    old_cents = service.price_cents
    service.price_cents = new_cents
    db.session.add(
        PriceChange(
            service_id=service.id,
            user_id=actor.id if actor else None,
            old_cents=old_cents,
            new_cents=new_cents,
        )
    )
    audit.record(
        actor,
        "service.price",
        "service",
        service.id,
        before={"price": amount(old_cents)},
        after={"price": amount(new_cents)},
        summary=(
            f"Price of {service.name} changed from {format_money(old_cents, currency)} "
            f"to {format_money(new_cents, currency)}"
        ),
    )


def details_of(service: Service) -> ServiceDetails:
    """The service as it is saved, to edit or check."""
    return ServiceDetails(
        price_cents=service.price_cents,
        practitioner_ids=practitioner_ids(service),
        **{name: getattr(service, name) for name in EDITABLE},
    )


def set_price(service: Service, price_cents: int, *, actor: User | None) -> bool:
    """Change the price per session, inside the clinic's bounds, with its history.

    Returns whether it changed. Bookings already made keep the price they were made at.
    """
    with write_transaction():
        settings = get_settings()
        if price_cents == service.price_cents:
            return False
        found = problems(replace(details_of(service), price_cents=price_cents), settings)
        # Only what a new price can break: the bounds, and a fixed-price package's saving.
        found = {k: v for k, v in found.items() if k in ("price_cents", "package_price_cents")}
        if found:
            raise CatalogueError(found)
        _record_price(service, price_cents, actor, settings.currency)
    return True


def slug_problems(slug: str) -> dict[str, str]:
    """A new service's web address name: well formed and not taken."""
    if message := slug_problem(slug):
        return {"slug": message}
    if db.session.execute(db.select(Service.id).where(Service.slug == slug)).first():
        return {"slug": f"Another service already uses {slug}; choose another."}
    return {}


def check(
    details: ServiceDetails, *, service: Service | None = None, slug: str | None = None
) -> dict[str, str]:
    """Every rule broken by a new service called `slug`, or by this edit of `service`."""
    settings = get_settings()
    if service is None:
        found = problems(details, settings) | slug_problems(slug or "")
    else:
        price_changed = details.price_cents != service.price_cents
        found = problems(details, settings, price_changed=price_changed)
    # A retired service may be left with nobody: it is not offered anyway.
    need_one = service is None or service.active
    return found | _givers_problem(details.practitioner_ids, need_one=need_one)


def create_service(slug: str, details: ServiceDetails, *, actor: User | None) -> Service:
    """Add a service, offered to patients at once, at the end of the list."""
    with write_transaction():
        if found := check(details, slug=slug):
            raise CatalogueError(found)
        last = db.session.execute(db.select(db.func.max(Service.position))).scalar()
        service = Service(
            slug=slug,
            price_cents=details.price_cents,
            position=(last or 0) + 1,
            active=True,
            **{name: getattr(details, name) for name in EDITABLE},
        )
        db.session.add(service)
        db.session.flush()
        _set_givers(service, details.practitioner_ids)
        currency = get_settings().currency
        audit.record(
            actor,
            "service.create",
            "service",
            service.id,
            after={"slug": slug, **service_snapshot(service, _givers(service), currency)},
            summary=f"Service added: {service.name}",
        )
    return service


def update_service(service: Service, details: ServiceDetails, *, actor: User | None) -> bool:
    """Save an edit, all or nothing; a new price also goes into the price history.

    Returns whether anything changed. Bookings already made keep their price.
    """
    with write_transaction():
        if found := check(details, service=service):
            raise CatalogueError(found)
        currency = get_settings().currency
        price_changed = details.price_cents != service.price_cents
        before = service_snapshot(service, _givers(service), currency)
        for name in EDITABLE:
            setattr(service, name, getattr(details, name))
        _set_givers(service, details.practitioner_ids)
        after = service_snapshot(service, _givers(service), currency)
        changed = [key for key in after if key != "price" and before[key] != after[key]]
        if changed:
            audit.record(
                actor,
                "service.update",
                "service",
                service.id,
                before={key: before[key] for key in changed},
                after={key: after[key] for key in changed},
                summary=f"Service changed: {service.name}",
            )
        if price_changed:
            _record_price(service, details.price_cents, actor, currency)
    return bool(changed) or price_changed


def set_active(service: Service, active: bool, *, actor: User | None) -> bool:
    """Retire a service (patients stop seeing it; its bookings stay) or offer it again.

    Returns whether it changed.
    """
    with write_transaction():
        if service.active == active:
            return False
        service.active = active
        action = "service.restore" if active else "service.retire"
        audit.record(
            actor,
            action,
            "service",
            service.id,
            before={"active": not active},
            after={"active": active},
            summary=f"Service {'offered again' if active else 'retired'}: {service.name}",
        )
    return True
