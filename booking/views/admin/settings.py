"""Clinic settings and the versioned GP disclaimer."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from booking.domain.money import amount, format_money
from booking.errors import ValidationError
from booking.forms.settings import SettingsForm
from booking.services.clinic import current_disclaimer, get_settings
from booking.services.settings import FIELDS, disclaimer_versions, save_settings
from booking.views.admin import bp


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    current = get_settings()
    disclaimer = current_disclaimer()
    form = SettingsForm(
        obj=current,
        price_min=amount(current.price_min_cents),
        price_max=amount(current.price_max_cents),
        disclaimer=disclaimer.text,
    )
    if form.validate_on_submit():
        values = {field: form[field].data for field in FIELDS if field in form}
        values["email"] = values.get("email") or ""
        values["npi"] = values.get("npi") or ""
        values["tin"] = (values.get("tin") or "").replace("-", "")
        values["price_min_cents"] = form.price_min.cents
        values["price_max_cents"] = form.price_max.cents
        try:
            saved = save_settings(values, form.disclaimer.data, actor=current_user)
        except ValidationError as error:
            for name, message in error.fields.items():
                form[name].errors = [*form[name].errors, message]
            return render_settings(form)
        if saved.disclaimer_version:
            flash(
                f"Disclaimer saved as version {saved.disclaimer_version}; "
                "new bookings record that version."
            )
        flash("Settings saved." if saved.changed or saved.disclaimer_version else "No changes.")
        for service in saved.out_of_bounds:
            flash(
                f"{service.name} costs {format_money(service.price_cents, values['currency'])}, "
                "outside the new bounds: patients still see that price until you change it."
            )
        return redirect(url_for("admin.settings"))
    return render_settings(form)


def render_settings(form: SettingsForm):
    status = 422 if form.errors else 200
    return render_template("admin/settings.html", form=form, versions=disclaimer_versions()), status
