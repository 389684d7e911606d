"""The owner's pages for staff sign-in accounts: add, password, role, deactivate."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from booking.extensions import db
from booking.forms.accounts import AccountForm, PasswordForm, RoleForm
from booking.models import User
from booking.services import accounts as account_service
from booking.services import two_factor as two_factor_service
from booking.services.accounts import AccountError
from booking.services.two_factor import TwoFactorConflict
from booking.views.admin import bp


def account_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def render_accounts(form: AccountForm, status: int = 200):
    return render_template(
        "admin/accounts/index.html",
        users=account_service.list_accounts(),
        form=form,
        paused_until=account_service.paused_until,
    ), status


def render_account(
    user: User,
    *,
    password_form: PasswordForm | None = None,
    error: str | None = None,
    new_password: str | None = None,
    status: int = 200,
):
    response = make_response(
        render_template(
            "admin/accounts/show.html",
            user=user,
            password_form=password_form or PasswordForm(formdata=None),
            role_form=RoleForm(formdata=None, role=user.role),
            is_self=user.id == current_user.id,
            is_last_owner=account_service.is_last_active_owner(user),
            paused_until=account_service.paused_until(user),
            error=error,
            new_password=new_password,
        ),
        status,
    )
    if new_password:
        # The password is shown this once: keep the page out of every cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/accounts")
def accounts():
    return render_accounts(AccountForm(formdata=None))


@bp.post("/accounts")
def account_create():
    form = AccountForm()
    if not form.validate_on_submit():
        return render_accounts(form, 422)
    password = form.password.data or account_service.generate_password()
    try:
        user = account_service.create_account(
            form.email.data, form.name.data, form.role.data, password, actor=current_user
        )
    except AccountError as error:
        form.email.errors = [*form.email.errors, error.message]
        return render_accounts(form, 422)
    flash(f"Account created for {user.email}.")
    if form.generate.data:
        return render_account(user, new_password=password, status=201)
    return redirect(url_for("admin.account", user_id=user.id))


@bp.get("/accounts/<id:user_id>")
def account(user_id: int):
    return render_account(account_or_404(user_id))


@bp.post("/accounts/<id:user_id>/password")
def account_password(user_id: int):
    user = account_or_404(user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_account(user, password_form=form, status=422)
    password = form.password.data or account_service.generate_password()
    try:
        account_service.set_password(user, password, actor=current_user)
    except AccountError as error:
        form.password.errors = [*form.password.errors, error.message]
        return render_account(user, password_form=form, status=422)
    if user.id == current_user.id:
        # Every other session of theirs ends; this one carries on with the new token.
        login_user(user)
        flash("Your password has been changed; you are signed out everywhere else.")
    else:
        flash(f"Password changed for {user.email}; any session they had has ended.")
    if form.generate.data:
        return render_account(user, new_password=password)
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/unlock")
def account_unlock(user_id: int):
    user = account_or_404(user_id)
    changed = account_service.unlock(user, actor=current_user)
    flash(
        f"{user.email} can try their password again from anywhere."
        if changed
        else f"Sign-in for {user.email} was not paused."
    )
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/role")
def account_role(user_id: int):
    user = account_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return render_account(user, error="Choose reception or owner.", status=422)
    try:
        changed = account_service.change_role(user, form.role.data, actor=current_user)
    except AccountError as error:
        return render_account(user, error=error.message, status=error.status)
    flash(f"{user.email} is now {user.role}." if changed else "The role was not changed.")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/deactivate")
def account_deactivate(user_id: int):
    user = account_or_404(user_id)
    if request.form.get("confirm") != "yes":
        # One click must not lock a colleague out: the box says what it does.
        return render_account(
            user,
            error=f"Tick the box to confirm that {user.display_name} should stop signing in.",
            status=422,
        )
    try:
        changed = account_service.deactivate(user, actor=current_user)
    except AccountError as error:
        return render_account(user, error=error.message, status=error.status)
    flash(
        f"{user.email} is deactivated and signed out everywhere."
        if changed
        else f"{user.email} was already deactivated."
    )
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/reactivate")
def account_reactivate(user_id: int):
    user = account_or_404(user_id)
    changed = account_service.reactivate(user, actor=current_user)
    flash(
        f"{user.email} can sign in again with their password."
        if changed
        else f"{user.email} was already active."
    )
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/two-factor/reset")
def account_two_factor_reset(user_id: int):
    user = account_or_404(user_id)
    try:
        changed = two_factor_service.reset(user, actor=current_user)
    except TwoFactorConflict as error:
        return render_account(user, error=error.message, status=error.status)
    if not changed:
        flash(f"{user.email} did not have two-step sign-in on.")
    elif two_factor_service.required():
        flash(
            f"Two-step sign-in reset for {user.email}: they sign in with their password and "
            "set it up again on a new phone before anything else."
        )
    else:
        flash(f"Two-step sign-in reset for {user.email}: their password alone signs them in.")
    return redirect(url_for("admin.account", user_id=user.id))
