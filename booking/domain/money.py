"""Money in integer cents: parsing, formatting and the one place that rounds."""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

# Digits with optional thousands commas and up to four decimals (rounded), ASCII only.
MONEY_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d{1,12})(?:\.\d{1,4})?$", re.ASCII)

SYMBOLS = {"USD": "$", "AUD": "$", "CAD": "$", "NZD": "$", "GBP": "£", "EUR": "€"}


def amount(cents: int) -> str:
    """Cents as a plain decimal string, e.g. 9000 -> '90.00' (the API's money format)."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def format_money(cents: int, currency: str) -> str:
    """Cents for people, e.g. 9000, 'USD' -> '$90.00'; whole amounts keep their cents."""
    symbol = SYMBOLS.get(currency)
    sign = "-" if cents < 0 else ""
    text = f"{Decimal(abs(cents)) / 100:,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def parse_cents(text: str) -> int:
    """'90', '90.5', '$90.50' -> cents, rounded half up; ValueError if not money."""
    cleaned = text.strip().removeprefix("$").removeprefix("£").removeprefix("€")
    if not MONEY_RE.match(cleaned):
        raise ValueError(f"{text!r} is not an amount of money")
    try:
        value = Decimal(cleaned.replace(",", ""))
        return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not an amount of money") from exc


class NotToTheCent(ValueError):
    """An amount with fractions of a cent (95.555): prices are kept to the cent."""


def exact_cents(text: str) -> int:
    """Like `parse_cents`, but an amount that would need rounding is refused rather than
    quietly changed: NotToTheCent names the two nearest amounts."""
    cents = parse_cents(text)
    cleaned = text.strip().removeprefix("$").removeprefix("£").removeprefix("€").replace(",", "")
    if Decimal(cleaned) * 100 != cents:
        lower = int((Decimal(cleaned) * 100).to_integral_value(rounding=ROUND_FLOOR))
        raise NotToTheCent(
            f"Prices are to the cent: did you mean {amount(lower)} or {amount(lower + 1)}?"
        )
    return cents


def percent_off(cents: int, percent: int) -> int:
    """`cents` less `percent`%, rounded half up to a whole cent."""
    value = Decimal(cents) * (100 - percent) / 100
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
