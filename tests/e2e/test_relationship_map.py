"""The relationship map in the browser: an AM opens the map of an account with no one at CXO
level, adds a Group CIO at strength 4 (problem solver), and the coverage strip turns that
gap into a covered level; the chart scrolls inside its card, never the page."""

import re

import pytest
from playwright.sync_api import expect

from relationships.models import Level
from tests.factories import PASSWORD, AccountFactory, TeamFactory, UserFactory
from tests.relationships.factories import StakeholderFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/keyplan-relationship-map.png"


def has_class(name: str) -> re.Pattern:
    return re.compile(rf"\b{name}\b")


def test_am_adds_a_cxo_and_the_gap_closes(page, live_server):
    ada = UserFactory(username="ada", first_name="Ada", last_name="Okafor", team=TeamFactory())
    account = AccountFactory(owner=ada, name="Zenith Example Bank")
    head = StakeholderFactory(
        account=account, name="Hugo Head", level=Level.LOB_DIRECTOR, strength=4
    )
    for n in range(30):  # a wide chart: it must scroll inside its card
        StakeholderFactory(
            account=account,
            name=f"Analyst {n}",
            level=Level.IT_PRO,
            reports_to=head if n % 2 else None,
        )

    page.goto(f"{live_server.url}/login/?next=/relationships/accounts/{account.pk}/map/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Relationship map")
    cxo = page.locator('.kp-coverage-level[data-level="cxo"]')
    expect(cxo).to_have_class(has_class("kp-cov-gap"))
    expect(page.locator(".kp-coverage-gaps")).to_contain_text("No relationship at CXO level")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.get_by_role("link", name="Add stakeholder").first.click()
    page.get_by_label("Name").fill("Grace Adeyemi")
    page.get_by_label("Title").fill("Group CIO")
    page.get_by_label("Level").select_option("cxo")
    page.get_by_label("Relationship strength").select_option("4")
    page.get_by_role("button", name="Add stakeholder").click()

    expect(page).to_have_url(f"{live_server.url}/relationships/accounts/{account.pk}/map/#map")
    expect(cxo).to_have_class(has_class("kp-cov-ok"))
    expect(page.locator(".kp-coverage-gaps")).not_to_contain_text("CXO")
    expect(page.locator("svg.kp-map")).to_contain_text("Grace Adeyemi")
    expect(page.locator("svg.kp-map")).to_contain_text("4 · Problem solver")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert page.console_errors == []
