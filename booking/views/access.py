"""Who may open what: the session loader and every access check the blueprints use.

A blueprint is guarded as a whole from its `before_request` (as CTFd's
`utils/decorators` guard views); only the odd owner-only page inside the staff
area needs the decorator.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user

from booking.services import staff_sessions
from booking.services.auth import load_user
from booking.services.two_factor import EnrolmentRequired
from booking.views.errors import wants_json
from booking.views.helpers import clinic

# What an account may still open when the owner requires two-step sign-in and it has
# not been set up: the set-up itself (signing out is not behind these guards).
ENROLMENT = frozenset(
    {"account.two_factor", "account.two_factor_start", "account.two_factor_confirm"}
)


def enrolment_first():
    """Send an account that must set up two-step sign-in to do that before anything else."""
    if request.endpoint in ENROLMENT or current_user.two_factor_enabled:
        return None
    if not clinic().require_two_factor:
        return None
    if wants_json():
        raise EnrolmentRequired("Set up two-step sign-in on your account page first.")
    flash("The clinic asks every staff account to use two-step sign-in. Set it up to carry on.")
    return redirect(url_for("account.two_factor"))


def signed_in_first():
    """Anonymous visitors are sent to sign in (JSON clients get 401), whatever the method.

    Flask-Login's `login_required` lets OPTIONS through unchecked; these guards do not.
    """
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def staff_only(bp: Blueprint) -> None:
    """Every view of the blueprint needs a signed-in, active staff member."""

    @bp.before_request
    def require_staff():
        return signed_in_first() or enrolment_first()


def owners_only(bp: Blueprint) -> None:
    """Every view of the blueprint needs a signed-in owner; reception is refused (403)."""

    @bp.before_request
    def require_owner():
        if refused := signed_in_first():
            return refused
        if not current_user.is_owner:
            abort(403)
        return enrolment_first()


def owner_required(view):
    """For the few pages inside a staff blueprint that only an owner may see."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if refused := signed_in_first():
            return refused
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
