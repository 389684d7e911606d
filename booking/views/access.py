"""Who may open what: every access check the blueprints use, in one place.

A blueprint is guarded as a whole from its `before_request` (as CTFd's
`utils/decorators` guard views); only the odd owner-only page inside the staff
area needs the decorator.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user, login_required


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
