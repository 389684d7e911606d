"""The owner's reports as the page and the downloads show them: tables, bar charts, CSV.

Each report is built once as a Table of cells that know how the page shows them and
what the CSV holds, so the download always has the figures the page shows. Pure: no
web framework, no database; the names of the conditions are passed in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from booking.domain.clock import short_day
from booking.domain.money import amount, format_money
from booking.domain.outcomes import REFERRALS
from booking.domain.reports import Rate, Report

# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Chart geometry, in SVG user units; the stylesheet scales the drawing to fit.
CHART_WIDTH, LABEL_WIDTH, BAR_SPACE, BAR_HEIGHT, BAR_GAP, ROW_GAP = 640, 190, 330, 18, 3, 12
# The first columns of a table by week; a week cut by the chosen dates has fewer days.
WEEK_COLUMNS = ("Week starting (Monday)", "ISO week", "Days counted")
# Longest row label a chart draws in full; the table beside it has every name whole.
LABEL_CHARS = 19


@dataclass(frozen=True, slots=True)
class Cell:
    text: str  # as the page shows it
    value: str  # as the CSV holds it
    numeric: bool = True


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    header: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    series: str
    x: float
    width: float
    title: str


@dataclass(frozen=True, slots=True)
class Line:
    y: float
    segments: tuple[Segment, ...]
    text: str
    text_x: float

    @property
    def middle(self) -> float:
        return self.y + BAR_HEIGHT / 2


@dataclass(frozen=True, slots=True)
class ChartRow:
    label: str
    label_y: float
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    title: str
    description: str
    height: float
    rows: tuple[ChartRow, ...]
    legend: tuple[tuple[str, str], ...] = ()
    # Percentages get a faint 0-100% track behind each bar.
    track: bool = False
    width: int = CHART_WIDTH
    bar_height: int = BAR_HEIGHT
    label_x: int = LABEL_WIDTH - 8
    track_x: int = LABEL_WIDTH
    track_width: int = BAR_SPACE


def label(text: str, csv_text: str | None = None) -> Cell:
    return Cell(text, text if csv_text is None else csv_text, numeric=False)


def count(number: int) -> Cell:
    return Cell(f"{number:,}", str(number))


def cash(cents: int, currency: str) -> Cell:
    return Cell(format_money(cents, currency), amount(cents))


def percent(rate: Rate) -> Cell:
    value = rate.percent
    return Cell("—", "") if value is None else Cell(f"{value}%", str(value))


def duration(minutes: int) -> Cell:
    hours, rest = divmod(minutes, 60)
    return Cell(f"{hours:,} h {rest:02d} min", str(minutes))


def week_label(monday: date) -> str:
    return f"{short_day(monday)} {monday.year}"


def chart_label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def week_mark(monday: date, days: int) -> str:
    """A week as a chart row names it: short, with part weeks marked."""
    text = f"{monday.day} {monday:%b %Y}"
    return text if days == 7 else f"{text} (part)"


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def bar_chart(
    name: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[tuple[Sequence[tuple[str, float, str]], str]]]],
    *,
    legend: tuple[tuple[str, str], ...] = (),
    top: float | None = None,
    track: bool = False,
) -> Chart:
    """Horizontal bars: per row a label and lines; a line is (segments, text at its end).

    A segment is (series, value, tooltip); the segments of a line are stacked. Values
    are scaled so `top` (by default the longest line) fills the bar space.
    """
    longest = max((sum(v for _, v, _ in segs) for _, lines in rows for segs, _ in lines), default=0)
    top = max(top or 0, longest) or 1
    y, placed = float(ROW_GAP), []
    for row_label, lines in rows:
        first_y, row_lines = y, []
        for segments, text in lines:
            x, pieces = float(LABEL_WIDTH), []
            for series, value, tip in segments:
                width = round(BAR_SPACE * value / top, 1)
                pieces.append(Segment(series, round(x, 1), width, tip))
                x += width
            row_lines.append(Line(y, tuple(pieces), text, round(x + 6, 1)))
            y += BAR_HEIGHT + BAR_GAP
        label_y = round((first_y + y - BAR_GAP) / 2, 1)
        placed.append(ChartRow(chart_label(row_label), label_y, tuple(row_lines)))
        y += ROW_GAP - BAR_GAP
    return Chart(name, title, description, y, tuple(placed), legend, track)


# One function per report: its table, then its chart. Each takes the report and the
# names of the conditions (key -> name); only the bookings ones use them.

Names = Mapping[str, str]


def bookings_table(report: Report, conditions: Names) -> Table:
    names = [conditions.get(c, c) for c in report.conditions]
    rows = tuple(
        (
            label(week_label(w.week), w.week.isoformat()),
            label(iso_week(w.week)),
            count(w.days),
            *(count(w.by_condition.get(c, 0)) for c in report.conditions),
            count(w.total),
        )
        for w in report.weeks
    )
    total = (
        label("Total"),
        label(""),
        count(report.days),
        *(count(sum(w.by_condition.get(c, 0) for w in report.weeks)) for c in report.conditions),
        count(sum(w.total for w in report.weeks)),
    )
    return Table(
        "Bookings by week and condition",
        tuple(map(label, (*WEEK_COLUMNS, *names, "All bookings"))),
        rows,
        total,
    )


def bookings_chart(report: Report, conditions: Names) -> Chart:
    rows = [
        (
            week_mark(w.week, w.days),
            [
                (
                    [
                        (
                            c,
                            w.by_condition.get(c, 0),
                            f"Week of {short_day(w.week)}: {w.by_condition.get(c, 0)} "
                            f"{conditions.get(c, c).lower()} bookings",
                        )
                        for c in report.conditions
                    ],
                    f"{w.total:,}",
                )
            ],
        )
        for w in report.weeks
    ]
    return bar_chart(
        "bookings-by-week",
        "Bookings by week",
        "Bookings not cancelled per week, split into neck pain and back pain. "
        "The table below has the figures.",
        rows,
        legend=tuple((c, conditions.get(c, c)) for c in report.conditions),
    )


def utilisation_table(report: Report, conditions: Names) -> Table:
    rows = tuple(
        (
            label(u.name),
            duration(u.booked_minutes),
            duration(u.open_minutes),
            percent(u.rate),
        )
        for u in report.utilisation
    )
    return Table(
        "Utilisation by practitioner",
        (
            label("Practitioner"),
            label("Booked time", "Booked minutes"),
            label("Open time", "Open minutes"),
            label("Utilisation", "Utilisation (%)"),
        ),
        rows,
    )


def utilisation_chart(report: Report, conditions: Names) -> Chart:
    rows = []
    for u in report.utilisation:
        value = u.rate.percent
        shown = "no open hours" if value is None else f"{value}%"
        rows.append(
            (
                u.name,
                [([("held", float(value or 0), f"{u.name}: {shown} of open time booked")], shown)],
            )
        )
    return bar_chart(
        "utilisation",
        "Utilisation by practitioner",
        "Share of each practitioner's open time that was booked, on a scale of 0 to 100%. "
        "The table below has the figures.",
        rows,
        top=100,
        track=True,
    )


def attendance_table(report: Report, conditions: Names) -> Table:
    a = report.attendance
    return Table(
        "No-shows and cancellations",
        (label("Measure"), label("Count"), label("Out of"), label("Rate", "Rate (%)")),
        (
            (label("No-show rate"), count(a.noshows), count(a.started), percent(a.noshow_rate)),
            (
                label("Cancellation rate"),
                count(a.cancelled),
                count(a.bookings),
                percent(a.cancellation_rate),
            ),
        ),
    )


def attendance_chart(report: Report, conditions: Names) -> Chart:
    a = report.attendance
    rows = []
    for name, series, rate in (
        ("No-shows", "noshow", a.noshow_rate),
        ("Cancellations", "cancelled", a.cancellation_rate),
    ):
        shown = "—" if rate.percent is None else f"{rate.percent}%"
        tip = f"{name}: {rate.part} of {rate.whole} ({shown})"
        rows.append((name, [([(series, float(rate.percent or 0), tip)], shown)]))
    return bar_chart(
        "attendance",
        "No-show and cancellation rates",
        "No-show rate and cancellation rate, on a scale of 0 to 100%. "
        "The table below has the figures.",
        rows,
        top=100,
        track=True,
    )


def revenue_table(report: Report, conditions: Names) -> Table:
    r = report.revenue
    rows = tuple(
        (
            label(week_label(w.week), w.week.isoformat()),
            label(iso_week(w.week)),
            count(w.days),
            cash(w.booked_cents, r.currency),
            cash(w.realised_cents, r.currency),
        )
        for w in r.weeks
    )
    return Table(
        f"Revenue by week ({r.currency})",
        (
            *map(label, WEEK_COLUMNS),
            label("Booked", f"Booked ({r.currency})"),
            label("Realised", f"Realised ({r.currency})"),
        ),
        rows,
        (
            label("Total"),
            label(""),
            count(report.days),
            cash(r.booked_cents, r.currency),
            cash(r.realised_cents, r.currency),
        ),
    )


def revenue_chart(report: Report, conditions: Names) -> Chart:
    r = report.revenue
    rows = []
    for w in r.weeks:
        booked = format_money(w.booked_cents, r.currency)
        realised = format_money(w.realised_cents, r.currency)
        week = short_day(w.week)
        rows.append(
            (
                week_mark(w.week, w.days),
                [
                    ([("booked", w.booked_cents, f"Week of {week}: {booked} booked")], booked),
                    (
                        [("realised", w.realised_cents, f"Week of {week}: {realised} realised")],
                        realised,
                    ),
                ],
            )
        )
    return bar_chart(
        "revenue",
        "Revenue by week",
        "For each week, booked revenue and, below it, realised revenue. "
        "The table below has the figures.",
        rows,
        legend=(("booked", "Booked"), ("realised", "Realised")),
    )


def patients_table(report: Report, conditions: Names) -> Table:
    p = report.patients
    return Table(
        "New and returning patients",
        (label("Patients"), label("Count"), label("Share", "Share (%)")),
        (
            (label("New"), count(p.new), percent(Rate(p.new, p.total))),
            (label("Returning"), count(p.returning), percent(Rate(p.returning, p.total))),
        ),
        (label("Total"), count(p.total), percent(Rate(p.total, p.total))),
    )


def patients_chart(report: Report, conditions: Names) -> Chart:
    p = report.patients
    rows = [
        (name, [([(series, number, f"{name} patients: {number}")], f"{number:,}")])
        for name, series, number in (("New", "new", p.new), ("Returning", "returning", p.returning))
    ]
    return bar_chart(
        "patients",
        "New and returning patients",
        "How many patients seen in these dates were new and how many were returning. "
        "The table below has the figures.",
        rows,
    )


def _median(value) -> Cell:
    if value is None:
        return Cell("—", "")
    text = str(int(value)) if value.denominator == 1 else f"{float(value):.1f}"
    return Cell(text, text)


def outcomes_table(report: Report, conditions: Names) -> Table:
    def row(f) -> tuple[Cell, ...]:
        name = "All courses" if f.condition is None else conditions.get(f.condition, f.condition)
        return (
            label(name),
            count(f.courses),
            count(f.measured),
            count(f.improved),
            percent(Rate(f.improved, f.measured)),
            count(f.referred),
            count(f.discharged),
            count(f.stopped_early),
            _median(f.median_sessions_to_improvement),
        )

    figures = report.outcomes
    return Table(
        "Course outcomes",
        (
            label("Courses"),
            label("Courses", "Courses (count)"),
            label("With scores to compare"),
            label("Improved"),
            label("Improved (share of those with scores)", "Improved (%)"),
            label("Referred out"),
            label("Discharged as improved"),
            label("Stopped early"),
            label("Median sessions to improvement"),
        ),
        tuple(row(f) for f in figures[1:]),
        row(figures[0]) if figures else None,
    )


def referrals_line(report: Report) -> str:
    """'Physiotherapy 2, GP or doctor 1': where the courses in these dates were referred."""
    if not report.outcomes:
        return ""
    parts = [f"{REFERRALS[key]} {n}" for key, n in report.outcomes[0].referred_to if n]
    return ", ".join(parts)


def outcomes_chart(report: Report, conditions: Names) -> Chart:
    rows = []
    for f in report.outcomes[1:]:
        name = conditions.get(f.condition, f.condition)
        lines = []
        for series, what, number in (
            ("improved", "improved", f.improved),
            ("referred", "referred out", f.referred),
            ("stopped", "stopped early", f.stopped_early),
        ):
            tip = f"{name}: {number} of {f.courses} courses {what}"
            lines.append(([(series, float(number), tip)], f"{number:,} {what}"))
        rows.append((name, lines))
    return bar_chart(
        "outcomes",
        "Course outcomes by condition",
        "For each condition, the courses that improved meaningfully, were referred out and "
        "stopped early. The table below has the figures.",
        rows,
        legend=(
            ("improved", "Improved"),
            ("referred", "Referred out"),
            ("stopped", "Stopped early"),
        ),
    )


# The name in the CSV's URL -> the section heading, the table, the chart.
REPORTS: dict[
    str, tuple[str, Callable[[Report, Names], Table], Callable[[Report, Names], Chart]]
] = {
    "bookings-by-week": ("Bookings by week", bookings_table, bookings_chart),
    "utilisation": ("Utilisation", utilisation_table, utilisation_chart),
    "attendance": ("No-shows and cancellations", attendance_table, attendance_chart),
    "revenue": ("Revenue", revenue_table, revenue_chart),
    "patients": ("New and returning patients", patients_table, patients_chart),
    "outcomes": ("Course outcomes", outcomes_table, outcomes_chart),
}


def safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in (table.header, *table.rows, *((table.total,) if table.total else ())):
        writer.writerow([safe_cell(cell.value) for cell in row])
    return out.getvalue()


def sections(report: Report, conditions: Names) -> list[tuple[str, str, Table, Chart]]:
    """Every report on the page, in order: its name, heading, table and chart."""
    return [
        (name, heading, table(report, conditions), chart(report, conditions))
        for name, (heading, table, chart) in REPORTS.items()
    ]


def download(name: str, report: Report, conditions: Names) -> str:
    """The named report's table as CSV; KeyError for a name not in REPORTS."""
    return csv_text(REPORTS[name][1](report, conditions))
