"""Long and odd data never breaks a page, and phones never scroll sideways.

An account with every text field at its maximal length (a 200-character name, a 60-character
agreement number, a 120-character product and team member, ...) on the accounts list, the
account page and renewals, at 1280 px and at 390 px: nothing overflows the window sideways
(document.scrollingElement.scrollWidth <= innerWidth) and every row's edit and delete buttons
sit inside the viewport. Screenshots of each page at each width go to /tmp for a person to
look at (scripts/screenshots.py makes the ones in docs/screenshots/ from the demo data).
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_account_edit import ada, sign_in  # noqa: F401 (fixture)
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    AgreementFactory,
    ProductDeploymentFactory,
    RevenueRecordFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SCREENSHOT = "/tmp/keyplan-long-data-{page}-{width}.png"


def unbroken(word: str, length: int) -> str:
    """`length` characters with no space to break at: the worst case for a table cell."""
    return (word * length)[:length]


@pytest.fixture
def long_account(ada):  # noqa: F811
    today = timezone.localdate()
    account = AccountFactory(
        owner=ada,
        name="Very Long Customer Name " + unbroken("Ltd", 176),
        external_id=unbroken("X", 100),
        industry=unbroken("Industry", 100),
        sector=unbroken("Sector", 60),
        territory=unbroken("Territory", 120),
        description=unbroken("About", 2000),
    )
    AgreementFactory(
        account=account,
        number=unbroken("9", 60),
        start_date=today - datetime.timedelta(days=900),
        end_date=today + datetime.timedelta(days=20),
    )
    AgreementFactory(
        account=account,
        number=unbroken("A", 60),
        start_date=today - datetime.timedelta(days=900),
        end_date=today + datetime.timedelta(days=500),
    )
    ProductDeploymentFactory(account=account, product=unbroken("Product", 120))
    AccountTeamMemberFactory(
        account=account,
        user=None,
        name=unbroken("Member", 120),
        email=f"{unbroken('m', 60)}@example.com",
        notes=unbroken("Notes", 255),
    )
    RevenueRecordFactory(account=account, period=today.replace(day=1))
    AccountFactory(owner=ada, parent=account, name="Downstream " + unbroken("D", 189))
    return account


# The innermost elements reaching past the window's right edge (to name them on a failure).
OVERFLOWING = """inner => {
  const out = el => el.getBoundingClientRect().right > inner + 1;
  return [...document.querySelectorAll('body *')]
    .filter(el => out(el) && ![...el.children].some(out))
    .slice(0, 8)
    .map(el => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`);
}"""


def no_sideways_scroll(page) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    culprits = [] if width <= inner else page.evaluate(OVERFLOWING, inner)
    assert width <= inner, f"{page.url} scrolls sideways: {width} px in {inner} px: {culprits}"


def in_viewport(page, locator) -> None:
    """The element shows, whole, inside the window's width (scrolled to vertically)."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    inner = page.evaluate("window.innerWidth")
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= inner, (locator, box, inner)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_long_data_keeps_every_page_inside_the_window(page, live_server, long_account, width):
    w, h = WIDTHS[width]
    page.set_viewport_size({"width": w, "height": h})
    sign_in(page, live_server, "ada")

    # The list: the name is cut with an ellipsis, the full text in its title.
    page.goto(f"{live_server.url}/accounts/")
    no_sideways_scroll(page)
    link = page.locator("#account-results tbody").get_by_role("link", name=long_account.name)
    in_viewport(page, link)
    assert link.get_attribute("title").startswith(long_account.name)
    assert link.evaluate("el => el.scrollWidth > el.clientWidth")  # truncated, not wrapped
    # The product's link style in tables: medium weight, underlined only on hover.
    style = "el => [getComputedStyle(el).fontWeight, getComputedStyle(el).textDecorationLine]"
    assert link.evaluate(style) == ["500", "none"]
    link.hover()
    assert link.evaluate(style) == ["500", "underline"]
    days = page.locator("#account-results tbody tr").first.locator("td").last
    in_viewport(page, days)
    page.screenshot(path=SCREENSHOT.format(page="list", width=w), full_page=True)

    # The account page: every agreement's and deployment's buttons stay in view.
    page.goto(f"{live_server.url}/accounts/{long_account.pk}/")
    no_sideways_scroll(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(long_account.name)
    for number in (unbroken("9", 60), unbroken("A", 60)):
        in_viewport(page, page.get_by_role("link", name=f"Edit EA {number}"))
        in_viewport(page, page.get_by_role("button", name=f"Delete EA {number}"))
    product = unbroken("Product", 120)
    in_viewport(page, page.get_by_role("link", name=f"Edit {product}"))
    in_viewport(page, page.get_by_role("button", name=f"Delete {product}"))
    member = unbroken("Member", 120)
    in_viewport(page, page.get_by_role("link", name=f"Edit {member}"))
    in_viewport(page, page.get_by_role("button", name=f"Remove {member}"))
    in_viewport(page, page.get_by_role("link", name="Edit account"))
    page.screenshot(path=SCREENSHOT.format(page="account", width=w), full_page=True)
    if width == "desktop":
        # The navy sidebar stays in place, full height, however far the page scrolls.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert page.evaluate("window.scrollY") > 500
        box = page.locator(".kp-sidebar").bounding_box()
        assert (box["y"], box["height"]) == (0, h)

    # Renewals: the due agreement's days to expiry and status are on screen.
    page.goto(f"{live_server.url}/accounts/renewals/")
    no_sideways_scroll(page)
    row = page.locator("#renewal-results tbody tr").first
    in_viewport(page, row.locator("td[data-label='Days to expiry']"))
    in_viewport(page, row.locator("td[data-label='Status']"))
    page.screenshot(path=SCREENSHOT.format(page="renewals", width=w), full_page=True)

    # Home: the agreements due for renewal, the long name cut, nothing off screen.
    page.goto(f"{live_server.url}/")
    no_sideways_scroll(page)
    due = page.get_by_role("link", name=long_account.name)
    in_viewport(page, due)
    in_viewport(page, page.locator("td[data-label='Days to expiry']").first)
    assert page.console_errors == []


def test_phone_rows_are_cards_and_filters_fold_away(page, live_server, long_account):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/accounts/?q=very&segment=mature&status=all")

    # The filters hide behind "Filters (n)", n the filters in use; the button opens them.
    search = page.locator("#f-q")
    expect(search).to_be_hidden()
    button = page.get_by_text("Filters (3)")
    expect(button).to_be_visible()
    button.click()
    expect(search).to_be_visible()

    # Each row is a card: the name first, then AR, growth and the next renewal, labelled.
    row = page.locator("#account-results tbody tr").first
    assert row.evaluate("el => getComputedStyle(el).display") == "flex"
    expect(page.locator("#account-results thead")).not_to_be_in_viewport()
    cells = row.locator("td:visible")
    tops = [cell.bounding_box()["y"] for cell in cells.all()]
    labels = [cell.get_attribute("data-label") for cell in cells.all()]
    ordered = [label for _, label in sorted(zip(tops, labels, strict=True))]
    assert ordered[:5] == [
        "Account",
        "AR FY" + str(_fy()) + " YTD",
        "Growth",
        "Next renewal",
        "Days to expiry",
    ]
    label = row.locator("td[data-label='Growth']").evaluate(
        "el => getComputedStyle(el, '::before').content"
    )
    assert label == '"Growth"'
    no_sideways_scroll(page)
    assert page.console_errors == []


def test_phone_filters_open_without_javascript(browser, live_server, long_account):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/accounts/renewals/")
    expect(page.locator("#r-q")).to_be_hidden()
    page.get_by_text("Filters (0)").click()
    expect(page.locator("#r-q")).to_be_visible()
    page.locator("#r-q").fill("9999")
    page.get_by_role("search", name="Filter agreements").get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/accounts/renewals/\?q=9999&"))
    expect(page.get_by_text("Filters (1)")).to_be_visible()
    expect(page.locator("#renewal-results tbody tr")).to_have_count(1)
    context.close()


def _fy() -> int:
    from core.fiscal import current_fiscal_year

    return current_fiscal_year()
