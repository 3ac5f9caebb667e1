"""The renewals page: the agreements the user sees by renewal status, due first, with the
FilterSet GET /api/v1/agreements/ uses too; its CSV export; and the home page's top rows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, AgreementFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def agreements(account, other_account):
    return {
        "soon": AgreementFactory(account=account, number="EA-SOON", end_date=days(10)),
        "later": AgreementFactory(account=account, number="EA-LATER", end_date=days(100)),
        "far": AgreementFactory(account=account, number="EA-FAR", end_date=days(400)),
        "gone": AgreementFactory(account=account, number="EA-GONE", end_date=days(-3)),
        "hidden": AgreementFactory(account=other_account, number="EA-HIDDEN", end_date=days(5)),
    }


def numbers(response) -> list[str]:
    return [a.number for a in response.context["rows"]]


def test_due_renewals_soonest_first_and_only_visible_ones(client, am, agreements):
    client.force_login(am)
    response = client.get(reverse("accounts:renewals"))
    assert response.status_code == 200
    assert numbers(response) == ["EA-SOON", "EA-LATER"]
    assert "EA-HIDDEN" not in response.content.decode()
    lapsed = client.get(reverse("accounts:renewals"), {"renewal_status": "lapsed"})
    assert numbers(lapsed) == ["EA-GONE"]
    by_value = client.get(reverse("accounts:renewals"), {"renewal_status": "active", "q": "far"})
    assert numbers(by_value) == ["EA-FAR"]
    # A bad parameter is dropped, not a 400 page: the default (due) stays.
    odd = client.get(reverse("accounts:renewals"), {"renewal_status": "nonsense"})
    assert numbers(odd) == ["EA-SOON", "EA-LATER"]
    assert odd.context["ignored"] == ["renewal_status"]


def test_the_api_list_takes_the_same_filter(api_as, am, agreements):
    response = api_as(am).get("/api/v1/agreements/", {"renewal_status": "due", "sort": "end_date"})
    assert [row["number"] for row in response.json()["results"]] == ["EA-SOON", "EA-LATER"]
    assert {row["renewal_status"] for row in response.json()["results"]} == {"due"}


def test_the_export_is_exactly_the_listed_rows(client, am, agreements):
    client.force_login(am)
    response = client.get(reverse("accounts:renewals_export"), {"sort": "-annual_value"})
    lines = b"".join(response.streaming_content if response.streaming else [response.content])
    rows = lines.decode().strip().splitlines()
    assert rows[0].startswith("account,account_external_id,owner_username,kind,number")
    assert [row.split(",")[4] for row in rows[1:]] == ["EA-SOON", "EA-LATER"]
    assert rows[1].split(",")[7] == "10"  # days to expiry


@pytest.mark.parametrize("n", [3, 30])
def test_renewals_query_count_is_constant(client, django_assert_num_queries, am, account, n):
    for i in range(n):
        AgreementFactory(account=AccountFactory(owner=am), end_date=days(5 + i))
    client.force_login(am)
    with django_assert_num_queries(4):  # session, user, count, page rows
        response = client.get(reverse("accounts:renewals"))
    assert len(response.context["rows"]) == min(n, 25)


def test_home_shows_the_soonest_ten_and_links_to_all(client, am, account):
    for i in range(12):
        AgreementFactory(account=account, end_date=days(20 + i))
    client.force_login(am)
    response = client.get(reverse("home"))
    assert len(response.context["due"]) == 10
    assert response.context["due_total"] == 12
    html = response.content.decode()
    assert "the first 10 of 12" in html
    assert f'href="{reverse("accounts:renewals")}"' in html
