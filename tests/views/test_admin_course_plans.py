"""The owner sets one course plan per condition; every page about it shows one estimate."""

from __future__ import annotations

import html
import re

import pytest

from booking.extensions import db
from booking.models import CoursePlan, Service
from tests.audit import changes
from tests.views.test_admin_services import edit, form_for


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plan_form(client, condition: str = "neck") -> dict:
    """The plan's form as the browser would send it back unchanged."""
    url = f"/admin/course-plans/{condition}"
    page = client.get(url).get_data(as_text=True)
    data = form_for(client, url)
    for name in ("first_service_id", "follow_up_service_id"):
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
        chosen = re.search(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select
        )
        data[name] = [next(v for v in chosen.groups() if v is not None)]
    return data


def edit_plan(client, condition: str = "neck", **changes):
    return client.post(
        f"/admin/course-plans/{condition}", data=plan_form(client, condition) | changes
    )


def estimate(client, slug: str = "neck-initial", **query) -> dict:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return client.get(f"/api/v1/estimate?service={slug}{extra}").get_json()


@pytest.mark.parametrize("url", ["/admin/course-plans", "/admin/course-plans/neck"])
def test_course_plans_are_the_owners(client, auth, url):
    assert client.get(url).status_code == 302
    auth.login("reception")
    assert client.get(url).status_code == 403
    assert client.post("/admin/course-plans/neck").status_code == 403


def test_the_list_shows_each_conditions_two_services_and_typical_course(client, auth):
    auth.login("owner")
    assert client.get("/admin/course-plans/knee").status_code == 404
    page = re.sub(r"\s+", " ", text(client.get("/admin/course-plans")))
    assert "Back pain: first consultation, $95.00" in page
    assert "Back pain: follow-up session, $75.00" in page
    assert "8–12, typically 10" in page and "$770.00" in page
    assert "5–12, typically 8" in page and "$620.00" in page


def test_one_edit_changes_the_estimate_for_both_services_of_the_condition(app, client, auth):
    auth.login("owner")
    response = edit_plan(client, "back", min_sessions="6", typical_sessions="8", max_sessions="10")
    assert response.status_code == 302
    assert "every back pain page shows the new estimate" in text(
        client.get(response.headers["Location"])
    )

    for slug in ("back-initial", "back-follow-up"):
        body = estimate(client, slug)
        assert body["sessions"] == {"min": 6, "typical": 8, "max": 10}
        assert body["totals"]["typical"]["total"]["amount"] == "620.00"  # 95 + 7 x 75
        page = re.sub(r"\s+", " ", text(client.get(f"/services/{slug}")))
        assert "A typical course: 8 sessions, <strong>$620.00</strong>" in page
    with app.app_context():
        [entry] = db.session.execute(changes().filter_by(action="course_plan.update")).scalars()
        assert (entry.before, entry.after) == ({"sessions": "8/10/12"}, {"sessions": "6/8/10"})
    assert edit_plan(client, "back").status_code == 302  # unchanged: nothing recorded
    with app.app_context():
        assert len(db.session.execute(changes().filter_by(action="course_plan.update")).all()) == 1


def test_changing_a_follow_up_price_moves_the_estimate_of_the_condition(app, client, auth):
    auth.login("owner")
    assert edit(client, app, "neck-follow-up", price_cents="80").status_code == 302
    for slug in ("neck-initial", "neck-follow-up"):
        assert estimate(client, slug)["totals"]["typical"]["total"]["amount"] == "655.00"


@pytest.mark.parametrize(
    ("plan", "field", "message"),
    [
        ((5, 4, 12), "typical_sessions", "between the fewest (5) and the most (12)"),
        ((5, 13, 12), "typical_sessions", "between the fewest (5) and the most (12)"),
        ((8, 8, 6), "max_sessions", "The most sessions cannot be fewer than the fewest (8)."),
        ((0, 8, 12), "min_sessions", "The fewest sessions must be between 1 and 60."),
        (("", 8, 12), "min_sessions", "Enter the fewest sessions a course usually needs."),
        (("five", 8, 12), "min_sessions", "as a whole number"),
    ],
)
def test_a_plan_out_of_order_is_explained(app, client, auth, plan, field, message):
    auth.login("owner")
    low, typical, high = (str(n) for n in plan)

    response = edit_plan(client, min_sessions=low, typical_sessions=typical, max_sessions=high)

    assert response.status_code == 422
    page = text(response)
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page), page
    assert estimate(client)["sessions"] == {"min": 5, "typical": 8, "max": 12}


def test_a_plan_names_only_its_own_conditions_services(app, client, auth, clinic):
    auth.login("owner")
    back_initial = clinic.service("back-initial").id
    response = edit_plan(client, first_service_id=str(back_initial))
    assert response.status_code == 422
    assert "Not a valid choice" in text(response)
    with app.app_context():
        plan = db.session.execute(db.select(CoursePlan).filter_by(condition="neck")).scalar_one()
        assert plan.first_service.slug == "neck-initial"


def test_a_fixed_price_package_of_follow_ups_shows_beside_paying_one_by_one(app, client, auth):
    auth.login("owner")

    response = edit_plan(
        client, package_kind="price", package_sessions="6", package_price_cents="400"
    )

    assert response.status_code == 302
    for slug in ("neck-initial", "neck-follow-up"):
        assert estimate(client, slug)["package"] == {
            "sessions": 6,
            "total": {"amount": "400.00", "currency": "USD"},
            "pay_as_you_go_total": {"amount": "450.00", "currency": "USD"},
            "saving": {"amount": "50.00", "currency": "USD"},
        }
    page = re.sub(r"\s+", " ", text(client.get("/services/neck-follow-up")))
    assert "6 follow-up sessions for $400.00" in page and "you save $50.00" in page
    assert "6 follow-up sessions for $400.00" in text(client.get("/admin/course-plans"))


def test_a_percentage_package_follows_the_follow_up_price(app, client, auth):
    auth.login("owner")
    edit_plan(client, package_kind="percent", package_sessions="10", package_discount_percent="10")
    edit(client, app, "neck-follow-up", price_cents="80")

    package = estimate(client)["package"]
    assert package["total"]["amount"] == "720.00"
    assert package["saving"]["amount"] == "80.00"


def test_choosing_no_package_removes_it_and_ignores_leftover_values(client, auth):
    auth.login("owner")
    edit_plan(client, package_kind="percent", package_sessions="10", package_discount_percent="10")

    response = edit_plan(
        client, package_kind="none", package_sessions="x", package_discount_percent="x"
    )

    assert response.status_code == 302
    assert "package" not in estimate(client)
    assert "Or prepay a course" not in text(client.get("/services/neck-initial"))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"package_kind": "price", "package_price_cents": "500"},
            "package_sessions",
            "Enter how many sessions the package covers",
        ),
        (
            {"package_kind": "price", "package_sessions": "6"},
            "package_price_cents",
            "Enter the package price",
        ),
        (
            {"package_kind": "percent", "package_sessions": "6"},
            "package_discount_percent",
            "Enter the percentage off",
        ),
        (
            {"package_kind": "price", "package_sessions": "1", "package_price_cents": "90"},
            "package_sessions",
            "A package covers between 2 and 60 sessions.",
        ),
        (
            {"package_kind": "price", "package_sessions": "6", "package_price_cents": "450"},
            "package_price_cents",
            "less than 6 follow-up sessions paid one at a time ($450.00)",
        ),
        (
            {"package_kind": "price", "package_sessions": "6", "package_price_cents": "lots"},
            "package_price_cents",
            "Enter the package price as an amount",
        ),
        (
            {"package_kind": "percent", "package_sessions": "6", "package_discount_percent": "95"},
            "package_discount_percent",
            "The discount must be between 1% and 90%.",
        ),
        ({"package_kind": "free"}, "package_kind", "Not a valid choice"),
    ],
)
def test_a_package_that_does_not_add_up_is_explained(client, auth, fields, field, message):
    auth.login("owner")

    response = edit_plan(client, **fields)

    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', text(response))
    assert "package" not in estimate(client)


def test_a_follow_up_price_cut_below_the_package_is_refused(app, client, auth):
    auth.login("owner")
    edit_plan(client, package_kind="price", package_sessions="6", package_price_cents="400")
    response = edit(client, app, "neck-follow-up", price_cents="60")
    assert response.status_code == 422
    assert "Change the neck pain course plan's package first." in text(response)
    with app.app_context():
        price = db.session.execute(
            db.select(Service.price_cents).filter_by(slug="neck-follow-up")
        ).scalar_one()
        assert price == 7500
