"""The demo runner runs what settings.KEYPLAN_DEMO_PARTS lists, in order, and nothing else."""

import datetime

import pytest

from accounts.models import Account
from core.demo import DemoConflictError, DemoContext, demo_parts, run_demo
from teams.models import Team, User

TODAY = datetime.date(2026, 11, 30)
PARTS = "tests.core.test_demo"


def first(ctx: DemoContext) -> None:
    ctx.created["calls: first"] += 1


def second(ctx: DemoContext) -> None:
    ctx.created["calls: second"] += 1


def later_app(ctx: DemoContext) -> None:
    """Stands for a later app's part, e.g. opportunities.demo.seed_opportunities."""
    ctx.created["calls: later app"] += 1


def refuse(ctx: DemoContext) -> None:
    raise DemoConflictError("refused")


def test_the_registry_lists_every_part_in_order(settings):
    assert settings.KEYPLAN_DEMO_PARTS == [
        "teams.demo.seed_people",
        "accounts.demo.seed_catalogues",
        "accounts.demo.seed_accounts",
        "accounts.demo.seed_account_teams",
        "accounts.demo.seed_agreements",
        "accounts.demo.seed_deployments",
        "teams.demo.seed_quotas",
        "opportunities.demo.seed_opportunities",
        "relationships.demo.seed_relationships",
        "accounts.demo.seed_revenue",
    ]
    assert [f"{part.__module__}.{part.__name__}" for part in demo_parts()] == (
        settings.KEYPLAN_DEMO_PARTS
    )


@pytest.mark.django_db
def test_run_demo_runs_exactly_the_listed_parts_in_order(settings):
    settings.KEYPLAN_DEMO_PARTS = [f"{PARTS}.second", f"{PARTS}.first"]

    ctx = run_demo(today=TODAY)

    # `created` keeps the order things were first counted in: the order the parts ran.
    assert list(ctx.created.items()) == [("calls: second", 1), ("calls: first", 1)]
    # Nothing else ran: no app's demo.py is picked up for being there.
    assert User.objects.count() == Account.objects.count() == 0


@pytest.mark.django_db
def test_a_part_added_to_the_setting_runs_after_the_others(settings):
    settings.KEYPLAN_DEMO_PARTS = [f"{PARTS}.first", f"{PARTS}.second", f"{PARTS}.later_app"]

    ctx = run_demo(today=TODAY)

    assert list(ctx.created.items()) == [
        ("calls: first", 1),
        ("calls: second", 1),
        ("calls: later app", 1),
    ]


@pytest.mark.django_db
def test_only_the_listed_apps_seed(settings):
    settings.KEYPLAN_DEMO_PARTS = ["teams.demo.seed_people"]

    ctx = run_demo(today=TODAY)

    assert dict(ctx.created) == {"users": 9, "teams": 2}
    assert ctx.actor.username == "ops"
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_parts_given_to_run_demo_replace_the_setting():
    ctx = run_demo([f"{PARTS}.later_app"], today=TODAY)

    assert dict(ctx.created) == {"calls: later app": 1}


@pytest.mark.django_db
def test_a_wrong_path_fails_before_any_part_runs(settings):
    settings.KEYPLAN_DEMO_PARTS = ["teams.demo.seed_people", f"{PARTS}.no_such_part"]

    with pytest.raises(ImportError, match="no_such_part"):
        run_demo(today=TODAY)

    assert User.objects.count() == 0


@pytest.mark.django_db
def test_the_parts_run_in_one_transaction(settings):
    settings.KEYPLAN_DEMO_PARTS = ["teams.demo.seed_people", f"{PARTS}.refuse"]

    with pytest.raises(DemoConflictError, match="refused"):
        run_demo(today=TODAY)

    assert User.objects.count() == Team.objects.count() == 0


def test_each_section_draws_from_its_own_seeded_generator():
    ctx = DemoContext(today=TODAY, password="x")
    other = DemoContext(today=datetime.date(2030, 1, 1), password="y")

    draws = [ctx.rng_for("agreements").random() for _ in range(2)]

    assert draws[0] == draws[1] == other.rng_for("agreements").random()
    assert ctx.rng_for("revenue").random() != draws[0]
