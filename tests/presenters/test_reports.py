"""The reports as the page and the CSV show them: cells, tables, chart geometry and CSV.

Pure: every test builds a Report by hand and needs no app, database or request.
"""

from __future__ import annotations

from datetime import date

import pytest

from booking.domain.reports import (
    Attendance,
    PatientMix,
    Rate,
    Report,
    Revenue,
    Utilisation,
    WeekBookings,
    WeekRevenue,
)
from booking.presenters.reports import (
    BAR_HEIGHT,
    REPORTS,
    Cell,
    Table,
    attendance_table,
    bar_chart,
    bookings_chart,
    bookings_table,
    cash,
    chart_label,
    count,
    csv_text,
    download,
    duration,
    iso_week,
    label,
    patients_chart,
    patients_table,
    percent,
    revenue_chart,
    revenue_table,
    safe_cell,
    sections,
    utilisation_chart,
    utilisation_table,
    week_label,
    week_mark,
)

NAMES = {"neck": "Neck pain", "back": "Back pain"}
MAR_2, MAR_9 = date(2026, 3, 2), date(2026, 3, 9)
ATTENDANCE = Attendance(bookings=10, cancelled=2, started=8, noshows=2)
PATIENTS = PatientMix(new=6, returning=1)


def sample(
    *,
    currency: str = "USD",
    utilisation: tuple[Utilisation, ...] = (),
    attendance: Attendance = ATTENDANCE,
    patients: PatientMix = PATIENTS,
) -> Report:
    """Wednesday 4 to Monday 9 March 2026: a part week, then one day of the next."""
    return Report(
        first_day=date(2026, 3, 4),
        last_day=MAR_9,
        conditions=("neck", "back"),
        weeks=(
            WeekBookings(MAR_2, 5, {"neck": 2, "back": 1}),
            WeekBookings(MAR_9, 1, {"neck": 1, "back": 0}),
        ),
        utilisation=utilisation,
        attendance=attendance,
        revenue=Revenue(
            currency,
            (WeekRevenue(MAR_2, 5, 42000, 25000), WeekRevenue(MAR_9, 1, 123456, 0)),
        ),
        patients=patients,
    )


def texts(cells):
    return [cell.text for cell in cells]


def values(cells):
    return [cell.value for cell in cells]


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("cell", "text", "value", "numeric"),
    [
        (count(0), "0", "0", True),
        (count(12345), "12,345", "12345", True),
        (cash(42000, "USD"), "$420.00", "420.00", True),
        (cash(123456, "GBP"), "£1,234.56", "1234.56", True),
        (cash(999, "CHF"), "9.99 CHF", "9.99", True),
        (percent(Rate(1, 8)), "12.5%", "12.5", True),
        (percent(Rate(0, 0)), "—", "", True),  # nothing to divide by: no rate, not 0%
        (duration(0), "0 h 00 min", "0", True),
        (duration(105), "1 h 45 min", "105", True),
        (duration(60_000), "1,000 h 00 min", "60000", True),
        (label("Mon 2 Mar 2026", "2026-03-02"), "Mon 2 Mar 2026", "2026-03-02", False),
        (label("Total"), "Total", "Total", False),
    ],
)
def test_a_cell_shows_people_one_text_and_gives_the_csv_a_plain_value(cell, text, value, numeric):
    assert (cell.text, cell.value, cell.numeric) == (text, value, numeric)


@pytest.mark.parametrize(
    ("monday", "days", "table", "chart", "iso"),
    [
        (MAR_2, 7, "Mon 2 Mar 2026", "2 Mar 2026", "2026-W10"),
        (MAR_2, 5, "Mon 2 Mar 2026", "2 Mar 2026 (part)", "2026-W10"),
        # The ISO year is not always the calendar year.
        (date(2026, 12, 28), 7, "Mon 28 Dec 2026", "28 Dec 2026", "2026-W53"),
        (date(2024, 12, 30), 7, "Mon 30 Dec 2024", "30 Dec 2024", "2025-W01"),
    ],
)
def test_weeks_are_named_in_full_in_tables_and_shortly_on_charts(monday, days, table, chart, iso):
    assert week_label(monday) == table
    assert week_mark(monday, days) == chart
    assert iso_week(monday) == iso


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Mei Lin", "Mei Lin"),
        ("Nineteen characters", "Nineteen characters"),
        ("Twenty characters!!!", "Twenty characters!…"),
        ("Twenty-one characters", "Twenty-one charact…"),
    ],
)
def test_chart_labels_longer_than_fit_are_cut_with_an_ellipsis(name, shown):
    assert chart_label(name) == shown
    assert len(chart_label(name)) <= 19


# --------------------------------------------------------------------------- tables


def test_bookings_by_week_name_the_conditions_and_count_every_column():
    table = bookings_table(sample(), NAMES)
    assert table.caption == "Bookings by week and condition"
    assert texts(table.header) == [
        "Week starting (Monday)",
        "ISO week",
        "Days counted",
        "Neck pain",
        "Back pain",
        "All bookings",
    ]
    assert [texts(row) for row in table.rows] == [
        ["Mon 2 Mar 2026", "2026-W10", "5", "2", "1", "3"],
        ["Mon 9 Mar 2026", "2026-W11", "1", "1", "0", "1"],
    ]
    assert values(table.rows[0])[:2] == ["2026-03-02", "2026-W10"]
    assert texts(table.total) == ["Total", "", "6", "3", "1", "4"]


def test_a_condition_without_a_name_is_shown_by_its_key():
    assert texts(bookings_table(sample(), {"neck": "Neck pain"}).header)[3:5] == [
        "Neck pain",
        "back",
    ]


@pytest.mark.parametrize(
    ("currency", "caption", "booked", "total"),
    [
        ("USD", "Revenue by week (USD)", "$420.00", "$1,654.56"),
        ("GBP", "Revenue by week (GBP)", "£420.00", "£1,654.56"),
        ("EUR", "Revenue by week (EUR)", "€420.00", "€1,654.56"),
    ],
)
def test_revenue_is_shown_in_the_reports_own_currency(currency, caption, booked, total):
    table = revenue_table(sample(currency=currency), NAMES)
    assert table.caption == caption
    assert values(table.header)[3:] == [f"Booked ({currency})", f"Realised ({currency})"]
    assert texts(table.rows[0])[3:] == [booked, booked.replace("420", "250")]
    assert texts(table.total)[3] == total
    assert values(table.total) == ["Total", "", "6", "1654.56", "250.00"]


def test_utilisation_shows_hours_and_minutes_and_the_csv_minutes():
    report = sample(utilisation=(Utilisation(1, "Mei Lin", 105, 3780), Utilisation(2, "Al", 0, 0)))
    table = utilisation_table(report, NAMES)
    assert [texts(row) for row in table.rows] == [
        ["Mei Lin", "1 h 45 min", "63 h 00 min", "2.8%"],
        ["Al", "0 h 00 min", "0 h 00 min", "—"],
    ]
    assert values(table.header) == [
        "Practitioner",
        "Booked minutes",
        "Open minutes",
        "Utilisation (%)",
    ]
    assert table.total is None


@pytest.mark.parametrize(
    ("attendance", "noshow", "cancellation"),
    [
        (Attendance(10, 2, 8, 2), ["No-show rate", "2", "8", "25.0%"], "20.0%"),
        (Attendance(0, 0, 0, 0), ["No-show rate", "0", "0", "—"], "—"),
    ],
)
def test_attendance_rates_say_what_they_are_out_of(attendance, noshow, cancellation):
    noshows, cancellations = attendance_table(sample(attendance=attendance), NAMES).rows
    assert texts(noshows) == noshow
    assert texts(cancellations)[3] == cancellation


@pytest.mark.parametrize(
    ("patients", "rows", "total"),
    [
        (PatientMix(6, 1), [["New", "6", "85.7%"], ["Returning", "1", "14.3%"]], "100.0%"),
        (PatientMix(0, 0), [["New", "0", "—"], ["Returning", "0", "—"]], "—"),
    ],
)
def test_patients_are_shares_of_everyone_seen(patients, rows, total):
    table = patients_table(sample(patients=patients), NAMES)
    assert [texts(row) for row in table.rows] == rows
    assert texts(table.total)[2] == total


# --------------------------------------------------------------------------- charts


def test_bars_are_scaled_to_the_longest_line_and_rows_stack_down_the_drawing():
    chart = bar_chart(
        "c",
        "Title",
        "Description",
        [("One", [([("a", 1, "one")], "1")]), ("Three", [([("a", 3, "three")], "3")])],
    )
    first, second = chart.rows
    # The longest line (3) fills the 330 units after the 190-unit label column.
    assert [(s.x, s.width) for s in first.lines[0].segments] == [(190.0, 110.0)]
    assert [(s.x, s.width) for s in second.lines[0].segments] == [(190.0, 330.0)]
    assert (first.lines[0].text_x, second.lines[0].text_x) == (306.0, 526.0)
    # 12 above the first bar, 18 a bar, 12 between rows.
    assert (first.lines[0].y, first.label_y) == (12.0, 21.0)
    assert (second.lines[0].y, second.label_y) == (42.0, 51.0)
    assert first.lines[0].middle == 12.0 + BAR_HEIGHT / 2
    assert chart.height == 72.0


def test_segments_of_a_line_stack_and_lines_of_a_row_share_its_label():
    chart = bar_chart(
        "c",
        "T",
        "D",
        [("Week", [([("a", 1, "a"), ("b", 1, "b")], "2"), ([("c", 1, "c")], "1")])],
        top=4,
    )
    (row,) = chart.rows
    stacked, single = row.lines
    assert [(s.series, s.x, s.width) for s in stacked.segments] == [
        ("a", 190.0, 82.5),
        ("b", 272.5, 82.5),
    ]
    assert [(s.x, s.width) for s in single.segments] == [(190.0, 82.5)]
    assert (stacked.y, single.y) == (12.0, 33.0)
    assert row.label_y == 31.5  # halfway down the two bars
    assert chart.height == 63.0


def test_a_chart_of_nothing_draws_empty_bars_rather_than_dividing_by_zero():
    chart = bar_chart("c", "T", "D", [("None", [([("a", 0, "none")], "0")])])
    assert chart.rows[0].lines[0].segments[0].width == 0.0


@pytest.mark.parametrize(
    ("builder", "name", "track", "legend"),
    [
        (bookings_chart, "bookings-by-week", False, (("neck", "Neck pain"), ("back", "Back pain"))),
        (utilisation_chart, "utilisation", True, ()),
        (revenue_chart, "revenue", False, (("booked", "Booked"), ("realised", "Realised"))),
        (patients_chart, "patients", False, ()),
    ],
)
def test_each_chart_is_named_for_its_report(builder, name, track, legend):
    report = sample(utilisation=(Utilisation(1, "Mei Lin", 105, 3780),))
    chart = builder(report, NAMES)
    assert (chart.name, chart.track, chart.legend) == (name, track, legend)
    assert chart.description.endswith("The table below has the figures.")


def test_bar_tooltips_say_the_week_and_the_figure():
    bookings = bookings_chart(sample(), NAMES)
    assert [s.title for s in bookings.rows[0].lines[0].segments] == [
        "Week of Mon 2 Mar: 2 neck pain bookings",
        "Week of Mon 2 Mar: 1 back pain bookings",
    ]
    assert [r.label for r in bookings.rows] == ["2 Mar 2026 (part)", "9 Mar 2026 (part)"]
    revenue = revenue_chart(sample(currency="GBP"), NAMES)
    booked, realised = revenue.rows[0].lines
    assert booked.segments[0].title == "Week of Mon 2 Mar: £420.00 booked"
    assert (booked.text, realised.text) == ("£420.00", "£250.00")


def test_a_practitioner_with_no_open_hours_is_said_so_on_the_chart():
    report = sample(utilisation=(Utilisation(2, "Al", 0, 0),))
    line = utilisation_chart(report, NAMES).rows[0].lines[0]
    assert line.text == "no open hours"
    assert line.segments[0].width == 0.0


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Mei Lin", "Mei Lin"),
        ("", ""),
        ("a=b", "a=b"),
        ("=HYPERLINK()", "'=HYPERLINK()"),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
    ],
)
def test_a_csv_cell_that_would_start_a_formula_is_kept_as_text(text, safe):
    assert safe_cell(text) == safe


def test_csv_has_the_header_rows_and_total_with_spreadsheet_line_ends():
    table = Table(
        "Caption",
        (label("Name"), label("Money", "Money (USD)")),
        ((label("Smith, Jo"), cash(9500, "USD")), (label("=1+1"), cash(0, "USD"))),
        (label("Total"), cash(9500, "USD")),
    )
    text = csv_text(table)
    assert text == ('Name,Money (USD)\r\n"Smith, Jo",95.00\r\n\'=1+1,0.00\r\nTotal,95.00\r\n')
    assert csv_text(Table("No total", (Cell("A", "A"),), ())) == "A\r\n"


def test_the_page_has_every_report_in_order_and_each_download_matches_its_table():
    report = sample(utilisation=(Utilisation(1, "Mei Lin", 105, 3780),))
    shown = sections(report, NAMES)
    assert [(name, heading) for name, heading, _, _ in shown] == [
        ("bookings-by-week", "Bookings by week"),
        ("utilisation", "Utilisation"),
        ("attendance", "No-shows and cancellations"),
        ("revenue", "Revenue"),
        ("patients", "New and returning patients"),
        ("outcomes", "Course outcomes"),
    ]
    for name, _, table, chart in shown:
        assert download(name, report, NAMES) == csv_text(table)
        assert chart.name == name
    assert list(REPORTS) == [name for name, _, _, _ in shown]
    with pytest.raises(KeyError):
        download("everything", report, NAMES)
