"""Cached option lists are per user and are missed once an account or a person changes."""

import pytest
from django.urls import reverse

from accounts import services
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def sectors(client) -> list[str]:
    return client.get(reverse("accounts:list")).context["options"]["sectors"]


def test_filter_options_are_cached_per_user_until_an_account_changes(
    client, am, other_am, django_capture_on_commit_callbacks, django_assert_num_queries
):
    account = AccountFactory(owner=am, sector="Commercial")
    AccountFactory(owner=other_am, sector="Public")
    client.force_login(am)
    assert sectors(client) == ["Commercial"]
    with django_assert_num_queries(5):  # session, user, count, rows, owner loads: no options
        client.get(reverse("accounts:list"))

    with django_capture_on_commit_callbacks(execute=True):
        services.account_update(actor=am, instance=account, data={"sector": "Academic"})
    assert sectors(client) == ["Academic"]

    client.force_login(other_am)  # their own list, not am's cached one
    assert sectors(client) == ["Public"]
