"""Owners add, edit, retire and restore practitioners; retiring never drops a booking."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, func
from sqlalchemy.orm import joinedload, selectinload

from booking.errors import Conflict, ValidationError
from booking.extensions import db
from booking.models import Booking, Practitioner, Service, User
from booking.models.base import utcnow
from booking.models.booking import ACTIVE_STATUSES
from booking.models.practitioner import practitioner_service
from booking.services.commands import command


class StaffingError(ValidationError):
    """A change to a practitioner that cannot be made, with a message for the owner.

    `field` names the form field the message belongs to, if any.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, {field: message} if field else None)
        self.field = field


class RetireRefused(Conflict):
    """The practitioner still has bookings ahead: reception must move them first."""

    def __init__(self, practitioner: Practitioner, bookings: list[Booking]):
        count = len(bookings)
        super().__init__(
            f"{practitioner.name} still has {count} upcoming booking{'s' if count != 1 else ''}. "
            "Move or cancel each one first; then retire them."
        )
        self.bookings = bookings


def list_practitioners() -> list[Practitioner]:
    """Every practitioner, active first, by name."""
    return list(
        db.session.execute(
            db.select(Practitioner)
            .options(selectinload(Practitioner.services), selectinload(Practitioner.hours))
            .order_by(Practitioner.active.desc(), Practitioner.name)
        ).scalars()
    )


def all_services() -> list[Service]:
    """The consultations a practitioner can be set to give, in the clinic's order."""
    return list(db.session.execute(db.select(Service).order_by(Service.position)).scalars())


def upcoming_bookings(practitioner: Practitioner, *, now: datetime | None = None) -> list[Booking]:
    """Active bookings not yet over, soonest first: they stop a practitioner retiring."""
    # Not yet over rather than not yet started: one under way still needs its practitioner.
    return list(
        db.session.execute(
            db.select(Booking)
            .where(
                Booking.practitioner_id == practitioner.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.end_at > (now or utcnow()),
            )
            .options(joinedload(Booking.patient), joinedload(Booking.service))
            .order_by(Booking.start_at)
        ).scalars()
    )


def _services(service_ids: Collection[int]) -> list[Service]:
    services = list(
        db.session.execute(
            db.select(Service).where(Service.id.in_(service_ids)).order_by(Service.position)
        ).scalars()
    )
    if len(services) != len(set(service_ids)):
        raise StaffingError(
            "One of the consultations chosen no longer exists. Please try again.", "services"
        )
    return services


def _left_without_giver(practitioner: Practitioner, service_ids: Collection[int]) -> list[Service]:
    """Offered services among these that no other active practitioner gives."""
    if not service_ids:
        return []
    link = practitioner_service.c
    someone_else = exists().where(
        link.service_id == Service.id,
        link.practitioner_id != practitioner.id,
        link.practitioner_id == Practitioner.id,
        Practitioner.active.is_(True),
    )
    return list(
        db.session.execute(
            db.select(Service)
            .where(Service.id.in_(service_ids), Service.active.is_(True), ~someone_else)
            .order_by(Service.position)
        ).scalars()
    )


def _check_still_given(practitioner: Practitioner, service_ids: Collection[int]) -> None:
    """An offered consultation needs someone to give it, as the catalogue requires."""
    orphans = _left_without_giver(practitioner, service_ids)
    if orphans:
        names = ", ".join(service.name for service in orphans)
        raise StaffingError(
            f"{practitioner.name} is the only practitioner giving {names}. Have someone else "
            "give it, or stop offering it under Services and prices, first.",
            "services",
        )


def _check_name_free(name: str, practitioner_id: int | None = None) -> None:
    """Patients choose practitioners by name, so two must never share one."""
    taken = db.session.execute(
        db.select(Practitioner.id).where(
            func.lower(Practitioner.name) == name.lower(),
            Practitioner.id != (practitioner_id or -1),
        )
    ).first()
    if taken:
        raise StaffingError(f"There is already a practitioner called {name}.", "name")


def create_practitioner(
    name: str, title: str, bio: str, service_ids: Collection[int], *, actor: User
) -> Practitioner:
    """A new, active practitioner with no hours yet (so not bookable until they are set)."""
    name = name.strip()
    if not name:
        raise StaffingError("Enter the practitioner's name.", "name")
    summary = f"Practitioner {name} added"
    with command("practitioner.create", actor=actor, tracks=None, summary=summary) as change:
        _check_name_free(name)
        practitioner = Practitioner(
            name=name, title=title.strip(), bio=bio.strip(), services=_services(service_ids)
        )
        db.session.add(practitioner)
        change.subject = practitioner
        change.track(practitioner)
    return practitioner


def update_practitioner(
    practitioner: Practitioner,
    name: str,
    title: str,
    bio: str,
    service_ids: Collection[int],
    *,
    actor: User,
) -> bool:
    """Change the name, title, bio and consultations; returns whether anything changed.

    Bookings already made for a consultation taken away stay booked.
    """
    name = name.strip()
    if not name:
        raise StaffingError("Enter the practitioner's name.", "name")
    summary = f"Details changed for {name}"
    with command("practitioner.update", practitioner, actor=actor, summary=summary) as change:
        _check_name_free(name, practitioner.id)
        services = _services(service_ids)
        if practitioner.active:
            dropped = {s.id for s in practitioner.services} - {s.id for s in services}
            _check_still_given(practitioner, dropped)
        practitioner.name, practitioner.title, practitioner.bio = name, title.strip(), bio.strip()
        practitioner.services = services
    return change.changed


def retire_practitioner(
    practitioner: Practitioner, *, actor: User, now: datetime | None = None
) -> bool:
    """Take the practitioner out of booking and the calendar; False if already retired.

    Refused with RetireRefused while they have bookings ahead, and with StaffingError
    while they alone give an offered consultation. The checks run under the write
    lock, so no booking can be made between them and the change.
    """
    summary = f"{practitioner.name} retired"
    with command("practitioner.retire", practitioner, actor=actor, summary=summary) as change:
        if not practitioner.active:
            return False
        ahead = upcoming_bookings(practitioner, now=now)
        if ahead:
            raise RetireRefused(practitioner, ahead)
        _check_still_given(practitioner, [s.id for s in practitioner.services])
        practitioner.active = False
    return change.changed


def restore_practitioner(practitioner: Practitioner, *, actor: User) -> bool:
    """Offer the practitioner again with the hours they had; False if already active."""
    summary = f"{practitioner.name} restored"
    with command("practitioner.restore", practitioner, actor=actor, summary=summary) as change:
        practitioner.active = True
    return change.changed
