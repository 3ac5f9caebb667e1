"""Stakeholders in the global search: the people on accounts the user sees, by name, title or
email; never someone on an account outside their view."""

import pytest
from django.urls import reverse

from tests.relationships.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def stakeholder_hits(response) -> list[str]:
    groups = {group.key: group for group in response.context["groups"]}
    group = groups.get("stakeholders")
    return [hit.title for hit in group.hits] if group else []


def test_search_finds_visible_stakeholders_by_name_title_or_email(
    client, am, account, other_account
):
    StakeholderFactory(account=account, name="Grace Adeyemi", title="Group CIO")
    StakeholderFactory(
        account=account,
        name="Tunde Bello",
        title="Head of Payments",
        email="tunde.cio-office@bank.example",
    )
    StakeholderFactory(account=other_account, name="Hidden Cio", title="Group CIO")
    client.force_login(am)
    url = reverse("search")
    assert stakeholder_hits(client.get(url, {"q": "grace"})) == ["Grace Adeyemi"]
    assert stakeholder_hits(client.get(url, {"q": "cio"})) == ["Grace Adeyemi", "Tunde Bello"]
    response = client.get(url, {"q": "Group CIO"})
    html = response.content.decode()
    assert "Hidden Cio" not in html
    assert reverse("relationships:map", args=[account.pk]) + "#people" in html
