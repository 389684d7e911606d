"""The Good Faith Estimate a US clinic gives a self-pay patient for a scheduled course.

Under the No Surprises Act (45 CFR 149.610) a provider gives an uninsured or self-pay
patient an estimate when a service is scheduled: who the patient and the provider are,
each item expected with its service and diagnosis codes and charge, the total, and
plain-language statements about what the estimate is and how to dispute a bill that
comes in well above it.

Pure: `build` takes values and returns the frozen content, every amount worked out here,
so the stored estimate never changes when prices do. The statements are versioned like
the GP disclaimer: an estimate keeps the version it was issued with.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

# The plain-language statements, by version. A new wording is a new version; issued
# estimates keep theirs.
STATEMENTS_VERSION = 1
STATEMENTS = {
    1: (
        "This Good Faith Estimate shows the costs of items and services that are reasonably "
        "expected for your health care needs for this course of acupuncture. The estimate "
        "is based on information known at the time it was created.",
        "The Good Faith Estimate does not include any unknown or unexpected costs that may "
        "arise during treatment. You could be charged more if complications or special "
        "circumstances occur, or if your practitioner changes your treatment plan.",
        "This is an estimate, not a contract. It does not require you to obtain the items "
        "or services from us or anyone else.",
        "If you are billed for more than this Good Faith Estimate, you have the right to "
        "dispute the bill. If the bill is $400 or more above this estimate, you may start a "
        "dispute resolution process with the U.S. Department of Health and Human Services "
        "within 120 calendar days of the date on the bill.",
        "You may contact us to let us know the billed charges are higher than the estimate. "
        "You can ask us to update the bill to match the estimate, ask to negotiate the "
        "bill, or ask if there is financial help available.",
        "There is a $25 fee to use the dispute process. If the agency reviewing your "
        "dispute agrees with you, you will have to pay the price on this estimate. If it "
        "agrees with us, you will have to pay the higher amount.",
        "This estimate covers only the acupuncture sessions listed. Other items or services "
        "your practitioner or another provider may recommend, such as a visit to your doctor "
        "or imaging, are scheduled separately, are not included here, and can have their "
        "own Good Faith Estimate.",
        "Keep a copy of this Good Faith Estimate in a safe place or take pictures of it. You "
        "may need it if you are billed a higher amount.",
        "To learn more and get a form to start the process, go to www.cms.gov/nosurprises "
        "or call 1-800-985-3059.",
    ),
}
LEARN_MORE_URL = "https://www.cms.gov/nosurprises"

EARLIEST_BIRTH = date(1900, 1, 1)


def date_of_birth_problem(value: date | None, today: date) -> str | None:
    if value is None:
        return "Give the date of birth: the Good Faith Estimate needs it."
    if not EARLIEST_BIRTH <= value <= today:
        return "Give a date of birth in the past, e.g. 1980-04-23."
    return None


NPI_RE = re.compile(r"^\d{10}$")
TIN_RE = re.compile(r"^\d{2}-?\d{7}$")
# CPT (five digits, or four and a letter) or HCPCS level II (a letter and four digits).
CPT_RE = re.compile(r"^(\d{4}[0-9A-Z]|[A-V]\d{4})$")
ICD10_RE = re.compile(r"^[A-TV-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")


def npi_problem(npi: str) -> str | None:
    """Why an NPI cannot be right (10 digits, the last a Luhn check over 80840 + the rest)."""
    if not NPI_RE.match(npi):
        return "An NPI is 10 digits, e.g. 1234567893."
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    if (10 - total % 10) % 10 != int(npi[9]):
        return "That NPI's check digit is wrong: look it up on the NPI registry."
    return None


def tin_problem(tin: str) -> str | None:
    """Why a taxpayer identification number cannot be right (an EIN, 12-3456789)."""
    if not TIN_RE.match(tin):
        return "A TIN is 9 digits, e.g. 12-3456789."
    return None


def service_code_problem(code: str) -> str | None:
    if not CPT_RE.match(code):
        return "A service code is a 5-character CPT or HCPCS code, e.g. 97810."
    return None


def diagnosis_codes_problem(codes: str) -> str | None:
    """ICD-10-CM codes, comma separated (e.g. M54.2, M54.50), or none."""
    for code in split_codes(codes):
        if not ICD10_RE.match(code):
            return f"“{code}” is not an ICD-10 code (e.g. M54.2 for neck pain)."
    return None


def how_often(starts: list) -> str:
    """The spacing of the sessions booked, as words: 'about once a week'."""
    ordered = sorted(starts)
    gaps = sorted((b - a).days for a, b in zip(ordered, ordered[1:], strict=False))
    if not gaps:
        return "usually once a week"
    days = gaps[len(gaps) // 2]
    if days in (6, 7, 8):
        return "about once a week"
    if days % 7 == 0 and days > 7:
        return f"about every {days // 7} weeks"
    return f"about every {days} days" if days > 1 else "on consecutive days"


def split_codes(codes: str) -> list[str]:
    return [code.strip().upper() for code in codes.split(",") if code.strip()]


@dataclass(frozen=True, slots=True)
class Item:
    """One line of the estimate: a kind of session, how many, at what price."""

    description: str
    service_code: str
    quantity: int
    unit_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    address: str
    phone: str
    npi: str
    tin: str
    practitioner: str


def course_items(
    booked: list[tuple[str, str, int]],
    planned: int,
    first: tuple[str, str, int],
    follow_up: tuple[str, str, int],
) -> list[Item]:
    """The whole planned course as lines, alike sessions counted together.

    `booked` are the course's sessions in the diary or done, in order, each as
    (description, service code, price in cents) at the price it was booked at; the rest
    of the plan is priced today: a first consultation if none is booked, then follow-ups.
    """
    entries = list(booked)
    missing = max(planned - len(entries), 0)
    if missing and not entries:
        entries.append(first)
        missing -= 1
    entries.extend([follow_up] * missing)
    counts: dict[tuple[str, str, int], int] = {}
    for entry in entries:
        counts[entry] = counts.get(entry, 0) + 1
    return [Item(d, code, quantity, cents) for (d, code, cents), quantity in counts.items()]


def build(
    *,
    patient_name: str,
    date_of_birth: date,
    provider: Provider,
    condition: str,
    diagnosis_codes: list[str],
    items: list[Item],
    currency: str,
    scheduled: list[str],
    frequency: str,
    issued_on: date,
    version: int,
) -> dict:
    """The estimate's whole content, as JSON values, ready to be frozen."""
    return {
        "version": version,
        "issued_on": issued_on.isoformat(),
        "patient": {"name": patient_name, "date_of_birth": date_of_birth.isoformat()},
        "provider": asdict(provider),
        "condition": condition,
        "diagnosis_codes": diagnosis_codes,
        "scheduled": scheduled,
        "frequency": frequency,
        "items": [{**asdict(item), "total_cents": item.total_cents} for item in items],
        "total_cents": sum(item.total_cents for item in items),
        "currency": currency,
        "statements_version": STATEMENTS_VERSION,
        "statements": list(STATEMENTS[STATEMENTS_VERSION]),
        "learn_more": LEARN_MORE_URL,
    }
