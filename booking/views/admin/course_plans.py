"""Course plans: one per condition, its two services, how many sessions, the package."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from booking.forms.catalogue import CoursePlanForm
from booking.services import catalogue
from booking.services.catalogue import CatalogueError
from booking.views.admin import bp
from booking.views.helpers import clinic


@bp.get("/course-plans")
def course_plans():
    currency = clinic().currency
    plans = catalogue.course_plans()
    return render_template(
        "admin/course_plans/index.html",
        plans=[(plan, plan.estimate(currency)) for plan in plans],
    )


@bp.route("/course-plans/<condition>", methods=["GET", "POST"])
def course_plan(condition: str):
    plan = catalogue.course_plan(condition)
    if plan is None:
        abort(404)
    form = CoursePlanForm.for_plan(plan)
    form.offer(
        catalogue.plan_choices(condition, "initial"),
        catalogue.plan_choices(condition, "follow-up"),
    )
    if form.is_submitted():
        form.validate()
        if form.has_values():
            form.add_errors(catalogue.plan_check(plan, form.details()))
        if not form.errors:
            try:
                changed = catalogue.update_course_plan(plan, form.details(), actor=current_user)
            except CatalogueError as error:
                form.add_errors(error.fields)
            else:
                label = plan.condition_label
                saved = (
                    f"{label} course plan saved: every {label.lower()} page shows the new estimate."
                )
                flash(saved if changed else "No changes.")
                return redirect(url_for("admin.course_plans"))
    return render_template(
        "admin/course_plans/form.html",
        plan=plan,
        form=form,
        estimate=plan.estimate(clinic().currency),
    ), 422 if form.errors else 200
