"""The global search (core.search): one box in the top bar, grouped results from every
provider in settings.KEYPLAN_SEARCH_PROVIDERS, each under the visibility rule."""

import pytest
from django.urls import reverse

from core import search
from core.search import SearchGroup, SearchHit, clean_query, global_search
from tests.factories import AccountFactory, AccountTeamMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(am, other_am):
    mine = AccountFactory(owner=am, name="Zenith Example Bank", external_id="CRM-1")
    on_team = AccountFactory(owner=other_am, name="Bankside Telecom")
    AccountTeamMemberFactory(account=on_team, user=am)
    dormant = AccountFactory(owner=am, name="Dormant Bank Ltd", is_active=False)
    hidden = AccountFactory(owner=other_am, name="Hidden Bank Plc")
    AccountFactory(owner=am, name="Unrelated Cement", industry="Construction")
    return {"mine": mine, "on_team": on_team, "dormant": dormant, "hidden": hidden}


def hits(group: SearchGroup) -> list[str]:
    return [hit.title for hit in group.hits]


def test_search_page_groups_what_the_user_sees(client, am, book):
    client.force_login(am)
    response = client.get(reverse("search"), {"q": "bank"})
    assert response.status_code == 200
    [group] = response.context["groups"]
    assert group.label == "Accounts" and group.count == 3
    # Active first, then by name; the hidden account's name is nowhere on the page.
    assert hits(group) == ["Bankside Telecom", "Zenith Example Bank", "Dormant Bank Ltd"]
    html = response.content.decode()
    assert "Hidden Bank" not in html
    assert f'href="/accounts/{book["mine"].pk}/"' in html
    assert "CRM-1 · " in html and ">Inactive<" in html
    assert 'href="/accounts/?q=bank&amp;status=all">Open in the accounts list' in html
    # The top bar keeps what was searched.
    assert 'id="kp-search-q"' in html and 'value="bank"' in html


def test_search_matches_exactly_what_the_list_q_filter_lists(client, am, book):
    client.force_login(am)
    for q in ["bank", "crm-1", "construction", "zzz"]:
        found = global_search(user=am, q=q, limit=50)
        titles = sorted(hits(found[0])) if found else []
        listed = client.get(reverse("accounts:list"), {"q": q, "status": "all"})
        assert titles == sorted(a.name for a in listed.context["rows"]), q


def test_ops_sees_every_match(ops, book):
    [group] = global_search(user=ops, q="bank", limit=10)
    assert group.count == 4 and "Hidden Bank Plc" in hits(group)


def test_live_results_are_the_fragment_with_a_see_all_link(client, am, book, settings):
    client.force_login(am)
    response = client.get(reverse("search"), {"q": "bank"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "core/partials/search_results.html" in [t.name for t in response.templates]
    assert "<html" not in html and "kp-sidebar" not in html
    assert 'href="/search/?q=bank">All results for “bank”' in html
    assert "HX-Request" in response["Vary"]


def test_more_hits_than_the_limit_link_to_the_full_list(client, am):
    for i in range(7):
        AccountFactory(owner=am, name=f"Bank {i}")
    client.force_login(am)
    response = client.get(reverse("search"), {"q": "bank"}, headers={"HX-Request": "true"})
    [group] = response.context["groups"]
    assert len(group.hits) == search.LIVE_LIMIT and group.count == 7
    assert 'href="/accounts/?q=bank&amp;status=all">See all 7 accounts' in response.content.decode()


def test_empty_and_unmatched_queries(client, am, book):
    client.force_login(am)
    live = client.get(reverse("search"), {"q": "  "}, headers={"HX-Request": "true"})
    assert live.status_code == 200 and live.content == b""  # closes the live results
    page = client.get(reverse("search"))
    assert page.status_code == 200 and page.context["groups"] == []
    assert "Type a name" in page.content.decode()
    none = client.get(reverse("search"), {"q": "<b>nothing</b>"})
    assert "Nothing you can see matches “&lt;b&gt;nothing&lt;/b&gt;”" in none.content.decode()


def test_query_is_trimmed_and_cut():
    assert clean_query("  many   spaces ") == "many spaces"
    assert len(clean_query("x" * 500)) == search.MAX_QUERY_LENGTH
    assert clean_query(None) == ""


def test_search_needs_sign_in(client):
    response = client.get(reverse("search"), {"q": "bank"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("n", [3, 30])
def test_search_query_count_does_not_grow(client, am, django_assert_num_queries, n):
    for i in range(n):
        AccountFactory(owner=am, name=f"Bank {i}")
    client.force_login(am)
    # session, user, the first rows (with their owners), and the count when there are more;
    # the opportunities and the stakeholders providers' first rows (none match)
    with django_assert_num_queries(5 if n <= search.PAGE_LIMIT else 6):
        response = client.get(reverse("search"), {"q": "bank"})
    assert response.context["groups"][0].count == n


# --- the registry: a later app adds a provider without touching core ---------------


class NoteSearch:
    """A stand-in for a later app's provider (plans, opportunities, stakeholders)."""

    key = "notes"
    label = "Notes"

    def search(self, *, user, q, limit):
        notes = [f"{q} note {i}" for i in range(3)]
        return SearchGroup(
            key=self.key,
            label=self.label,
            hits=[SearchHit(title=n, url=f"/notes/{i}/") for i, n in enumerate(notes[:limit])],
            count=len(notes),
        )


class SilentSearch:
    key = "silent"
    label = "Silent"

    def search(self, *, user, q, limit):
        return None  # nothing to say to this user


def test_a_registered_provider_adds_its_group_in_order(client, am, book, settings):
    settings.KEYPLAN_SEARCH_PROVIDERS = [
        "tests.core.test_search.NoteSearch",
        "tests.core.test_search.SilentSearch",
        "accounts.search.AccountSearch",
    ]
    client.force_login(am)
    response = client.get(reverse("search"), {"q": "bank"})
    assert [g.label for g in response.context["groups"]] == ["Notes", "Accounts"]
    assert "bank note 2" in response.content.decode()


def test_two_providers_with_one_key_are_refused(settings):
    settings.KEYPLAN_SEARCH_PROVIDERS = [
        "accounts.search.AccountSearch",
        "accounts.search.AccountSearch",
    ]
    with pytest.raises(ValueError, match="share a key"):
        search.search_providers()
