"""The pipeline board and its stage move: columns with counts and amounts, cards with their
flags, the move through services.stage_move (JSON for the board's script; a plain form
POST without JavaScript), refusals that name the rule and change nothing, and a constant
query count as the book grows. The drag itself is in tests/e2e/test_pipeline_board.py."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from opportunities import services
from opportunities.models import Opportunity, StageChange
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    EscalationFactory,
    OpportunityFactory,
    stage,
)

pytestmark = pytest.mark.django_db

# The module (opportunities.views re-exports its view function under the same name).
board_view = importlib.import_module("opportunities.views.board")

BOARD = reverse("opportunities:board")
JSON = {"HTTP_ACCEPT": "application/json"}


def move_url(deal) -> str:
    return reverse("opportunities:move", args=[deal.pk])


def row(pk) -> dict:
    return Opportunity.objects.filter(pk=pk).values().get()


def columns(response) -> dict[str, tuple]:
    return {
        c["stage"].slug: (c["count"], c["amount"], [o.name for o in c["cards"]])
        for c in response.context["columns"]
    }


@pytest.fixture
def deals(account):
    today = timezone.localdate()
    return {
        "a": OpportunityFactory(
            account=account, name="A", stage=stage("qualify"), amount=Decimal("100")
        ),
        "b": OpportunityFactory(
            account=account, name="B", stage=stage("qualify"), amount=Decimal("50")
        ),
        "won": OpportunityFactory(
            account=account,
            name="Won lately",
            stage=stage("closed_won"),
            business_value="ROI",
            close_date=today - datetime.timedelta(days=10),
        ),
        "old": OpportunityFactory(
            account=account,
            name="Won long ago",
            stage=stage("closed_won"),
            business_value="ROI",
            close_date=today - datetime.timedelta(days=400),
        ),
    }


def test_board_has_a_column_per_stage_with_count_and_amount(client, am, deals):
    client.force_login(am)
    response = client.get(BOARD)
    got = columns(response)
    assert list(got) == [
        "prospect",
        "qualify",
        "develop",
        "propose",
        "negotiate",
        "closed_won",
        "closed_lost",
    ]
    assert got["qualify"] == (2, Decimal("150.00"), ["A", "B"])
    # Closed columns: the deals closed in the last BOARD_CLOSED_DAYS days.
    assert got["closed_won"] == (1, Decimal("250000.00"), ["Won lately"])
    assert got["prospect"] == (0, 0, [])
    assert b'draggable="true"' in response.content


def test_board_flags_slipped_stale_and_escalated_deals(client, am, deals):
    a = deals["a"]
    for days in (10, 10):
        a = services.opportunity_update(
            actor=am,
            instance=a,
            data={"close_date": a.close_date + datetime.timedelta(days=days)},
        )
    EscalationFactory(opportunity=deals["b"])
    Opportunity.objects.filter(pk=deals["b"].pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=61)
    )
    client.force_login(am)
    response = client.get(BOARD)
    cards = {o.name: o for c in response.context["columns"] for o in c["cards"]}
    assert cards["A"].slips == 2 and not cards["A"].open_escalation
    assert cards["B"].open_escalation and cards["B"].slips == 0
    html = response.content.decode()
    card_b = html[html.index(f'id="deal-{deals["b"].pk}"') :]
    card_b = card_b[: card_b.index("</li>")]
    assert "Stale" in card_b and "Escalated" in card_b and "Slipped" not in card_b


def test_board_filters_like_the_table(client, am, deals, account):
    other = AccountFactory(owner=am, name="Other Co")
    OpportunityFactory(account=other, name="Elsewhere", stage=stage("develop"))
    client.force_login(am)
    got = columns(client.get(BOARD, {"account": other.pk}))
    assert got["develop"][2] == ["Elsewhere"] and got["qualify"][0] == 0
    got = columns(client.get(BOARD, {"q": "elsew"}))
    assert [name for c in got.values() for name in c[2]] == ["Elsewhere"]


def test_a_full_column_links_to_the_rest(client, am, deals, monkeypatch):
    monkeypatch.setattr(board_view, "BOARD_CARDS_PER_STAGE", 1)
    client.force_login(am)
    response = client.get(BOARD)
    qualify = next(c for c in response.context["columns"] if c["stage"].slug == "qualify")
    assert (qualify["count"], len(qualify["cards"]), qualify["more"]) == (2, 1, 1)
    assert b"1 more in the table" in response.content


def test_cards_the_user_may_not_change_cannot_be_moved(client, am, other_am, account, deals):
    AccountTeamMemberFactory(account=account, user=other_am)
    mine = OpportunityFactory(account=account, owner=other_am, name="VT's own")
    client.force_login(other_am)
    response = client.get(BOARD)
    cards = {o.name: o for c in response.context["columns"] for o in c["cards"]}
    assert cards["VT's own"].can_change is True
    assert cards["A"].can_change is False
    html = response.content.decode()
    assert f'action="{move_url(mine)}"' in html
    assert f'action="{move_url(deals["a"])}"' not in html


# --- the move -------------------------------------------------------------------------


def test_move_by_json(client, am, deals):
    a = deals["a"]
    client.force_login(am)
    response = client.post(move_url(a), {"stage": "develop", "version": a.version}, **JSON)
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "message": "“A” moved to Develop.",
        "stage": "develop",
        "version": 2,
        "probability": 40,
    }
    a.refresh_from_db()
    assert a.stage.slug == "develop"
    change = StageChange.objects.get(opportunity=a, field="stage")
    assert (change.from_value, change.to_value, change.changed_by) == ("qualify", "develop", am)


@pytest.mark.parametrize(
    ("target", "rule"),
    [
        ("propose", services.BUSINESS_VALUE_RULE),
        ("negotiate", services.BUSINESS_VALUE_RULE),
        ("closed_won", services.BUSINESS_VALUE_RULE),
        ("closed_lost", services.LOSS_REASON_RULE),
    ],
)
def test_a_move_a_stage_rule_refuses_names_it_and_changes_nothing(client, am, deals, target, rule):
    a = deals["a"]
    before = row(a.pk)
    client.force_login(am)
    response = client.post(move_url(a), {"stage": target, "version": a.version}, **JSON)
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "message": rule,
        "edit_url": reverse("opportunities:edit", args=[a.pk]),
    }
    assert row(a.pk) == before
    assert not StageChange.objects.filter(opportunity=a).exists()


def test_move_without_javascript(client, am, deals):
    a, b = deals["a"], deals["b"]
    client.force_login(am)
    back = BOARD + "?owner=am"
    response = client.post(move_url(a), {"stage": "develop", "version": 1, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["“A” moved to Develop."]
    refused = client.post(move_url(b), {"stage": "propose", "next": back})
    assert refused.status_code == 302 and refused["Location"] == back
    # (The first message was never shown: the test did not follow its redirect.)
    assert [str(m) for m in get_messages(refused.wsgi_request)][-1] == (
        f"“B” was not moved: {services.BUSINESS_VALUE_RULE}"
    )
    assert row(b.pk)["stage_id"] == stage("qualify").pk
    # Only a path on this site is followed back.
    elsewhere = client.post(move_url(a), {"stage": "qualify", "next": "https://evil.example/board"})
    assert elsewhere["Location"] == BOARD


def test_a_move_without_write_permission_is_refused(client, am, other_am, account, deals):
    AccountTeamMemberFactory(account=account, user=other_am)  # sees it, may not change it
    a = deals["a"]
    before = row(a.pk)
    client.force_login(other_am)
    response = client.post(move_url(a), {"stage": "develop"}, **JSON)
    assert response.status_code == 403
    assert response.json()["message"].startswith("Only the account's owner")
    page = client.post(move_url(a), {"stage": "develop"})
    assert page.status_code == 403
    assert b"Only the account" in page.content
    assert row(a.pk) == before


def test_a_move_on_a_deal_the_user_cannot_see_is_404(client, other_am, deals):
    client.force_login(other_am)
    assert client.post(move_url(deals["a"]), {"stage": "develop"}, **JSON).status_code == 404
    assert row(deals["a"].pk)["stage_id"] == stage("qualify").pk


def test_a_move_from_a_stale_card_is_refused(client, am, manager, deals):
    a = deals["a"]
    services.opportunity_update(actor=manager, instance=a, data={"amount": Decimal("5")})
    client.force_login(am)
    response = client.post(move_url(a), {"stage": "develop", "version": 1}, **JSON)
    assert response.status_code == 409
    assert response.json()["message"] == board_view.STALE_MESSAGE
    assert row(a.pk)["stage_id"] == stage("qualify").pk


@pytest.mark.parametrize("data", [{"stage": "nowhere"}, {}, {"stage": "develop", "version": "x"}])
def test_a_bad_move_is_a_clear_400(client, am, deals, data):
    client.force_login(am)
    response = client.post(move_url(deals["a"]), data, **JSON)
    assert response.status_code == 400
    assert response.json()["message"]
    assert row(deals["a"].pk)["version"] == 1


def test_move_answers_get_with_405(client, am, deals):
    client.force_login(am)
    assert client.get(move_url(deals["a"])).status_code == 405


# --- query count ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["am", "manager", "ops"])
def test_board_query_count_is_constant(
    client, request, account, django_assert_max_num_queries, who
):
    user = request.getfixturevalue(who)
    client.force_login(user)

    def grow(n):
        for i in range(n):
            deal = OpportunityFactory(
                account=account, stage=stage(("prospect", "qualify", "develop")[i % 3])
            )
            EscalationFactory(opportunity=deal)

    grow(3)
    with django_assert_max_num_queries(20) as small:
        client.get(BOARD)
    grow(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(BOARD)
    assert sum(c["count"] for c in response.context["columns"]) == 43
