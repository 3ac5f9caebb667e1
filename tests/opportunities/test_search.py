"""The opportunities' group in the global search: the live deals the user sees, matched as
the pipeline table's `q` matches them, open first, with a "See all" into the table."""

import pytest
from django.urls import reverse

from core.search import global_search
from tests.factories import OpportunityFactory, stage

pytestmark = pytest.mark.django_db


def test_search_finds_visible_deals_like_the_table(client, am, account, other_account):
    OpportunityFactory(account=account, name="Azure landing zone", external_id="SF-77")
    OpportunityFactory(
        account=account, name="Azure won", stage=stage("closed_won"), business_value="ROI"
    )
    OpportunityFactory(account=account, name="Azure deleted", is_deleted=True)
    OpportunityFactory(account=other_account, name="Azure elsewhere")
    client.force_login(am)
    groups = {g.key: g for g in global_search(user=am, q="azure", limit=10)}
    group = groups["opportunities"]
    assert [h.title for h in group.hits] == ["Azure landing zone", "Azure won"]
    assert [h.badge for h in group.hits] == ["", "Won"]
    assert group.hits[0].detail == "Zenith Example Bank · Qualify · USD 250K"
    assert group.see_all_url == "/opportunities/?q=azure&status=all"
    listed = client.get(group.see_all_url)
    assert sorted(o.name for o in listed.context["rows"]) == ["Azure landing zone", "Azure won"]
    # By external id too; the search page shows the group.
    [by_id] = [g for g in global_search(user=am, q="sf-77", limit=10) if g.key == "opportunities"]
    assert [h.title for h in by_id.hits] == ["Azure landing zone"]
    page = client.get(reverse("search"), {"q": "azure"})
    assert "Azure landing zone" in page.content.decode()
    assert "Azure elsewhere" not in page.content.decode()
