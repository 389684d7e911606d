"""The owner's reports page and CSV downloads, checked against a hand-built fortnight.

The fortnight is 2 to 15 March 2026 in New York, which holds the spring clock change
(Sunday 8 March, 02:00 -> 03:00). The demo practitioners keep their hours; the colleague
also works Sunday nights 00:00-06:00 so one opening spans the change. Every expected
figure is worked out by hand next to the rows that make it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Booking, Patient, Practitioner, Service, TimeOff, WorkingHours
from booking.models.base import utcnow
from booking.views.helpers import to_local

NY = ZoneInfo("America/New_York")
RANGE = "from=2026-03-02&to=2026-03-15"
NAMES = ("bookings-by-week", "utilisation", "attendance", "revenue", "patients", "outcomes")
URLS = ["/admin/reports", *(f"/admin/reports/{name}.csv" for name in NAMES)]
_numbers = count(1)


def local(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NY)


def add_booking(who, slug, day, clock, status, patient, price_cents=None, currency="USD"):
    """Insert a booking row for `who` as it would be stored, at a clinic wall-clock time."""
    service = db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()
    start = local(day, clock)
    end = start + timedelta(minutes=service.duration_minutes)
    n = next(_numbers)
    db.session.add(
        Booking(
            reference=f"R{n:07d}",
            practitioner_id=who.id,
            service_id=service.id,
            patient_id=patient.id,
            start_at=start,
            end_at=end,
            blocked_until=end + timedelta(minutes=service.buffer_minutes),
            status=status,
            price_cents=service.price_cents if price_cents is None else price_cents,
            currency=currency,
            disclaimer_version=1,
            disclaimer_accepted_at=start - timedelta(days=3),
            screening={},
            source="phone",
            manage_token_hash=f"{n:064x}",
        )
    )
    db.session.flush()


@pytest.fixture
def fortnight(app, clinic):
    """Bookings, hours and time off whose reports are worked out by hand."""
    with app.app_context():
        ann, bob, cat, dan, eve, fay, gus, hal, ivy = (
            Patient(name=name, email=f"{name.lower()}@example.com", phone="207 555 0100")
            for name in ("Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy")
        )
        db.session.add_all([ann, bob, cat, dan, eve, fay, gus, hal, ivy])
        practitioner, colleague, specialist = (
            clinic.practitioner,
            clinic.colleague,
            clinic.specialist,
        )
        db.session.add(
            WorkingHours(
                practitioner_id=colleague.id, weekday=6, start_time=time(0), end_time=time(6)
            )
        )
        db.session.add_all(
            [
                # The practitioner off all of Wednesday 11 March: 420 min.
                TimeOff(
                    practitioner_id=practitioner.id,
                    start_at=local("2026-03-11", "00:00"),
                    end_at=local("2026-03-12", "00:00"),
                ),
                # The specialist off Friday 13 March 08:00-11:00: 180 min.
                TimeOff(
                    practitioner_id=specialist.id,
                    start_at=local("2026-03-13", "08:00"),
                    end_at=local("2026-03-13", "11:00"),
                ),
            ]
        )
        # Before the dates: Ann has been before; Bob only ever cancelled.
        add_booking(practitioner, "neck-initial", "2026-02-16", "09:00", "fulfilled", ann)
        add_booking(practitioner, "back-initial", "2026-02-17", "09:00", "cancelled", bob)
        # Week of 2 March (the clocks change on its Sunday).
        add_booking(practitioner, "neck-initial", "2026-03-02", "09:00", "fulfilled", ann, 8000)
        add_booking(practitioner, "back-initial", "2026-03-03", "10:00", "noshow", bob)
        add_booking(practitioner, "neck-follow-up", "2026-03-04", "11:00", "cancelled", cat)
        add_booking(colleague, "neck-follow-up", "2026-03-08", "01:30", "arrived", eve)  # EST
        add_booking(colleague, "back-follow-up", "2026-03-08", "04:00", "fulfilled", dan)  # EDT
        # Sunday 22:30 in New York is Monday in UTC: still the week of 2 March.
        add_booking(specialist, "neck-initial", "2026-03-08", "22:30", "fulfilled", fay)
        # Week of 9 March.
        add_booking(practitioner, "neck-follow-up", "2026-03-09", "09:00", "fulfilled", ann)
        add_booking(practitioner, "back-follow-up", "2026-03-12", "14:00", "noshow", gus)
        add_booking(specialist, "back-follow-up", "2026-03-13", "12:00", "cancelled", bob)
        add_booking(colleague, "neck-initial", "2026-03-15", "23:15", "booked", hal)
        # Just outside the dates, though inside their first and last UTC days.
        add_booking(practitioner, "neck-initial", "2026-03-01", "23:30", "fulfilled", ivy)
        add_booking(practitioner, "neck-initial", "2026-03-16", "09:00", "fulfilled", ivy)
        db.session.commit()


def by_name(*rows: list[str]) -> list[list[str]]:
    """Rows of a per-practitioner table in the order the report gives them: by name."""
    return sorted(rows, key=lambda row: row[0])


class Tables(HTMLParser):
    """Each table on a page by caption: rows of cell texts, header and total included."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption = self._cell = self._row = None
        self._in_caption = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption.strip()] = []
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._caption.strip()].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell += data


def page_tables(client, query=RANGE) -> dict[str, list[list[str]]]:
    response = client.get(f"/admin/reports?{query}")
    assert response.status_code == 200
    return Tables(response.get_data(as_text=True)).tables


def csv_rows(client, name, query=RANGE) -> list[list[str]]:
    response = client.get(f"/admin/reports/{name}.csv?{query}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_bookings_by_week_by_condition(client, auth, fortnight):
    auth.login("owner")
    assert page_tables(client)["Bookings by week and condition"] == [
        [
            "Week starting (Monday)",
            "ISO week",
            "Days counted",
            "Neck pain",
            "Back pain",
            "All bookings",
        ],
        # Mar 2, 8 (01:30) and the specialist's Sunday-night booking; Mar 3 no-show and
        # Mar 8 04:00.
        ["Mon 2 Mar 2026", "2026-W10", "7", "3", "2", "5"],
        ["Mon 9 Mar 2026", "2026-W11", "7", "2", "1", "3"],
        ["Total", "", "14", "5", "3", "8"],
    ]


def test_utilisation_uses_hours_breaks_time_off_and_the_clock_change(
    client, auth, clinic, fortnight
):
    auth.login("owner")
    assert page_tables(client)["Utilisation by practitioner"] == [
        ["Practitioner", "Booked time", "Open time", "Utilisation"],
        *by_name(
            # Tue/Thu 12-20 less 30 min break x 4 = 1800, Sat 9-13 x 2 = 480, Sunday nights:
            # 8 March 5 real hours (300) + 15 March 360 = 2940. Held: 45 + 45 + 60 = 150.
            [clinic.colleague.name, "2 h 30 min", "49 h 00 min", "5.1%"],
            # 10 weekdays x 7 h = 4200 less Wednesday off (420) = 3780. Held: 60 + 45; her
            # two no-shows and the cancellation hold no time.
            [clinic.practitioner.name, "1 h 45 min", "63 h 00 min", "2.8%"],
            # Mon/Wed/Fri 8-14 x 6 = 2160, Sat 10-15 less 30 min x 2 = 540, less Friday
            # 08:00-11:00 off = 2520. Held: 60.
            [clinic.specialist.name, "1 h 00 min", "42 h 00 min", "2.4%"],
        ),
    ]


def test_no_show_and_cancellation_rates(client, auth, fortnight):
    auth.login("owner")
    assert page_tables(client)["No-shows and cancellations"] == [
        ["Measure", "Count", "Out of", "Rate"],
        ["No-show rate", "2", "8", "25.0%"],  # all 8 kept bookings have started
        ["Cancellation rate", "2", "10", "20.0%"],  # of every booking in the dates
    ]


def test_revenue_booked_and_realised_at_the_price_when_booked(client, auth, fortnight):
    auth.login("owner")
    assert page_tables(client)["Revenue by week (USD)"] == [
        ["Week starting (Monday)", "ISO week", "Days counted", "Booked", "Realised"],
        # Ann's first consultation was booked at $80, not today's $95.
        # Booked: 80 + 95 (no-show) + 75 (arrived) + 75 + 95; realised: 80 + 75 + 95.
        ["Mon 2 Mar 2026", "2026-W10", "7", "$420.00", "$250.00"],
        # Booked: 75 + 75 (no-show) + 95 (still booked); realised: 75.
        ["Mon 9 Mar 2026", "2026-W11", "7", "$245.00", "$75.00"],
        ["Total", "", "14", "$665.00", "$325.00"],
    ]


def test_new_and_returning_patients(client, auth, fortnight):
    auth.login("owner")
    assert page_tables(client)["New and returning patients"] == [
        ["Patients", "Count", "Share"],
        # Bob, Dan, Eve, Fay, Gus and Hal: Bob's only earlier booking was cancelled.
        ["New", "6", "85.7%"],
        ["Returning", "1", "14.3%"],  # Ann, seen in February
        ["Total", "7", "100.0%"],  # Cat only cancelled; Ivy's bookings are outside
    ]


def test_headline_figures_say_which_revenue_is_which(client, auth, fortnight):
    auth.login("owner")
    page = client.get(f"/admin/reports?{RANGE}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "from Monday 2 March 2026 to Sunday 15 March 2026 (14 days)" in text
    for figure in (
        "Bookings (not cancelled) 8",
        "No-show rate 25.0%",
        "Cancellation rate 20.0%",
        "Booked revenue $665.00",
        "Realised revenue $325.00",
        "New patients 6",
    ):
        assert figure in text
    assert "Realised : only sessions marked done" in text
    assert "booked, arrived and done. No-shows and cancellations are left out" in text


def test_bookings_priced_in_another_currency_are_left_out_and_said_so(app, client, auth, clinic):
    with app.app_context():
        ann = Patient(name="Ann", email="ann@example.com", phone="207 555 0100")
        db.session.add(ann)
        who = clinic.practitioner
        add_booking(who, "neck-initial", "2026-03-02", "09:00", "fulfilled", ann)
        add_booking(who, "neck-initial", "2026-03-03", "09:00", "fulfilled", ann, 12000, "CAD")
        db.session.commit()
    auth.login("owner")
    page = client.get(f"/admin/reports?{RANGE}").get_data(as_text=True)
    assert "1 booking priced in another currency is left out of these sums." in page
    assert csv_rows(client, "revenue")[-1] == ["Total", "", "14", "95.00", "95.00"]


def normalised(text: str) -> str:
    """A page cell as the CSV holds it: plain numbers, ISO dates, minutes."""
    if match := re.fullmatch(r"([\d,]+) h (\d\d) min", text):
        return str(int(match[1].replace(",", "")) * 60 + int(match[2]))
    if re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}", text):
        return datetime.strptime(text, "%a %d %b %Y").date().isoformat()
    return text.removeprefix("$").removesuffix("%").replace(",", "").replace("—", "")


@pytest.mark.parametrize(
    ("name", "caption"),
    [
        ("bookings-by-week", "Bookings by week and condition"),
        ("utilisation", "Utilisation by practitioner"),
        ("attendance", "No-shows and cancellations"),
        ("revenue", "Revenue by week (USD)"),
        ("patients", "New and returning patients"),
    ],
)
def test_each_csv_holds_the_figures_the_page_shows(client, auth, fortnight, name, caption):
    auth.login("owner")
    page = page_tables(client)[caption]
    rows = csv_rows(client, name)
    assert len(rows) == len(page) > 1
    for page_row, csv_row in zip(page[1:], rows[1:], strict=True):
        assert [normalised(cell) for cell in page_row] == csv_row


def test_csv_is_an_attachment_with_a_header_row_and_plain_numbers(client, auth, clinic, fortnight):
    auth.login("owner")
    response = client.get(f"/admin/reports/utilisation.csv?{RANGE}")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="utilisation-2026-03-02-to-2026-03-15.csv"'
    )
    assert csv_rows(client, "utilisation") == [
        ["Practitioner", "Booked minutes", "Open minutes", "Utilisation (%)"],
        *by_name(
            [clinic.colleague.name, "150", "2940", "5.1"],
            [clinic.practitioner.name, "105", "3780", "2.8"],
            [clinic.specialist.name, "60", "2520", "2.4"],
        ),
    ]
    assert csv_rows(client, "revenue")[0] == [
        "Week starting (Monday)",
        "ISO week",
        "Days counted",
        "Booked (USD)",
        "Realised (USD)",
    ]
    assert csv_rows(client, "revenue")[-1] == ["Total", "", "14", "665.00", "325.00"]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x.test")', "+1 555", "-2+3", "@SUM(A1)"])
def test_csv_cells_never_start_a_formula(app, client, auth, clinic, name):
    with app.app_context():
        db.session.get(Practitioner, clinic.practitioner.id).name = name
        db.session.commit()
    auth.login("owner")
    rows = csv_rows(client, "utilisation")
    assert [f"'{name}"] == [row[0] for row in rows if row[0].endswith(name)]
    # The page shows the name as it is.
    assert name in [row[0] for row in page_tables(client)["Utilisation by practitioner"]]


def test_cells_in_a_week_cut_by_the_dates_count_only_those_days(client, auth, fortnight):
    auth.login("owner")
    tables = page_tables(client, "from=2026-03-04&to=2026-03-09")
    assert tables["Bookings by week and condition"][1:] == [
        # Wednesday's cancellation is not counted; the Sunday bookings are.
        ["Mon 2 Mar 2026", "2026-W10", "5", "2", "1", "3"],
        ["Mon 9 Mar 2026", "2026-W11", "1", "1", "0", "1"],
        ["Total", "", "6", "3", "1", "4"],
    ]


def test_without_dates_this_week_the_four_before_and_four_ahead_are_shown(app, client, auth):
    auth.login("owner")
    response = client.get("/admin/reports")
    assert response.status_code == 200
    with app.test_request_context():
        today = to_local(utcnow()).date()
    monday = today - timedelta(days=today.weekday())
    first, last = monday - timedelta(weeks=4), monday + timedelta(weeks=5, days=-1)
    page = response.get_data(as_text=True)
    assert f'name="from" value="{first.isoformat()}"' in page
    assert f'name="to" value="{last.isoformat()}"' in page
    weeks = page_tables(client, f"from={first}&to={last}")["Bookings by week and condition"]
    assert len(weeks) == 1 + 9 + 1  # header, nine weeks (this one in the middle), total
    assert f"/admin/reports/revenue.csv?from={first}&amp;to={last}" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-15&to=2026-03-01", "The end date (2026-03-01) is before the start date"),
        ("from=2025-01-01&to=2026-03-01", "Choose at most 400 days at a time"),
        ("from=2026-02-30&to=2026-03-01", "2026-02-30 is not a real date."),
        ("from=March&to=2026-03-01", "Give the start date as YYYY-MM-DD."),
        ("from=2026-03-01", "Give the end date as YYYY-MM-DD."),
        ("to=2026-03-01", "Give the start date as YYYY-MM-DD."),
        ("from=9999-12-31&to=9999-12-31", "Choose dates from 2000 to 2099"),
        ("from=0001-01-01&to=0001-01-02", "Choose dates from 2000 to 2099"),
    ],
)
def test_bad_dates_get_a_clear_message_not_an_error(client, auth, query, message):
    auth.login("owner")
    response = client.get(f"/admin/reports?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "These dates cannot be shown" in page and message in page
    assert 'aria-invalid="true"' in page
    for name in NAMES:
        response = client.get(f"/admin/reports/{name}.csv?{query}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_an_unknown_report_is_not_found(client, auth):
    auth.login("owner")
    assert client.get(f"/admin/reports/everything.csv?{RANGE}").status_code == 404


def test_charts_are_labelled_images_with_inline_styles_nowhere(client, auth, fortnight):
    auth.login("owner")
    response = client.get(f"/admin/reports?{RANGE}")
    page = response.get_data(as_text=True)
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert "style=" not in page and "<script" not in page
    charts = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert len(charts) == len(NAMES)
    for chart in charts:
        assert 'role="img"' in chart
        title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', chart).groups()
        assert f'<title id="{title_id}">' in chart and f'<desc id="{desc_id}">' in chart
        # Every bar names what it shows when pointed at.
        assert chart.count('<rect class="series-') == chart.count("</title></rect>")
    # The weekly chart's bars: 3 neck and 2 back in the week of 2 March.
    assert "Week of Mon 2 Mar: 3 neck pain bookings" in page
    assert "Week of Mon 2 Mar: 2 back pain bookings" in page
    for name in NAMES:
        assert f'href="/admin/reports/{name}.csv?from=2026-03-02&amp;to=2026-03-15"' in page


@pytest.mark.parametrize("url", URLS)
def test_reception_is_refused_every_report(client, auth, url):
    auth.login("reception")
    assert client.get(f"{url}?{RANGE}").status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(f"{url}?{RANGE}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
