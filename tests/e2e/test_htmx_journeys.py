"""htmx journeys: the account list narrows as the AM types, and the virtual team grows and
shrinks inline on the account page, without a full page load and without a console error
(CSP violations included)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AccountTeamMember
from tests.e2e.test_account_edit import ada, sign_in  # noqa: F401 (fixture)
from tests.factories import AccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_FORM = "/tmp/keyplan-team-inline-form.png"
SCREENSHOT_ADDED = "/tmp/keyplan-team-inline-added.png"


def mark_page(page) -> None:
    """Set a flag on this document; a full page load would lose it (see same_page)."""
    page.evaluate("window.kpSamePage = true")


def same_page(page) -> bool:
    return page.evaluate("window.kpSamePage === true")


def settled(locator) -> None:
    """Wait until htmx has settled the swapped-in `locator` (it wires up new links then)."""
    expect(locator).not_to_have_class(re.compile(r"\bhtmx-(added|settling|swapping)\b"))


def test_am_filters_the_list_live_and_edits_the_team_inline(page, live_server, ada):  # noqa: F811
    account = AccountFactory(owner=ada, name="Zenith Example Bank")
    AccountFactory(owner=ada, name="Zebra Logistics")
    AccountFactory(owner=ada, name="Another Customer")
    AccountFactory(owner=ada, name="Zen Dormant Ltd", is_active=False)
    sign_in(page, live_server, "ada")

    # --- the list narrows as Ada types, and the URL keeps the filter
    page.goto(f"{live_server.url}/accounts/")
    results = page.locator("#account-results")
    expect(results.get_by_role("heading", name="3 accounts")).to_be_visible()
    mark_page(page)

    page.get_by_label("Search", exact=True).press_sequentially("zen", delay=40)

    expect(results.get_by_role("heading", name="1 account", exact=True)).to_be_visible()
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.locator("tbody")).to_contain_text("Zenith Example Bank")
    expect(page).to_have_url(f"{live_server.url}/accounts/?q=zen")
    expect(page.get_by_role("link", name="Export CSV")).to_have_attribute(
        "href", "/accounts/export/?q=zen"
    )
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()

    # A select submits through data-autosubmit, which htmx takes over.
    page.get_by_label("Status").select_option("all")
    expect(results.get_by_role("heading", name="2 accounts")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/accounts/?q=zen&status=all")

    # Sorting happens in place too, and the filter form keeps the sort.
    expect(results.locator("tbody tr").first).to_contain_text("Zen Dormant Ltd")
    settled(results)
    results.get_by_role("link", name=re.compile(r"^Account")).click()
    expect(page).to_have_url(f"{live_server.url}/accounts/?q=zen&status=all&sort=-name")
    expect(results.get_by_role("columnheader", name=re.compile(r"^Account"))).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(results.locator("tbody tr").first).to_contain_text("Zenith Example Bank")
    page.get_by_label("Search", exact=True).fill("zeni")
    expect(page).to_have_url(f"{live_server.url}/accounts/?q=zeni&status=all&sort=-name")
    expect(results.locator("tbody tr")).to_have_count(1)
    assert same_page(page)

    # --- on the account page, a member is added and removed inside the card
    results.get_by_role("link", name="Zenith Example Bank").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zenith Example Bank")
    mark_page(page)
    team = page.locator("#team")
    add = team.locator(".card-header").get_by_role("link", name="Add member")
    form = team.get_by_role("form", name="Add a team member")

    # Opening and cancelling swaps the card both ways.
    add.click()
    expect(form).to_be_visible()
    settled(team)
    form.get_by_role("link", name="Cancel").click()
    expect(form).to_have_count(0)
    expect(team.get_by_role("heading", name="No virtual team yet")).to_be_visible()
    settled(team)

    add.click()
    expect(form).to_be_visible()
    expect(form.get_by_label("Keyplan user")).to_be_focused()

    # Nothing chosen: the form comes back (422) with its errors, next to the fields. An input
    # some script styled (password managers do) must not turn the swap into a CSP violation.
    form.get_by_label("Notes").fill("Knows the CIO")
    page.evaluate("document.getElementById('id_name').style.backgroundImage = 'none'")
    form.get_by_role("button", name="Add member").click()
    expect(team.get_by_text("Please fix the problems below")).to_be_visible()
    expect(team.get_by_text("Choose a user or give the person's name.").last).to_be_visible()
    expect(form.get_by_label("Name")).to_be_focused()
    expect(form.get_by_label("Notes")).to_have_value("Knows the CIO")
    settled(team)
    page.screenshot(path=SCREENSHOT_FORM, full_page=True)

    form.get_by_label("Name").fill("Tunde Bakare")
    form.get_by_label("Role").select_option(label="Solution engineer")
    form.get_by_role("button", name="Add member").click()

    expect(team.get_by_role("status")).to_have_text("Tunde Bakare added as Solution engineer.")
    expect(form).to_have_count(0)
    expect(team.get_by_role("listitem")).to_have_count(1)
    expect(team.get_by_role("listitem")).to_contain_text("Tunde Bakare")
    expect(team.get_by_role("listitem")).to_contain_text("Knows the CIO")
    page.screenshot(path=SCREENSHOT_ADDED, full_page=True)
    settled(team)
    member = AccountTeamMember.objects.get(account=account)
    assert (member.name, member.role, member.notes) == ("Tunde Bakare", "se", "Knows the CIO")

    # Removing asks first (data-confirm), then swaps the card.
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    team.get_by_role("button", name="Remove Tunde Bakare").click()
    expect(team.get_by_role("status")).to_have_text("Tunde Bakare removed from the virtual team.")
    expect(team.get_by_role("heading", name="No virtual team yet")).to_be_visible()
    assert dialogs == ["Remove Tunde Bakare (Solution engineer) from the virtual team?"]
    assert not AccountTeamMember.objects.filter(account=account).exists()
    assert same_page(page)

    # The one failed response is the deliberate 422; no script error, no CSP violation.
    assert page.console_errors == [f"422 {live_server.url}/accounts/{account.pk}/team/new/"]
