"""The owner's reports: a page of charts and tables, and each table as a CSV download.

The routes read the dates asked for and hand the report to booking.presenters.reports,
which builds what the page and the downloads show.
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, render_template, request

from booking.domain.reports import Report, ReportRangeError
from booking.models.service import CONDITIONS
from booking.presenters.reports import REPORTS, download, referrals_line, sections
from booking.services.reports import clinic_report, last_full_weeks
from booking.views.admin import bp
from booking.views.params import ParamError, parse_date


def chosen_range() -> tuple[date, date]:
    """The from/to dates in the query string, or the default: four weeks back, this one,
    four ahead."""
    first, last = request.args.get("from", ""), request.args.get("to", "")
    if not first and not last:
        return last_full_weeks()
    return parse_date(first, "the start date"), parse_date(last, "the end date")


def report_or_error(*, outcomes: bool = True) -> tuple[Report | None, str]:
    """The report for the dates asked for, or why there is none."""
    try:
        first_day, last_day = chosen_range()
        return clinic_report(first_day, last_day, outcomes=outcomes), ""
    except (ParamError, ReportRangeError) as error:
        return None, error.message


@bp.get("/reports")
def reports():
    report, error = report_or_error()
    if report is None:
        chosen = {key: request.args.get(key, "") for key in ("from", "to")}
        return render_template("admin/reports.html", error=error, chosen=chosen), 400
    return render_template(
        "admin/reports.html",
        report=report,
        sections=sections(report, CONDITIONS),
        referrals=referrals_line(report),
        chosen={"from": report.first_day.isoformat(), "to": report.last_day.isoformat()},
    )


@bp.get("/reports/<name>.csv")
def report_csv(name: str):
    if name not in REPORTS:
        abort(404)
    report, error = report_or_error(outcomes=name == "outcomes")
    if report is None:
        return Response(f"{error}\n", status=400, mimetype="text/plain")
    filename = f"{name}-{report.first_day.isoformat()}-to-{report.last_day.isoformat()}.csv"
    return Response(
        download(name, report, CONDITIONS),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
