"""Cached option lists are per user and are missed once an account or a person changes."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Sector
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def sectors(client) -> list[str]:
    return client.get(reverse("accounts:list")).context["options"]["sectors"]


def owners(client) -> list[str]:
    options = client.get(reverse("accounts:list")).context["options"]
    return [owner["username"] for owner in options["owners"]]


def test_filter_options_are_cached_per_user_until_an_account_changes(
    client, am, other_am, ops, django_capture_on_commit_callbacks, django_assert_num_queries
):
    account = AccountFactory(owner=am)
    AccountFactory(owner=other_am)
    client.force_login(ops)
    assert set(owners(client)) == {"am", "otheram"}
    with django_assert_num_queries(5):  # session, user, count, rows, owner loads: no options
        client.get(reverse("accounts:list"))

    colleague = UserFactory(username="am2", team=am.team)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_update(actor=ops, instance=account, data={"owner": colleague})
    assert set(owners(client)) == {"am2", "otheram"}

    client.force_login(other_am)  # their own list, not ops' cached one
    assert owners(client) == ["otheram"]


def test_filter_options_are_the_catalogues_and_follow_their_changes(
    client, am, ops, django_capture_on_commit_callbacks
):
    AccountFactory(owner=am, sector="Commercial")
    client.force_login(am)
    active = list(Sector.objects.active().values_list("slug", "name"))
    assert sectors(client) == active and ("commercial", "Commercial") in active

    with django_capture_on_commit_callbacks(execute=True):
        entry = services.catalogue_create(actor=ops, model=Sector, name="Non-profit")
    assert ("non-profit", "Non-profit") in sectors(client)

    with django_capture_on_commit_callbacks(execute=True):
        services.catalogue_update(actor=ops, instance=entry, data={"is_active": False})
    assert ("non-profit", "Non-profit") not in sectors(client)
