"""Saving the clinic's settings, and the disclaimer as a new version when it changes."""

from __future__ import annotations

from dataclasses import dataclass

from booking.errors import ValidationError
from booking.extensions import db
from booking.models import ClinicSettings, Disclaimer, Service, User
from booking.services.commands import command

# What the owner edits on the settings page: every field the audit log keeps.
FIELDS = ClinicSettings.__audited__


@dataclass(frozen=True)
class Saved:
    changed: tuple[str, ...]
    disclaimer_version: int | None  # the new version, when the text changed
    out_of_bounds: tuple[Service, ...]  # services now priced outside the bounds


def save_settings(values: dict, disclaimer_text: str, *, actor: User) -> Saved:
    """Apply the values and, if its text changed, add a disclaimer version; one transaction."""
    new_version = None
    settings = db.session.execute(db.select(ClinicSettings).limit(1)).scalar_one()
    if values["require_two_factor"] and not settings.require_two_factor:
        check_can_require_two_factor(actor)
    with command("settings.update", settings, actor=actor, only_changed=True) as change:
        for field in FIELDS:
            setattr(settings, field, values[field])
        current = db.session.execute(
            db.select(Disclaimer).order_by(Disclaimer.version.desc()).limit(1)
        ).scalar_one()
        text = disclaimer_text.strip()
        if text != current.text.strip():
            new_version = current.version + 1
            disclaimer = Disclaimer(version=new_version, text=text)
            with command("disclaimer.update", actor=actor, tracks=None) as added:
                db.session.add(disclaimer)
                added.subject = disclaimer
                added.before = {"version": current.version, "text": current.text}
                added.track(disclaimer)
        outside = tuple(
            db.session.execute(
                db.select(Service).where(
                    Service.active.is_(True),
                    (Service.price_cents < settings.price_min_cents)
                    | (Service.price_cents > settings.price_max_cents),
                )
            ).scalars()
        )
    return Saved(tuple(change.after), new_version, outside)


def check_can_require_two_factor(actor: User) -> None:
    """The owner who requires two-step sign-in of everyone uses it first, so they know it."""
    if not actor.two_factor_enabled:
        raise ValidationError.field(
            "require_two_factor",
            "Set up two-step sign-in on your own account page first, then require it of everyone.",
        )


def disclaimer_versions() -> list[Disclaimer]:
    """Every version of the disclaimer, newest first."""
    return list(
        db.session.execute(db.select(Disclaimer).order_by(Disclaimer.version.desc())).scalars()
    )
