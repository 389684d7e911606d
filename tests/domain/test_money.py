"""Money in integer cents: the API format, the display format and parsing typed amounts."""

from __future__ import annotations

import pytest

from booking.domain.money import NotToTheCent, amount, exact_cents, format_money, parse_cents


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        pytest.param(9000, "90.00", id="whole-dollars-keep-cents"),
        pytest.param(9050, "90.50", id="trailing-zero-kept"),
        pytest.param(5, "0.05", id="five-cents"),
        pytest.param(1, "0.01", id="one-cent"),
        pytest.param(0, "0.00", id="zero"),
        pytest.param(123_456_789, "1234567.89", id="no-thousands-separator"),
    ],
)
def test_amount_is_plain_two_decimal_string(cents, text):
    assert amount(cents) == text


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        pytest.param(9000, "USD", "$90.00", id="usd"),
        pytest.param(9000, "CAD", "$90.00", id="cad"),
        pytest.param(9000, "AUD", "$90.00", id="aud"),
        pytest.param(0, "NZD", "$0.00", id="nzd-zero"),
        pytest.param(9050, "GBP", "£90.50", id="gbp"),
        pytest.param(999, "EUR", "€9.99", id="eur"),
        pytest.param(100_000, "USD", "$1,000.00", id="thousands-separator"),
        pytest.param(123_456_789, "GBP", "£1,234,567.89", id="millions"),
        pytest.param(5, "USD", "$0.05", id="cents-only"),
        pytest.param(9000, "CHF", "90.00 CHF", id="unknown-symbol-uses-code"),
    ],
)
def test_format_money_for_people(cents, currency, text):
    assert format_money(cents, currency) == text


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        pytest.param("90", 9000, id="whole"),
        pytest.param("90.5", 9050, id="one-decimal"),
        pytest.param("90.50", 9050, id="two-decimals"),
        pytest.param("$90.50", 9050, id="dollar-sign"),
        pytest.param("£1,234.56", 123_456, id="pound-sign-and-comma"),
        pytest.param("€0.99", 99, id="euro-sign"),
        pytest.param("  45.00  ", 4500, id="surrounding-spaces"),
        pytest.param("0", 0, id="zero"),
        pytest.param("0.005", 1, id="half-cent-rounds-up"),
        pytest.param("0.004", 0, id="under-half-cent-rounds-down"),
        pytest.param("90.125", 9013, id="half-up-not-bankers"),
        pytest.param("90.135", 9014, id="half-up-odd"),
    ],
)
def test_parse_cents_accepts_typed_amounts(text, cents):
    assert parse_cents(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("abc", id="letters"),
        pytest.param("-5", id="negative"),
        pytest.param("-0.01", id="negative-cent"),
        pytest.param("$-5", id="negative-after-symbol"),
        pytest.param("NaN", id="nan"),
        pytest.param("Infinity", id="infinity"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("$", id="symbol-only"),
        pytest.param("1.2.3", id="two-points"),
        pytest.param("90 dollars", id="trailing-words"),
    ],
)
def test_parse_cents_rejects_non_money(text):
    with pytest.raises(ValueError, match="not an amount of money"):
        parse_cents(text)


@pytest.mark.parametrize("cents", [0, 1, 99, 9000, 12_345, 100_000_00])
def test_displayed_amount_parses_back_to_same_cents(cents):
    assert parse_cents(format_money(cents, "USD")) == cents
    assert parse_cents(amount(cents)) == cents


@pytest.mark.parametrize(
    ("text", "nearest"),
    [
        ("95.555", "95.55 or 95.56"),
        ("0.004", "0.00 or 0.01"),
        ("$1,234.5678", "1234.56 or 1234.57"),
    ],
)
def test_a_price_beyond_the_cent_is_refused_naming_the_nearest(text, nearest):
    with pytest.raises(NotToTheCent, match=f"Prices are to the cent: did you mean {nearest}"):
        exact_cents(text)


@pytest.mark.parametrize(("text", "cents"), [("95.5", 9550), ("95.50", 9550), ("95.5000", 9550)])
def test_a_price_to_the_cent_is_taken_as_it_is(text, cents):
    assert exact_cents(text) == cents
