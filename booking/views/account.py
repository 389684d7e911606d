"""A staff member's own account: who they are signed in as, and signing out everywhere else."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_user

from booking.errors import ClinicError
from booking.forms.auth import ChangePasswordForm, SignOutEverywhereForm
from booking.services import accounts, staff_sessions
from booking.views.access import SESSION_KEY, session_limits, staff_only

bp = Blueprint("account", __name__, url_prefix="/account")
staff_only(bp)


def render_account(password_form: ChangePasswordForm | None = None, status: int = 200):
    return render_template(
        "account/index.html",
        form=SignOutEverywhereForm(),
        password_form=password_form or ChangePasswordForm(formdata=None),
        open_sessions=staff_sessions.open_count(current_user, session_limits()),
    ), status


@bp.get("/")
def index():
    return render_account()


@bp.post("/password")
def password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_account(form, 422)
    user = current_user._get_current_object()
    try:
        accounts.change_own_password(user, form.current_password.data, form.password.data)
    except ClinicError as error:
        field = form[next(iter(error.fields), "password")]
        field.errors = [*field.errors, error.message]
        return render_account(form, 422)
    # Every session of the account has ended; this browser carries on with the new token.
    login_user(user)
    flash("Your password has been changed; you are signed out everywhere else.")
    return redirect(url_for("account.index"))


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
