"""The owner's catalogue: services, their prices and who gives them; each condition's
course plan (its two services, how many sessions, the package)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import joinedload

from booking.domain.estimates import MAX_SESSIONS
from booking.domain.good_faith import diagnosis_codes_problem, service_code_problem
from booking.domain.money import amount, format_money
from booking.errors import ValidationError
from booking.extensions import db
from booking.models import (
    Booking,
    ClinicSettings,
    CoursePlan,
    Practitioner,
    PriceChange,
    Service,
    User,
)
from booking.models.base import utcnow
from booking.models.booking import ACTIVE_STATUSES
from booking.models.practitioner import practitioner_service
from booking.models.service import (
    BUFFER_RANGE,
    CONDITIONS,
    DETAILS,
    DISCOUNT_RANGE,
    DURATION_RANGE,
    KINDS,
)
from booking.services.clinic import get_settings
from booking.services.commands import command

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", re.ASCII)
SLUG_MAX = 60
NAME_MAX = 120
# Fields a plain edit changes; the price has its own history and audit action.
EDITABLE = DETAILS
PLAN_FIELDS = (
    "first_service_id",
    "follow_up_service_id",
    "min_sessions",
    "typical_sessions",
    "max_sessions",
    "package_sessions",
    "package_price_cents",
    "package_discount_percent",
    "diagnosis_codes",
)


class CatalogueError(ValidationError):
    """A change the catalogue refuses: field name -> a message for the owner."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(fields.values()), fields)


@dataclass(frozen=True, slots=True)
class ServiceDetails:
    """Everything an owner sets on a service, named as on the model (the slug aside)."""

    name: str
    condition: str
    kind: str
    duration_minutes: int
    buffer_minutes: int
    price_cents: int
    description: str = ""
    practitioner_ids: frozenset[int] = field(default_factory=frozenset)
    service_code: str = ""  # CPT or HCPCS, for Good Faith Estimates


@dataclass(frozen=True, slots=True)
class PlanDetails:
    """What an owner sets on a condition's course plan, named as on the model."""

    first_service_id: int | None
    follow_up_service_id: int | None
    min_sessions: int
    typical_sessions: int
    max_sessions: int
    package_sessions: int | None = None
    package_price_cents: int | None = None
    package_discount_percent: int | None = None
    diagnosis_codes: str = ""  # ICD-10-CM, comma separated, for Good Faith Estimates


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
    if not SLUG_RE.fullmatch(slug):
        return (
            "Use lowercase letters, digits and single hyphens only, "
            "starting and ending with a letter or digit, e.g. neck-initial."
        )
    return None


def _in_range(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def session_problems(details: PlanDetails) -> dict[str, str]:
    low, typical, high = details.min_sessions, details.typical_sessions, details.max_sessions
    if not _in_range(low, (1, MAX_SESSIONS)):
        return {"min_sessions": f"The fewest sessions must be between 1 and {MAX_SESSIONS}."}
    if not _in_range(high, (1, MAX_SESSIONS)):
        return {"max_sessions": f"The most sessions must be between 1 and {MAX_SESSIONS}."}
    if high < low:
        return {"max_sessions": f"The most sessions cannot be fewer than the fewest ({low})."}
    if not low <= typical <= high:
        return {
            "typical_sessions": (
                f"The typical number of sessions must be between the fewest ({low}) "
                f"and the most ({high})."
            )
        }
    return {}


def package_problems(details: PlanDetails, follow_up_cents: int, currency: str) -> dict[str, str]:
    """A package is N >= 2 follow-ups for less than paying for them one by one, or P% off."""
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
    one_by_one = follow_up_cents * sessions
    if price is None or price <= 0:
        return {"package_price_cents": "The package price must be more than zero."}
    if price >= one_by_one:
        return {
            "package_price_cents": (
                f"The package must cost less than {sessions} follow-up sessions paid one at "
                f"a time ({format_money(one_by_one, currency)})."
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
    if details.service_code and (message := service_code_problem(details.service_code)):
        found["service_code"] = message
    return found


# Reading


def offered_services() -> list[Service]:
    """The services patients can book, in the clinic's order."""
    return list(
        db.session.execute(
            db.select(Service).where(Service.active.is_(True)).order_by(Service.position)
        ).scalars()
    )


def offered_service(slug: str) -> Service | None:
    """The service patients book under this web address name, if it is offered."""
    if not 0 < len(slug) <= SLUG_MAX or not SLUG_RE.fullmatch(slug):
        return None  # no service has it, and the database need not be asked
    return db.session.execute(
        db.select(Service).where(Service.slug == slug, Service.active.is_(True))
    ).scalar_one_or_none()


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
    # The link table changed under the relationship: read it again when asked.
    db.session.expire(service, ["practitioners"])


def _record_price(service: Service, new_cents: int, actor: User | None, currency: str) -> None:
    """A new price per session, with its history row and an audit entry of its own."""
    old_cents = service.price_cents
    summary = (
        f"Price of {service.name} changed from {format_money(old_cents, currency)} "
        f"to {format_money(new_cents, currency)}"
    )
    with command("service.price", service, actor=actor, tracks=None, summary=summary) as change:
        change.before, change.after = {"price": amount(old_cents)}, {"price": amount(new_cents)}
        service.price_cents = new_cents
        db.session.add(
            PriceChange(
                service_id=service.id,
                user_id=actor.id if actor else None,
                old_cents=old_cents,
                new_cents=new_cents,
            )
        )


def details_of(service: Service) -> ServiceDetails:
    """The service as it is saved, to edit or check."""
    return ServiceDetails(
        price_cents=service.price_cents,
        practitioner_ids=practitioner_ids(service),
        **{name: getattr(service, name) for name in EDITABLE},
    )


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
        if price_changed and "price_cents" not in found:
            found |= _package_after_price(service, details.price_cents, settings.currency)
    # A retired service may be left with nobody: it is not offered anyway.
    need_one = service is None or service.active
    return found | _givers_problem(details.practitioner_ids, need_one=need_one)


def _package_after_price(service: Service, cents: int, currency: str) -> dict[str, str]:
    """A new follow-up price must leave its plan's fixed-price package still a saving."""
    plan = course_plan(service.condition)
    if plan is None or not plan.package_sessions:
        return {}
    priced_by = plan.follow_up_service_id or plan.first_service_id
    if priced_by != service.id:
        return {}
    found = package_problems(plan_details(plan), cents, currency)
    if "package_price_cents" in found:
        return {
            "price_cents": found["package_price_cents"]
            + f" Change the {plan.condition_label.lower()} course plan's package first."
        }
    return {}


def create_service(slug: str, details: ServiceDetails, *, actor: User | None) -> Service:
    """Add a service, offered to patients at once, at the end of the list."""
    summary = f"Service added: {details.name}"
    with command("service.create", actor=actor, tracks=None, summary=summary) as change:
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
        _fill_plan(service)
        change.subject = service
        change.track(service)
    return service


def update_service(service: Service, details: ServiceDetails, *, actor: User | None) -> bool:
    """Save an edit, all or nothing; a new price also goes into the price history.

    Returns whether anything changed. Bookings already made keep their price.
    """
    summary = f"Service changed: {details.name}"
    with command(
        "service.update",
        service,
        actor=actor,
        summary=summary,
        only_changed=True,
        ignore=("price",),
    ) as change:
        if found := check(details, service=service):
            raise CatalogueError(found)
        price_changed = details.price_cents != service.price_cents
        moved = (details.condition, details.kind) != (service.condition, service.kind)
        for name in EDITABLE:
            setattr(service, name, getattr(details, name))
        _set_givers(service, details.practitioner_ids)
        if moved:
            _leave_plans(service)
            _fill_plan(service)
        if price_changed:
            _record_price(service, details.price_cents, actor, get_settings().currency)
    return change.changed or price_changed


def set_active(service: Service, active: bool, *, actor: User | None) -> bool:
    """Retire a service (patients stop seeing it; its bookings stay) or offer it again.

    Returns whether it changed.
    """
    action = "service.restore" if active else "service.retire"
    summary = f"Service {'offered again' if active else 'retired'}: {service.name}"
    with command(action, service, actor=actor, summary=summary, only_changed=True) as change:
        service.active = active
    return change.changed


# Course plans


def course_plans() -> list[CoursePlan]:
    """Both conditions' plans, neck first."""
    plans = db.session.execute(db.select(CoursePlan)).scalars()
    order = list(CONDITIONS)
    return sorted(plans, key=lambda plan: order.index(plan.condition))


def course_plan(condition: str) -> CoursePlan | None:
    if condition not in CONDITIONS:
        return None
    return db.session.execute(
        db.select(CoursePlan).where(CoursePlan.condition == condition)
    ).scalar_one_or_none()


def plan_choices(condition: str, kind: str) -> list[Service]:
    """The services a plan may name for this condition and kind, offered ones first."""
    return list(
        db.session.execute(
            db.select(Service)
            .where(Service.condition == condition, Service.kind == kind)
            .order_by(Service.active.desc(), Service.position, Service.id)
        ).scalars()
    )


def plan_details(plan: CoursePlan) -> PlanDetails:
    return PlanDetails(**{name: getattr(plan, name) for name in PLAN_FIELDS})


def plan_check(plan: CoursePlan, details: PlanDetails) -> dict[str, str]:
    """Every rule this edit of a course plan breaks, by field."""
    found: dict[str, str] = {}
    for name, kind in (("first_service_id", "initial"), ("follow_up_service_id", "follow-up")):
        chosen = getattr(details, name)
        allowed = {s.id for s in plan_choices(plan.condition, kind)}
        if chosen is not None and chosen not in allowed:
            found[name] = f"Choose one of the {KINDS[kind].lower()} services for this condition."
    found |= session_problems(details)
    if message := diagnosis_codes_problem(details.diagnosis_codes):
        found["diagnosis_codes"] = message
    follow_up = db.session.get(Service, details.follow_up_service_id or 0) or db.session.get(
        Service, details.first_service_id or 0
    )
    if "follow_up_service_id" not in found:
        found |= package_problems(
            details, follow_up.price_cents if follow_up else 0, get_settings().currency
        )
    return found


def update_course_plan(plan: CoursePlan, details: PlanDetails, *, actor: User | None) -> bool:
    """Save a condition's plan, all or nothing; every service of it shows the new estimate."""
    summary = f"Course plan changed: {plan.condition_label}"
    with command("course_plan.update", plan, actor=actor, summary=summary, only_changed=True) as c:
        if found := plan_check(plan, details):
            raise CatalogueError(found)
        for name in PLAN_FIELDS:
            setattr(plan, name, getattr(details, name))
        # The names the audit entry reads come from the relationships: load them anew.
        db.session.flush()
        db.session.expire(plan, ["first_service", "follow_up_service"])
    return c.changed


def _leave_plans(service: Service) -> None:
    """A service now for another condition or kind no longer stands in a plan."""
    for plan in course_plans():
        if plan.first_service_id == service.id:
            plan.first_service_id = None
        if plan.follow_up_service_id == service.id:
            plan.follow_up_service_id = None


def _fill_plan(service: Service) -> None:
    """A new service takes the empty place in its condition's plan, so estimates have a price."""
    plan = course_plan(service.condition)
    if plan is None:
        return
    if service.kind == "initial" and plan.first_service_id is None:
        plan.first_service_id = service.id
    elif service.kind == "follow-up" and plan.follow_up_service_id is None:
        plan.follow_up_service_id = service.id
