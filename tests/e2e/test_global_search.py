"""The top bar's global search: results drop down as the AM types, grouped by kind, only
what they may see; Enter (or no JavaScript at all) opens the grouped results page."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_account_edit import ada, sign_in  # noqa: F401 (fixture)
from tests.factories import AccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def accounts(ada):  # noqa: F811
    AccountFactory(owner=ada, name="Zenith Example Bank")
    AccountFactory(owner=ada, name="Lagoon Bank Plc")
    AccountFactory(owner=UserFactory(), name="Someone Else's Bank")


def test_top_bar_search_drops_down_grouped_results(page, live_server, accounts):
    sign_in(page, live_server, "ada")
    box = page.get_by_role("searchbox", name="Search everything you can see")
    box.press_sequentially("bank", delay=40)
    live = page.locator("#kp-search-live")
    expect(live.get_by_role("heading", name="Accounts (2)")).to_be_visible()
    expect(live.get_by_role("link", name="Zenith Example Bank")).to_be_visible()
    expect(live).not_to_contain_text("Someone Else")
    page.keyboard.press("Escape")  # closes the results (and, in Chromium, empties the box)
    expect(live).to_be_empty()
    page.mouse.click(1000, 700)  # so does a click elsewhere
    box.fill("bank")
    expect(live.get_by_role("heading", name="Accounts (2)")).to_be_visible()
    page.mouse.click(1000, 700)
    expect(live).to_be_empty()

    box.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/search/?q=bank")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “bank”")
    page.get_by_role("link", name="Open in the accounts list").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/?q=bank&status=all")
    expect(page.locator("#account-results")).to_contain_text("2 accounts")
    assert page.console_errors == []


def test_search_works_without_javascript(browser, live_server, accounts):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "ada")
    box = page.get_by_role("searchbox", name="Search everything you can see")
    box.fill("lagoon")
    box.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/search/?q=lagoon")
    expect(page.get_by_role("link", name="Lagoon Bank Plc")).to_be_visible()
    context.close()
