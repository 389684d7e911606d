"""The catalogue's rules without HTTP: prices within bounds, plans, packages, slugs, history."""

from __future__ import annotations

from dataclasses import replace

import pytest

from booking.extensions import db
from booking.models import (
    AuditEntry,
    ClinicSettings,
    CoursePlan,
    Practitioner,
    PriceChange,
    Service,
    User,
)
from booking.services import catalogue
from booking.services.catalogue import CatalogueError, PlanDetails, ServiceDetails
from tests.audit import changes
from tests.conftest import seeded_clinic

BOUNDS = "Prices must be between $50.00 and $150.00 (set in Clinic settings)."


@pytest.fixture
def owner(app, make_user):
    email = make_user("owner")
    with app.app_context():
        yield db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def service(slug: str = "neck-initial") -> Service:
    return db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()


def entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.execute(
            changes().where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).scalars()
    )


def history(item: Service) -> list[PriceChange]:
    return list(db.session.execute(db.select(PriceChange).filter_by(service_id=item.id)).scalars())


def set_price(item, price_cents: int, *, actor) -> bool:
    """The owner's edit form saved with only the price changed."""
    return catalogue.update_service(
        item, replace(catalogue.details_of(item), price_cents=price_cents), actor=actor
    )


def details(**changes) -> ServiceDetails:
    base = ServiceDetails(
        name="Neck pain: short follow-up",
        condition="neck",
        kind="follow-up",
        duration_minutes=30,
        buffer_minutes=10,
        price_cents=6000,
        description="A shorter session.",
        practitioner_ids=frozenset({seeded_clinic().practitioner.id}),
    )
    return replace(base, **changes)


def test_a_new_price_is_saved_with_its_history_and_audit_entry(owner):
    item = service()

    assert set_price(item, 9000, actor=owner) is True

    assert service().price_cents == 9000
    [change] = history(item)
    assert (change.user_id, change.old_cents, change.new_cents) == (owner.id, 9500, 9000)
    [entry] = entries("service.price")
    assert entry.user_id == owner.id and entry.subject_id == item.id
    assert entry.before == {"price": "95.00"} and entry.after == {"price": "90.00"}
    assert "$95.00" in entry.summary and "$90.00" in entry.summary


def test_the_same_price_again_records_nothing(owner):
    assert set_price(service(), 9500, actor=owner) is False
    assert history(service()) == [] and entries("service.price") == []


@pytest.mark.parametrize("cents", [4999, 15001, 0])
def test_a_price_outside_the_clinic_bounds_is_refused_and_nothing_changes(owner, cents):
    with pytest.raises(CatalogueError) as refused:
        set_price(service(), cents, actor=owner)

    assert refused.value.fields == {"price_cents": BOUNDS}
    assert service().price_cents == 9500
    assert history(service()) == [] and entries("service.price") == []


@pytest.mark.parametrize("cents", [5000, 15000])
def test_the_bounds_themselves_are_allowed(owner, cents):
    assert set_price(service(), cents, actor=owner)


def test_the_bounds_are_the_clinic_settings(owner):
    settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
    settings.price_min_cents, settings.price_max_cents = 6000, 9000
    db.session.commit()

    with pytest.raises(CatalogueError) as refused:
        set_price(service(), 9100, actor=owner)

    assert refused.value.fields["price_cents"] == (
        "Prices must be between $60.00 and $90.00 (set in Clinic settings)."
    )
    assert set_price(service(), 8500, actor=owner)


def plan(condition: str = "neck") -> CoursePlan:
    return db.session.execute(db.select(CoursePlan).filter_by(condition=condition)).scalar_one()


def plan_details(**changes) -> PlanDetails:
    """The neck plan as seeded (5/8/12, no package), with some values changed."""
    return replace(catalogue.plan_details(plan()), **changes)


def test_a_follow_up_price_cut_that_would_make_the_package_dearer_is_refused(owner):
    neck = plan()
    neck.package_sessions, neck.package_price_cents = 5, 32_500  # saves $50 at $75
    db.session.commit()

    with pytest.raises(CatalogueError) as refused:
        set_price(service("neck-follow-up"), 6000, actor=owner)

    assert (
        "less than 5 follow-up sessions paid one at a time ($300.00)"
        in (refused.value.fields["price_cents"])
    )
    assert service("neck-follow-up").price_cents == 7500
    # The first consultation's price does not price the package.
    assert set_price(service("neck-initial"), 6000, actor=owner)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the name patients see."),
        ({"condition": "knee"}, "condition", "Choose neck pain or back pain."),
        ({"kind": "massage"}, "kind", "Choose first consultation or follow-up session."),
        ({"duration_minutes": 0}, "duration_minutes", "between 1 and 480 minutes"),
        ({"duration_minutes": 481}, "duration_minutes", "between 1 and 480 minutes"),
        ({"buffer_minutes": -1}, "buffer_minutes", "between 0 and 120 minutes"),
        ({"buffer_minutes": 121}, "buffer_minutes", "between 0 and 120 minutes"),
        ({"price_cents": 4000}, "price_cents", BOUNDS),
    ],
)
def test_rules_name_the_field_and_say_what_is_wrong(app, changes, field, message):
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        found = catalogue.problems(details(**changes), settings)
    assert list(found) == [field]
    assert message in found[field]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"min_sessions": 0}, "min_sessions", "between 1 and 60"),
        ({"max_sessions": 61}, "max_sessions", "between 1 and 60"),
        ({"min_sessions": 8, "typical_sessions": 8, "max_sessions": 6}, "max_sessions", "(8)"),
        ({"typical_sessions": 3}, "typical_sessions", "between the fewest (5) and the most (12)"),
        ({"typical_sessions": 13}, "typical_sessions", "between the fewest (5) and the most (12)"),
        ({"package_sessions": 1, "package_discount_percent": 10}, "package_sessions", "2 and 60"),
        ({"package_sessions": 5}, "package_sessions", "a price or a percentage off"),
        (
            {"package_sessions": 5, "package_price_cents": 25_000, "package_discount_percent": 10},
            "package_sessions",
            "not both",
        ),
        ({"package_price_cents": 25_000}, "package_sessions", "how many sessions"),
        ({"package_sessions": 5, "package_discount_percent": 0}, "package_discount_percent", "1%"),
        (
            {"package_sessions": 5, "package_discount_percent": 91},
            "package_discount_percent",
            "90%",
        ),
        ({"package_sessions": 5, "package_price_cents": 0}, "package_price_cents", "more than"),
        (
            {"package_sessions": 5, "package_price_cents": 37_500},
            "package_price_cents",
            "less than 5 follow-up sessions paid one at a time ($375.00)",
        ),
        ({"first_service_id": -1}, "first_service_id", "Choose one of the first consultation"),
        ({"follow_up_service_id": -1}, "follow_up_service_id", "follow-up session services"),
    ],
)
def test_plan_rules_name_the_field_and_say_what_is_wrong(owner, changes, field, message):
    found = catalogue.plan_check(plan(), plan_details(**changes))
    assert list(found) == [field]
    assert message in found[field]


def test_a_plan_cannot_name_the_other_conditions_or_kinds_service(owner):
    found = catalogue.plan_check(
        plan(),
        plan_details(
            first_service_id=service("back-initial").id,
            follow_up_service_id=service("neck-initial").id,
        ),
    )
    assert set(found) == {"first_service_id", "follow_up_service_id"}


@pytest.mark.parametrize(
    "package",
    [
        {},
        {"package_sessions": 5, "package_price_cents": 27_500},
        {"package_sessions": 2, "package_discount_percent": 1},
        {"package_sessions": 60, "package_discount_percent": 90},
    ],
)
def test_good_plans_pass(owner, package):
    assert catalogue.plan_check(plan(), plan_details(**package)) == {}


def test_one_plan_edit_changes_the_estimate_of_both_services_and_is_audited(owner):
    changed = catalogue.update_course_plan(
        plan("back"),
        replace(
            catalogue.plan_details(plan("back")),
            min_sessions=6,
            typical_sessions=8,
            max_sessions=10,
            package_sessions=6,
            package_discount_percent=10,
        ),
        actor=owner,
    )
    assert changed
    for slug in ("back-initial", "back-follow-up"):
        estimate = service(slug).estimate("USD")
        # 1 x $95 + 7 x $75 for the typical eight, whichever page it is read from.
        assert [line.total_cents for line in estimate.lines] == [47_000, 62_000, 77_000]
        assert estimate.package.total_cents == 40_500  # 6 x $75, 10% off
    [entry] = entries("course_plan.update")
    assert entry.before == {"sessions": "8/10/12", "package": None}
    assert entry.after == {"sessions": "6/8/10", "package": "6 follow-up sessions at 10% off"}
    assert (
        catalogue.update_course_plan(
            plan("back"), catalogue.plan_details(plan("back")), actor=owner
        )
        is False
    )


def test_a_refused_plan_edit_changes_nothing(owner):
    before = catalogue.plan_details(plan())
    with pytest.raises(CatalogueError):
        catalogue.update_course_plan(plan(), plan_details(typical_sessions=99), actor=owner)
    assert catalogue.plan_details(plan()) == before
    assert db.session.execute(changes()).first() is None


@pytest.mark.parametrize(
    ("slug", "ok"),
    [
        ("neck-short", True),
        ("back2", True),
        ("a", True),
        ("", False),
        ("Neck-short", False),
        ("neck short", False),
        ("neck_short", False),
        ("-neck", False),
        ("neck-", False),
        ("neck--short", False),
        ("nëck", False),
        ("x" * 61, False),
    ],
)
def test_slugs_are_lowercase_letters_digits_and_hyphens(slug, ok):
    assert (catalogue.slug_problem(slug) is None) is ok


def test_a_new_service_is_offered_with_its_practitioners_and_audited(owner, clinic):
    created = catalogue.create_service("neck-short", details(), actor=owner)

    assert created.active and created.slug == "neck-short"
    assert created.position > service("back-follow-up").position
    assert catalogue.practitioner_ids(created) == {clinic.practitioner.id}
    [entry] = entries("service.create")
    assert entry.after["slug"] == "neck-short"
    assert entry.after["practitioners"] == clinic.practitioner.name
    # The neck plan already has a follow-up: the new one does not take its place.
    assert plan().follow_up_service_id == service("neck-follow-up").id


def test_a_new_service_fills_an_empty_place_in_its_plan(owner):
    neck = plan()
    neck.follow_up_service_id = None
    db.session.commit()
    created = catalogue.create_service("neck-short", details(), actor=owner)
    assert plan().follow_up_service_id == created.id
    assert created.estimate("USD").follow_up_cents == 6000


def test_a_service_moved_to_another_condition_leaves_its_plan(owner):
    item = service("neck-follow-up")
    catalogue.update_service(
        item, replace(catalogue.details_of(item), condition="back"), actor=owner
    )
    assert plan("neck").follow_up_service_id is None
    assert plan("back").follow_up_service_id == service("back-follow-up").id
    # Without a follow-up the neck estimate prices every session as the first consultation.
    assert service("neck-initial").estimate("USD").line("typical").total_cents == 8 * 9500


def test_a_taken_slug_is_refused(owner, clinic):
    with pytest.raises(CatalogueError) as refused:
        catalogue.create_service("neck-initial", details(), actor=owner)
    assert "already uses neck-initial" in refused.value.fields["slug"]
    assert len(catalogue.list_services()) == len(clinic.services)


def test_a_new_service_needs_a_practitioner_who_works_here(owner):
    with pytest.raises(CatalogueError) as refused:
        catalogue.create_service("neck-short", details(practitioner_ids=frozenset()), actor=owner)
    assert "Tick at least one practitioner" in refused.value.fields["practitioner_ids"]


def test_every_problem_is_reported_at_once(owner):
    with pytest.raises(CatalogueError) as refused:
        catalogue.create_service(
            "Bad Slug", details(price_cents=1, duration_minutes=0), actor=owner
        )
    assert set(refused.value.fields) == {"slug", "price_cents", "duration_minutes"}


def by_name(practitioners) -> str:
    """Practitioners as the audit log lists them: names in order, comma-separated."""
    return ", ".join(sorted(p.name for p in practitioners))


def test_an_edit_with_a_new_price_audits_both_and_keeps_the_history(owner, clinic):
    item = service()
    old_description = item.description
    two = {clinic.practitioner.id, clinic.specialist.id}
    wanted = replace(
        catalogue.details_of(item),
        description="New words.",
        price_cents=9900,
        practitioner_ids=frozenset(two),
    )

    assert catalogue.update_service(item, wanted, actor=owner) is True

    [update] = entries("service.update")
    assert update.before == {
        "description": old_description,
        "practitioners": by_name(clinic.practitioners),
    }
    assert update.after == {
        "description": "New words.",
        "practitioners": by_name([clinic.practitioner, clinic.specialist]),
    }
    [price] = entries("service.price")
    assert price.after == {"price": "99.00"}
    assert [(c.old_cents, c.new_cents) for c in history(item)] == [(9500, 9900)]
    assert catalogue.practitioner_ids(service()) == two


def test_a_refused_edit_changes_nothing_at_all(owner):
    item = service()
    before = catalogue.details_of(item)
    wanted = replace(before, name="Renamed", price_cents=9000, practitioner_ids=frozenset({-1}))

    with pytest.raises(CatalogueError):
        catalogue.update_service(item, wanted, actor=owner)

    assert catalogue.details_of(service()) == before
    assert history(item) == [] and db.session.execute(changes()).first() is None


def test_an_unchanged_edit_records_nothing(owner):
    item = service()
    assert catalogue.update_service(item, catalogue.details_of(item), actor=owner) is False
    assert db.session.execute(changes()).first() is None


def test_a_price_outside_narrowed_bounds_does_not_block_other_edits(owner):
    settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
    settings.price_max_cents = 9000
    db.session.commit()
    item = service()  # $95, now above the bounds

    assert catalogue.update_service(
        item, replace(catalogue.details_of(item), description="Clearer."), actor=owner
    )
    assert service().price_cents == 9500


def test_retiring_and_offering_again_are_audited(owner):
    item = service("back-follow-up")

    assert catalogue.set_active(item, False, actor=owner) is True
    assert catalogue.set_active(item, False, actor=owner) is False
    assert catalogue.list_services()[-1].slug == "back-follow-up"
    assert catalogue.set_active(item, True, actor=owner) is True

    assert [e.after for e in entries("service.retire")] == [{"active": False}]
    assert [e.after for e in entries("service.restore")] == [{"active": True}]


def test_a_retired_service_may_be_left_with_nobody(owner):
    item = service("back-follow-up")
    catalogue.set_active(item, False, actor=owner)

    catalogue.update_service(
        item, replace(catalogue.details_of(item), practitioner_ids=frozenset()), actor=owner
    )

    assert catalogue.practitioner_ids(service("back-follow-up")) == frozenset()
    for practitioner in db.session.execute(db.select(Practitioner)).scalars():
        assert "back-follow-up" not in {s.slug for s in practitioner.services}


def test_a_service_code_is_checked_and_saved_with_the_edit(owner):
    item = service()
    with pytest.raises(CatalogueError) as refused:
        catalogue.update_service(
            item, replace(catalogue.details_of(item), service_code="9781"), actor=owner
        )
    assert "service_code" in refused.value.fields
    assert service().service_code == "97810"
    assert catalogue.update_service(
        item, replace(catalogue.details_of(item), service_code="97811"), actor=owner
    )
    assert service().service_code == "97811"


def test_a_course_plans_diagnosis_codes_are_icd10(owner):
    plan = catalogue.course_plan("neck")
    with pytest.raises(CatalogueError) as refused:
        catalogue.update_course_plan(
            plan, replace(catalogue.plan_details(plan), diagnosis_codes="neck"), actor=owner
        )
    assert "diagnosis_codes" in refused.value.fields
    catalogue.update_course_plan(
        plan, replace(catalogue.plan_details(plan), diagnosis_codes="M54.2, M54.6"), actor=owner
    )
    assert catalogue.course_plan("neck").diagnosis_codes == "M54.2, M54.6"
