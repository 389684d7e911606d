"""The Good Faith Estimate's arithmetic and checks: lines, totals, identifiers, codes."""

from __future__ import annotations

from datetime import date

import pytest

from booking.domain.good_faith import (
    STATEMENTS_VERSION,
    Item,
    Provider,
    build,
    course_items,
    date_of_birth_problem,
    diagnosis_codes_problem,
    npi_problem,
    service_code_problem,
    tin_problem,
)

FIRST = ("Back pain: first consultation", "97810", 9_500)
FOLLOW_UP = ("Back pain: follow-up session", "97810", 7_500)
OLD_FOLLOW_UP = ("Back pain: follow-up session", "97810", 7_000)


@pytest.mark.parametrize(
    ("booked", "planned", "expected", "total"),
    [
        pytest.param([], 10, [(FIRST, 1), (FOLLOW_UP, 9)], 77_000, id="nothing-booked-10"),
        pytest.param([FIRST], 8, [(FIRST, 1), (FOLLOW_UP, 7)], 62_000, id="first-booked-8"),
        pytest.param(
            [FIRST, OLD_FOLLOW_UP, OLD_FOLLOW_UP],
            6,
            [(FIRST, 1), (OLD_FOLLOW_UP, 2), (FOLLOW_UP, 3)],
            9_500 + 2 * 7_000 + 3 * 7_500,
            id="booked-at-older-prices-stay-at-them",
        ),
        pytest.param([], 1, [(FIRST, 1)], 9_500, id="a-single-session"),
        pytest.param(
            [FIRST, FOLLOW_UP, FOLLOW_UP], 2, [(FIRST, 1), (FOLLOW_UP, 2)], 24_500, id="beyond-plan"
        ),
        pytest.param(
            [OLD_FOLLOW_UP], 3, [(OLD_FOLLOW_UP, 1), (FOLLOW_UP, 2)], 22_000, id="no-first-booked"
        ),
    ],
)
def test_the_course_is_itemised_at_booked_prices_then_todays(booked, planned, expected, total):
    items = course_items(booked, planned, FIRST, FOLLOW_UP)
    assert [((i.description, i.service_code, i.unit_cents), i.quantity) for i in items] == expected
    assert sum(i.total_cents for i in items) == total


def test_the_content_is_complete_and_adds_up():
    items = [Item(*FIRST[:2], 1, FIRST[2]), Item(*FOLLOW_UP[:2], 9, FOLLOW_UP[2])]
    content = build(
        patient_name="Ann Lee",
        date_of_birth=date(1980, 4, 23),
        provider=Provider("Clinic", "1 Main St", "555", "1234567893", "12-3456789", "Mei Lin"),
        condition="Back pain",
        diagnosis_codes=["M54.50"],
        items=items,
        currency="USD",
        scheduled=["Monday 4 January 2027 at 9:00 am: Back pain: first consultation"],
        frequency="10 sessions in all, usually once a week.",
        issued_on=date(2026, 12, 6),
        version=2,
    )
    assert content["total_cents"] == 77_000
    assert [line["total_cents"] for line in content["items"]] == [9_500, 67_500]
    assert content["patient"] == {"name": "Ann Lee", "date_of_birth": "1980-04-23"}
    assert content["provider"]["npi"] == "1234567893"
    assert content["version"] == 2 and content["statements_version"] == STATEMENTS_VERSION
    text = " ".join(content["statements"])
    assert "not a contract" in text
    assert "$400 or more" in text
    assert "www.cms.gov/nosurprises" in text


@pytest.mark.parametrize(
    ("npi", "ok"),
    [("1234567893", True), ("1234567890", False), ("123456789", False), ("12345678a3", False)],
)
def test_an_npi_is_ten_digits_with_its_check_digit(npi, ok):
    assert (npi_problem(npi) is None) is ok


@pytest.mark.parametrize(
    ("tin", "ok"), [("12-3456789", True), ("123456789", True), ("1234-56789", False), ("", False)]
)
def test_a_tin_is_nine_digits(tin, ok):
    assert (tin_problem(tin) is None) is ok


@pytest.mark.parametrize(
    ("code", "ok"),
    [("97810", True), ("97814", True), ("0001T", True), ("G0283", True), ("9781", False)],
)
def test_a_service_code_is_cpt_or_hcpcs(code, ok):
    assert (service_code_problem(code) is None) is ok


@pytest.mark.parametrize(
    ("codes", "ok"),
    [("", True), ("M54.2", True), ("M54.50, M54.2", True), ("M54.2, 7", False), ("U07", False)],
)
def test_diagnosis_codes_are_icd10(codes, ok):
    assert (diagnosis_codes_problem(codes) is None) is ok


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        (date(1980, 4, 23), True),
        (None, False),
        (date(1899, 12, 31), False),
        (date(2027, 1, 1), False),
    ],
)
def test_a_date_of_birth_is_in_the_past(born, ok):
    assert (date_of_birth_problem(born, date(2026, 12, 6)) is None) is ok
