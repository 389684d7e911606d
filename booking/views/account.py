"""A staff member's own account: who they are signed in as, and signing out everywhere else."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user

from booking.forms.auth import SignOutEverywhereForm
from booking.services import staff_sessions
from booking.views.access import staff_only
from booking.views.auth import SESSION_KEY, session_limits

bp = Blueprint("account", __name__, url_prefix="/account")
staff_only(bp)


@bp.get("/")
def index():
    return render_template(
        "account/index.html",
        form=SignOutEverywhereForm(),
        open_sessions=staff_sessions.open_count(current_user, session_limits()),
    )


@bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    form = SignOutEverywhereForm()
    if not form.validate_on_submit():
        flash("That did not go through; please try again.")
        return redirect(url_for("account.index"))
    ended = staff_sessions.end_others(current_user, session.get(SESSION_KEY))
    flash(
        f"Signed out of {ended} other session{'s' if ended != 1 else ''}; you stay signed in here."
        if ended
        else "You were not signed in anywhere else."
    )
    return redirect(url_for("account.index"))
