"""The account manager's main journey: sign in, find the account, edit it, see the change."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from tests.factories import PASSWORD, AccountFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/keyplan-account.png"


@pytest.fixture
def ada(db):
    team = TeamFactory(name="Lagos Corporate West")
    return UserFactory(username="ada", first_name="Ada", last_name="Okafor", team=team)


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome back, Ada")


def test_am_edits_an_account_and_sees_the_change(page, live_server, ada):
    account = AccountFactory(
        owner=ada, name="Zenith Example Bank", ltp=Decimal("1250000"), external_id="NG-1000"
    )
    AccountFactory(owner=ada, name="Another Customer")
    AccountFactory(owner=UserFactory(username="someone"), name="Not Ada's")

    sign_in(page, live_server, "ada")
    # The theme's CSS loaded (light grey page), so the screenshot shows the real look.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(244, 246, 249)"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="2 accounts")).to_be_visible()
    expect(page.get_by_text("Not Ada's")).to_have_count(0)
    page.get_by_role("link", name="Zenith Example Bank").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Zenith Example Bank")
    page.get_by_role("link", name="Edit account").click()

    page.get_by_label("Name").fill("Zenith Bank Group")
    page.get_by_label("Long-term potential (LTP)").fill("2,750,000")  # separators accepted
    page.get_by_role("button", name="Save account").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/{account.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zenith Bank Group")
    expect(page.get_by_text("Account “Zenith Bank Group” saved.")).to_be_visible()
    expect(page.locator(".kp-facts")).to_contain_text("USD 2,750,000")
    page.screenshot(path=SCREENSHOT, full_page=True)

    account.refresh_from_db()
    assert (account.name, account.ltp, account.version) == (
        "Zenith Bank Group",
        Decimal("2750000.00"),
        2,
    )
    assert page.console_errors == []


def test_concurrent_edit_is_refused_and_the_typed_change_is_kept(page, live_server, ada):
    account = AccountFactory(owner=ada, name="Zenith Example Bank")
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/accounts/{account.pk}/edit/")

    # Someone else saves while Ada is typing.
    Account.objects.filter(pk=account.pk).update(name="Changed Elsewhere", version=2)

    page.get_by_label("Name").fill("Ada's Careful Name")
    page.get_by_role("button", name="Save account").click()

    expect(page.get_by_text("This record was changed by someone else")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Ada's Careful Name")
    expect(page.get_by_role("cell", name="Changed Elsewhere")).to_be_visible()
    account.refresh_from_db()
    assert account.name == "Changed Elsewhere"

    # Having seen the other change, Ada saves again on purpose: her edit wins.
    page.get_by_role("button", name="Save account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada's Careful Name")
    account.refresh_from_db()
    assert (account.name, account.version) == ("Ada's Careful Name", 3)


def test_am_picks_a_parent_account_by_typing(page, live_server, ada):
    account = AccountFactory(owner=ada, name="Eko Atlantic Branch")
    hq = AccountFactory(owner=ada, name="Eko Atlantic Group HQ", external_id="EKO-HQ")
    AccountFactory(owner=UserFactory(username="stranger"), name="Eko Secret Holdings")

    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/accounts/{account.pk}/edit/")
    parent = page.get_by_label("Parent account")
    parent.press_sequentially("eko", delay=30)
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    # Only accounts Ada may pick: not the account itself, not another AM's account.
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Eko Atlantic Group HQ (EKO-HQ)")
    options.first.click()
    expect(parent).to_have_value("Eko Atlantic Group HQ (EKO-HQ)")
    page.get_by_role("button", name="Save account").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/{account.pk}/")
    expect(page.locator(".kp-eyebrow")).to_contain_text("downstream of Eko Atlantic Group HQ")
    account.refresh_from_db()
    assert account.parent_id == hq.pk
    assert page.console_errors == []
