"""Who may open what: the session loader and every access check the blueprints use.

A blueprint is guarded as a whole from its `before_request` (as CTFd's
`utils/decorators` guard views); only the odd owner-only page inside the staff
area needs the decorator.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, abort, current_app, session
from flask_login import current_user, login_required

from booking.services import staff_sessions
from booking.services.auth import load_user


def staff_only(bp: Blueprint) -> None:
    """Every view of the blueprint needs a signed-in, active staff member."""

    @bp.before_request
    @login_required
    def require_staff():
        """Anonymous visitors are sent to sign in (JSON clients get 401)."""


def owners_only(bp: Blueprint) -> None:
    """Every view of the blueprint needs a signed-in owner; reception is refused (403)."""

    @bp.before_request
    @login_required
    def require_owner():
        if not current_user.is_owner:
            abort(403)


def owner_required(view):
    """For the few pages inside a staff blueprint that only an owner may see."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_owner:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# Where this browser's server-side session token is kept in the (signed) cookie.
SESSION_KEY = "staff_session"


def session_limits() -> staff_sessions.Limits:
    config = current_app.config
    return staff_sessions.Limits(
        idle=timedelta(minutes=float(config["STAFF_IDLE_MINUTES"])),
        lifetime=timedelta(hours=float(config["STAFF_SESSION_HOURS"])),
    )


def load_staff(user_id: str):
    """Flask-Login's user loader, with this browser's session token."""
    return load_user(user_id, session.get(SESSION_KEY), session_limits())
