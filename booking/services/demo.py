"""The demo clinic: settings, four consultations and three practitioners."""

from __future__ import annotations

from datetime import time

from booking.domain.screening import DEFAULT_DISCLAIMER
from booking.extensions import db
from booking.models import (
    ClinicSettings,
    CoursePlan,
    Disclaimer,
    Practitioner,
    Service,
    WorkingHours,
)

SERVICES = [
    {
        "slug": "neck-initial",
        "name": "Neck pain: first consultation",
        "condition": "neck",
        "kind": "initial",
        "description": (
            "For stiff, sore or painful necks, including pain spreading into the shoulder, "
            "arm or fingers, headaches from the neck, whiplash and desk strain. The "
            "practitioner asks about your history, checks how your neck moves, agrees a "
            "plan with you and gives your first acupuncture treatment."
        ),
        "duration_minutes": 60,
        "buffer_minutes": 15,
        "price_cents": 9500,
        "service_code": "97810",
    },
    {
        "slug": "neck-follow-up",
        "name": "Neck pain: follow-up session",
        "condition": "neck",
        "kind": "follow-up",
        "description": (
            "A treatment session for patients already on a neck pain course. The "
            "practitioner reviews your progress, treats, and adjusts the plan."
        ),
        "duration_minutes": 45,
        "buffer_minutes": 15,
        "price_cents": 7500,
        "service_code": "97810",
    },
    {
        "slug": "back-initial",
        "name": "Back pain: first consultation",
        "condition": "back",
        "kind": "initial",
        "description": (
            "For low back pain, sciatica (pain running into the buttock or leg), disc "
            "problems and muscle spasm. The practitioner takes your history, assesses how "
            "your back moves, agrees a plan with you and gives your first treatment."
        ),
        "duration_minutes": 60,
        "buffer_minutes": 15,
        "price_cents": 9500,
        "service_code": "97810",
    },
    {
        "slug": "back-follow-up",
        "name": "Back pain: follow-up session",
        "condition": "back",
        "kind": "follow-up",
        "description": (
            "A treatment session for patients already on a back pain course. The "
            "practitioner reviews your progress, treats, and adjusts the plan."
        ),
        "duration_minutes": 45,
        "buffer_minutes": 15,
        "price_cents": 7500,
        "service_code": "97810",
    },
]

T = time
PRACTITIONERS = [
    {
        "name": "Mei Lin",
        "title": "Licensed acupuncturist",
        "bio": "Fifteen years treating neck and back pain, with a special interest in sciatica.",
        "services": ["neck-initial", "neck-follow-up", "back-initial", "back-follow-up"],
        "hours": [(day, T(9), T(17), T(12, 30), T(13, 30)) for day in range(5)],
    },
    {
        "name": "James Okafor",
        "title": "Licensed acupuncturist",
        "bio": "Works with desk workers and drivers on posture-related neck and back pain.",
        "services": ["neck-initial", "neck-follow-up", "back-initial", "back-follow-up"],
        "hours": [
            (1, T(12), T(20), T(16), T(16, 30)),
            (3, T(12), T(20), T(16), T(16, 30)),
            (5, T(9), T(13), None, None),
        ],
    },
    {
        "name": "Sofia Romero",
        "title": "Licensed acupuncturist",
        "bio": (
            "Treats neck pain, whiplash and tension headaches, and follows up back pain courses."
        ),
        "services": ["neck-initial", "neck-follow-up", "back-follow-up"],
        "hours": [
            (0, T(8), T(14), None, None),
            (2, T(8), T(14), None, None),
            (4, T(8), T(14), None, None),
            (5, T(10), T(15), T(12), T(12, 30)),
        ],
    },
]


# Cervicalgia; low back pain, unspecified (ICD-10-CM).
DIAGNOSIS_CODES = {"neck": "M54.2", "back": "M54.50"}


def seed_demo() -> list[str]:
    """Add whatever part of the demo clinic is missing; returns what was added."""
    added = []
    if db.session.execute(db.select(ClinicSettings)).first() is None:
        db.session.add(
            ClinicSettings(
                name="Harbourside Acupuncture",
                address="24 Harbour Street, Suite 3, Portland, ME 04101",
                phone="(207) 555-0142",
                email="hello@harbourside-acupuncture.example",
                timezone="America/New_York",
                currency="USD",
                min_notice_minutes=120,
                horizon_days=60,
                slot_step_minutes=15,
                cancellation_notice_hours=24,
                # Made-up identifiers of the right shape, for the Good Faith Estimates.
                good_faith_estimates=True,
                npi="1234567893",
                tin="123456789",
            )
        )
        added.append("clinic settings")
    if db.session.get(Disclaimer, 1) is None:
        db.session.add(Disclaimer(version=1, text=DEFAULT_DISCLAIMER))
        added.append("disclaimer")
    services = {}
    for position, spec in enumerate(SERVICES):
        service = db.session.execute(
            db.select(Service).where(Service.slug == spec["slug"])
        ).scalar_one_or_none()
        if service is None:
            service = Service(**spec, position=position)
            db.session.add(service)
            added.append(f"service {spec['slug']}")
        services[spec["slug"]] = service
    db.session.flush()
    # Each condition's plan names its first consultation and follow-up (the table made
    # both plans, with the usual session counts).
    for plan in db.session.execute(db.select(CoursePlan)).scalars():
        if plan.first_service_id is None and f"{plan.condition}-initial" in services:
            plan.first_service_id = services[f"{plan.condition}-initial"].id
            plan.diagnosis_codes = DIAGNOSIS_CODES[plan.condition]
            added.append(f"{plan.condition} course plan")
        if plan.follow_up_service_id is None and f"{plan.condition}-follow-up" in services:
            plan.follow_up_service_id = services[f"{plan.condition}-follow-up"].id
    for spec in PRACTITIONERS:
        exists = db.session.execute(
            db.select(Practitioner).where(Practitioner.name == spec["name"])
        ).scalar_one_or_none()
        if exists is not None:
            continue
        practitioner = Practitioner(
            name=spec["name"],
            title=spec["title"],
            bio=spec["bio"],
            services=[services[slug] for slug in spec["services"]],
            hours=[
                WorkingHours(
                    weekday=day, start_time=start, end_time=end, break_start=bs, break_end=be
                )
                for day, start, end, bs, be in spec["hours"]
            ],
        )
        db.session.add(practitioner)
        added.append(f"practitioner {spec['name']}")
    db.session.commit()
    return added
