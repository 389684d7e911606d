"""The owner's staff pages: sign-in accounts, and the practitioners patients can book."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from booking.extensions import db
from booking.forms.accounts import AccountForm, PasswordForm, PractitionerForm, RoleForm
from booking.models import Practitioner, User
from booking.services import accounts as account_service
from booking.services import staffing
from booking.services.auth import AccountError
from booking.views.admin import bp
from booking.views.staff.practitioners import hours_lines

# Accounts


def account_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def render_accounts(form: AccountForm, status: int = 200):
    return render_template(
        "admin/accounts/index.html",
        users=account_service.list_accounts(),
        form=form,
        is_locked=account_service.is_locked,
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
            locked=account_service.is_locked(user),
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
        form.email.errors = [*form.email.errors, str(error)]
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
        form.password.errors = [*form.password.errors, str(error)]
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


@bp.post("/accounts/<id:user_id>/role")
def account_role(user_id: int):
    user = account_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return render_account(user, error="Choose reception or owner.", status=422)
    try:
        changed = account_service.change_role(user, form.role.data, actor=current_user)
    except AccountError as error:
        return render_account(user, error=str(error), status=409)
    flash(f"{user.email} is now {user.role}." if changed else "The role was not changed.")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/deactivate")
def account_deactivate(user_id: int):
    user = account_or_404(user_id)
    try:
        changed = account_service.deactivate(user, actor=current_user)
    except AccountError as error:
        return render_account(user, error=str(error), status=409)
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


# Practitioners


def practitioner_or_404(practitioner_id: int) -> Practitioner:
    return db.get_or_404(Practitioner, practitioner_id)


def practitioner_form(practitioner: Practitioner | None = None) -> PractitionerForm:
    """The details form filled from the practitioner, or empty for a new one."""
    services = staffing.all_services()
    if practitioner is None:
        return PractitionerForm.with_services(services, formdata=None)
    # Not obj=practitioner: WTForms prefers obj over keywords, and its services are rows.
    return PractitionerForm.with_services(
        services,
        formdata=None,
        name=practitioner.name,
        title=practitioner.title,
        bio=practitioner.bio,
        services=[service.id for service in practitioner.services],
    )


def posted_practitioner_form() -> PractitionerForm:
    return PractitionerForm.with_services(staffing.all_services())


def add_error(form: PractitionerForm, error: staffing.StaffingError) -> None:
    field = form[error.field or "name"]
    field.errors = [*field.errors, error.message]


def render_practitioners(form: PractitionerForm, status: int = 200):
    everyone = staffing.list_practitioners()
    return render_template(
        "admin/practitioners/index.html",
        active=[p for p in everyone if p.active],
        retired=[p for p in everyone if not p.active],
        hours_lines=hours_lines,
        form=form,
    ), status


def render_practitioner(
    practitioner: Practitioner,
    form: PractitionerForm,
    *,
    error: str | None = None,
    status: int = 200,
):
    return render_template(
        "admin/practitioners/edit.html",
        practitioner=practitioner,
        form=form,
        hours=hours_lines(practitioner.weekly_hours),
        upcoming=staffing.upcoming_bookings(practitioner) if practitioner.active else [],
        error=error,
    ), status


@bp.get("/practitioners")
def practitioners():
    return render_practitioners(practitioner_form())


@bp.post("/practitioners")
def practitioner_create():
    form = posted_practitioner_form()
    if not form.validate_on_submit():
        return render_practitioners(form, 422)
    try:
        practitioner = staffing.create_practitioner(
            form.name.data,
            form.title.data or "",
            form.bio.data or "",
            form.services.data or [],
            actor=current_user,
        )
    except staffing.StaffingError as error:
        add_error(form, error)
        return render_practitioners(form, 422)
    flash(f"{practitioner.name} added. Patients cannot book them until their weekly hours are set.")
    return redirect(url_for("admin.practitioner_edit", practitioner_id=practitioner.id))


@bp.route("/practitioners/<id:practitioner_id>", methods=["GET", "POST"])
def practitioner_edit(practitioner_id: int):
    practitioner = practitioner_or_404(practitioner_id)
    if request.method == "GET":
        return render_practitioner(practitioner, practitioner_form(practitioner))
    form = posted_practitioner_form()
    if not form.validate_on_submit():
        return render_practitioner(practitioner, form, status=422)
    try:
        changed = staffing.update_practitioner(
            practitioner,
            form.name.data,
            form.title.data or "",
            form.bio.data or "",
            form.services.data or [],
            actor=current_user,
        )
    except staffing.StaffingError as error:
        add_error(form, error)
        return render_practitioner(practitioner, form, status=422)
    flash(f"Saved {practitioner.name}'s details." if changed else "No changes to save.")
    return redirect(url_for("admin.practitioner_edit", practitioner_id=practitioner.id))


@bp.post("/practitioners/<id:practitioner_id>/retire")
def practitioner_retire(practitioner_id: int):
    practitioner = practitioner_or_404(practitioner_id)
    try:
        changed = staffing.retire_practitioner(practitioner, actor=current_user)
    except staffing.StaffingError as refused:
        return render_practitioner(
            practitioner, practitioner_form(practitioner), error=refused.message, status=409
        )
    flash(
        f"{practitioner.name} is retired: no longer offered to patients or shown in the "
        "calendar. Their past bookings are kept."
        if changed
        else f"{practitioner.name} was already retired."
    )
    return redirect(url_for("admin.practitioners"))


@bp.post("/practitioners/<id:practitioner_id>/restore")
def practitioner_restore(practitioner_id: int):
    practitioner = practitioner_or_404(practitioner_id)
    changed = staffing.restore_practitioner(practitioner, actor=current_user)
    if not changed:
        flash(f"{practitioner.name} was already active.")
    elif practitioner.hours:
        flash(f"{practitioner.name} is back: patients can book them in their weekly hours.")
    else:
        flash(f"{practitioner.name} is back. Set their weekly hours so patients can book them.")
    return redirect(url_for("admin.practitioners"))
