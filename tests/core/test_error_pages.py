"""Error pages live in the product's layout and say plainly what happened (DEBUG is off in
the tests, as in production)."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.access import ACCOUNT_RULE
from accounts.models import Account
from tests.factories import AccountTeamMemberFactory

pytestmark = pytest.mark.django_db


def test_an_account_outside_your_view_is_a_404_page_with_a_way_back(client, am, other_account):
    client.force_login(am)
    response = client.get(reverse("accounts:detail", args=[other_account.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "doesn't exist or isn't shared with you" in html
    assert 'href="/"' in html and "kp-sidebar" in html  # the layout, with navigation


def test_a_forged_post_gets_the_403_page_naming_the_rule(client, am, other_am):
    account = Account.objects.create(name="Theirs", ltp=1, owner=other_am, segment="mature")
    AccountTeamMemberFactory(account=account, user=am)  # am sees it, but may not change it
    client.force_login(am)
    response = client.post(
        reverse("accounts:agreement_create", args=[account.pk]),
        {"kind": "EA", "number": "X-1", "start_date": "2026-07-01", "end_date": "2027-06-30"},
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "You can't make this change" in html
    assert "Only the account&#x27;s owner, their manager or sales operations" in html
    assert ACCOUNT_RULE.startswith("Only the account's owner")
    assert not account.agreements.exists()


def test_the_500_page_needs_no_context_and_no_database():
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert 'href="/"' in html
