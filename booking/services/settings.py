"""Saving the clinic's settings, and the disclaimer as a new version when it changes."""

from __future__ import annotations

from dataclasses import dataclass

from booking.database import write_transaction
from booking.extensions import db
from booking.models import ClinicSettings, Disclaimer, Service, User
from booking.services import audit

FIELDS = (
    "name",
    "address",
    "phone",
    "email",
    "timezone",
    "currency",
    "min_notice_minutes",
    "horizon_days",
    "slot_step_minutes",
    "cancellation_notice_hours",
    "price_min_cents",
    "price_max_cents",
)


@dataclass(frozen=True)
class Saved:
    changed: tuple[str, ...]
    disclaimer_version: int | None  # the new version, when the text changed
    out_of_bounds: tuple[Service, ...]  # services now priced outside the bounds


def snapshot(settings: ClinicSettings) -> dict:
    return {field: getattr(settings, field) for field in FIELDS}


def save_settings(values: dict, disclaimer_text: str, *, actor: User) -> Saved:
    """Apply the values and, if its text changed, add a disclaimer version; one transaction."""
    new_version = None
    with write_transaction():
        settings = db.session.execute(db.select(ClinicSettings).limit(1)).scalar_one()
        before = snapshot(settings)
        for field in FIELDS:
            setattr(settings, field, values[field])
        after = snapshot(settings)
        changed = tuple(f for f in FIELDS if before[f] != after[f])
        if changed:
            audit.record(
                actor,
                "settings.update",
                "clinic_settings",
                settings.id,
                before={f: before[f] for f in changed},
                after={f: after[f] for f in changed},
            )
        current = db.session.execute(
            db.select(Disclaimer).order_by(Disclaimer.version.desc()).limit(1)
        ).scalar_one()
        if disclaimer_text.strip() != current.text.strip():
            new_version = current.version + 1
            db.session.add(Disclaimer(version=new_version, text=disclaimer_text.strip()))
            audit.record(
                actor,
                "disclaimer.update",
                "disclaimer",
                new_version,
                before={"version": current.version, "text": current.text},
                after={"version": new_version, "text": disclaimer_text.strip()},
            )
        outside = tuple(
            db.session.execute(
                db.select(Service).where(
                    Service.active.is_(True),
                    (Service.price_cents < settings.price_min_cents)
                    | (Service.price_cents > settings.price_max_cents),
                )
            ).scalars()
        )
    return Saved(changed, new_version, outside)
