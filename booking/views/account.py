"""A staff member's own account: their password, two-step sign-in, and signing out elsewhere."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_user

from booking.errors import ClinicError, RateLimited, ValidationError
from booking.forms.auth import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    DisableTwoFactorForm,
    RecoveryCodesForm,
    SignOutEverywhereForm,
    StartTwoFactorForm,
)
from booking.services import accounts, staff_sessions
from booking.services import two_factor as two_factor_service
from booking.services.two_factor import TwoFactorConflict
from booking.views.access import SESSION_KEY, session_limits, staff_only

bp = Blueprint("account", __name__, url_prefix="/account")
staff_only(bp)


def me():
    return current_user._get_current_object()


def add_error(form, error: ClinicError, default: str) -> None:
    field = form[next(iter(error.fields), default)]
    field.errors = [*field.errors, error.message]


def render_account(
    password_form: ChangePasswordForm | None = None,
    *,
    codes_form: RecoveryCodesForm | None = None,
    disable_form: DisableTwoFactorForm | None = None,
    status: int = 200,
):
    user = me()
    return render_template(
        "account/index.html",
        form=SignOutEverywhereForm(),
        password_form=password_form or ChangePasswordForm(formdata=None),
        open_sessions=staff_sessions.open_count(user, session_limits()),
        start_form=StartTwoFactorForm(),
        codes_form=codes_form or RecoveryCodesForm(formdata=None),
        disable_form=disable_form or DisableTwoFactorForm(formdata=None),
        codes_left=two_factor_service.recovery_codes_left(user) if user.two_factor_enabled else 0,
        two_factor_required=two_factor_service.required(),
    ), status


@bp.get("/")
def index():
    return render_account()


@bp.post("/password")
def password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_account(form, status=422)
    user = me()
    try:
        accounts.change_own_password(user, form.current_password.data, form.password.data)
    except ClinicError as error:
        add_error(form, error, "password")
        return render_account(form, status=422)
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


# Two-step sign-in


def render_enrolment(form: ConfirmTwoFactorForm | None = None, status: int = 200):
    return render_template(
        "account/two_factor.html",
        enrolment=two_factor_service.enrolment(me()),
        start_form=StartTwoFactorForm(),
        form=form or ConfirmTwoFactorForm(formdata=None),
        required=two_factor_service.required(),
    ), status


def render_recovery_codes(codes: list[str]):
    # Shown this once; every staff page is already sent with Cache-Control: no-store.
    return render_template("account/recovery_codes.html", codes=codes)


@bp.get("/two-factor")
def two_factor():
    if current_user.two_factor_enabled:
        return redirect(url_for("account.index", _anchor="two-factor"))
    return render_enrolment()


@bp.post("/two-factor/start")
def two_factor_start():
    if not StartTwoFactorForm().validate_on_submit():
        flash("That did not go through; please try again.")
    else:
        try:
            two_factor_service.start_enrolment(me())
        except TwoFactorConflict as error:
            flash(error.message)
    return redirect(url_for("account.two_factor"))


@bp.post("/two-factor/confirm")
def two_factor_confirm():
    form = ConfirmTwoFactorForm()
    if not form.validate_on_submit():
        return render_enrolment(form, 422)
    try:
        codes = two_factor_service.confirm_enrolment(me(), form.code.data)
    except ValidationError as error:
        add_error(form, error, "code")
        return render_enrolment(form, 422)
    except TwoFactorConflict as error:
        flash(error.message)
        return redirect(url_for("account.two_factor"))
    flash("Two-step sign-in is on: from now on you sign in with a code from the app too.")
    return render_recovery_codes(codes)


@bp.post("/two-factor/recovery-codes")
def recovery_codes():
    form = RecoveryCodesForm()
    if not form.validate_on_submit():
        return render_account(codes_form=form, status=422)
    try:
        codes = two_factor_service.regenerate_recovery_codes(me(), form.proof.data)
    except (ValidationError, RateLimited) as error:
        add_error(form, error, "proof")
        return render_account(codes_form=form, status=422)
    except TwoFactorConflict as error:
        flash(error.message)
        return redirect(url_for("account.index"))
    flash("New recovery codes made: the old ones no longer work.")
    return render_recovery_codes(codes)


@bp.post("/two-factor/disable")
def two_factor_disable():
    form = DisableTwoFactorForm()
    if not form.validate_on_submit():
        return render_account(disable_form=form, status=422)
    try:
        two_factor_service.disable(me(), form.password.data)
    except (ValidationError, RateLimited) as error:
        add_error(form, error, "password")
        return render_account(disable_form=form, status=422)
    except TwoFactorConflict as error:
        flash(error.message)
        return redirect(url_for("account.index"))
    flash("Two-step sign-in is off: your password alone signs you in.")
    return redirect(url_for("account.index", _anchor="two-factor"))
