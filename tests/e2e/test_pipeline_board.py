"""The pipeline board in Chromium: a card dragged to another stage moves there (and the
columns' counts follow); a move a stage rule refuses snaps back with the rule's message; the
card's stage menu moves it without a mouse; no console error, CSP violations included."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from playwright.sync_api import expect

from opportunities.models import Opportunity, Stage
from opportunities.services import BUSINESS_VALUE_RULE
from tests.e2e.test_account_edit import ada, sign_in  # noqa: F401 (fixture)
from tests.e2e.test_htmx_journeys import mark_page, same_page
from tests.factories import PASSWORD, AccountFactory, OpportunityFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/keyplan-pipeline-board.png"
SCREENSHOT_PHONE = "/tmp/keyplan-pipeline-board-phone.png"


@pytest.fixture
def stages(db):
    """The default stages (a data migration): a transactional test before this one may have
    flushed them."""
    if not Stage.objects.exists():
        importlib.import_module("opportunities.migrations.0002_default_stages").seed(apps, None)
    return {stage.slug: stage for stage in Stage.objects.all()}


def column(page, slug):
    return page.locator(f'[data-column="{slug}"]')


def test_am_drags_a_card_and_a_refused_move_snaps_back(page, live_server, ada, stages):  # noqa: F811
    account = AccountFactory(owner=ada, name="Zenith Example Bank")
    ready = OpportunityFactory(
        account=account,
        name="Azure migration",
        stage=stages["qualify"],
        amount=Decimal("1250000"),
    )
    no_value = OpportunityFactory(
        account=account, name="Teams rollout", stage=stages["qualify"], amount=Decimal("400000")
    )
    # A card in a column beyond the window's right edge: the board scrolls inside its own
    # box, and nothing on it (not even a visually-hidden label) widens the page.
    OpportunityFactory(
        account=account,
        name="Security uplift",
        stage=stages["negotiate"],
        business_value="Halves audit findings.",
    )
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/opportunities/board/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline board")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    expect(column(page, "qualify").locator("[data-total-count]")).to_have_text("2")
    mark_page(page)

    # --- drag "Azure migration" to Develop
    page.drag_and_drop(f"#deal-{ready.pk}", '[data-dropzone="develop"]')
    expect(column(page, "develop").locator(f"#deal-{ready.pk}")).to_be_visible()
    expect(page.locator("#board-status")).to_have_text("“Azure migration” moved to Develop.")
    expect(column(page, "develop").locator("[data-total-count]")).to_have_text("1")
    expect(column(page, "develop").locator("[data-total-amount]")).to_have_text("1.25M")
    expect(column(page, "qualify").locator("[data-total-count]")).to_have_text("1")
    expect(column(page, "qualify").locator("[data-total-amount]")).to_have_text("400K")
    expect(page.locator(f"#deal-{ready.pk} select[name=stage]")).to_have_value("develop")
    ready.refresh_from_db()
    assert ready.stage.slug == "develop"

    # --- drag "Teams rollout" to Propose: no business value, refused, back in Qualify
    page.drag_and_drop(f"#deal-{no_value.pk}", '[data-dropzone="propose"]')
    message = page.locator("#board-message")
    expect(message).to_be_visible()
    expect(message).to_have_text(BUSINESS_VALUE_RULE)
    expect(column(page, "qualify").locator(f"#deal-{no_value.pk}")).to_be_visible()
    expect(column(page, "propose").locator("[data-total-count]")).to_have_text("0")
    expect(column(page, "qualify").locator("[data-total-count]")).to_have_text("1")
    assert Opportunity.objects.get(pk=no_value.pk).stage.slug == "qualify"

    # --- without a mouse: the card's stage menu (keyboard), on the same page
    menu = page.get_by_label("Stage of Azure migration")
    menu.focus()
    menu.select_option("prospect")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move Azure migration")).to_be_focused()
    page.keyboard.press("Enter")
    expect(column(page, "prospect").locator(f"#deal-{ready.pk}")).to_be_visible()
    expect(page.locator("#board-status")).to_have_text("“Azure migration” moved to Prospect.")
    expect(message).to_be_hidden()
    ready.refresh_from_db()
    assert (ready.stage.slug, ready.version) == ("prospect", 3)
    assert same_page(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # --- on a phone the columns stack: nothing scrolls sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline board")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=SCREENSHOT_PHONE, full_page=True)
    # The refused move's answer (400, with the rule) is the only error, and no CSP report.
    assert page.console_errors == [f"400 {live_server.url}/opportunities/{no_value.pk}/move/"]


def test_without_javascript_the_stage_menu_is_a_form(browser, live_server, ada, stages):  # noqa: F811
    account = AccountFactory(owner=ada, name="Zenith Example Bank")
    deal = OpportunityFactory(account=account, name="Azure migration", stage=stages["qualify"])
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/opportunities/board/?owner=ada")
        page.get_by_label("Stage of Azure migration").select_option("develop")
        page.get_by_role("button", name="Move Azure migration").click()
        expect(page).to_have_url(f"{live_server.url}/opportunities/board/?owner=ada")
        expect(page.get_by_text("“Azure migration” moved to Develop.")).to_be_visible()
        expect(column(page, "develop").locator(f"#deal-{deal.pk}")).to_be_visible()
        page.get_by_label("Stage of Azure migration").select_option("propose")
        page.get_by_role("button", name="Move Azure migration").click()
        expect(
            page.get_by_text(f"“Azure migration” was not moved: {BUSINESS_VALUE_RULE}")
        ).to_be_visible()
        expect(column(page, "develop").locator(f"#deal-{deal.pk}")).to_be_visible()
    finally:
        context.close()
