"""The accounts list as the AM's worklist: AR this fiscal year to date, its growth against
the same window a year earlier (the account page's numbers), the next agreement to renew and
the days to its end; sortable, annotated in SQL, in the CSV too."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from core.fiscal import current_fiscal_year, fiscal_year_bounds, shift_years
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    AgreementFactory,
    RevenueRecordFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def book(am, today):
    """Three accounts of am's: one growing with a due renewal, one shrinking with only a far
    agreement (and a renewed and a lapsed one, which ask nothing), one with no revenue last
    year and no agreement."""
    this_month = month_start(today)
    last_year = shift_years(this_month, -1)
    fy_start, _ = fiscal_year_bounds(current_fiscal_year())

    growing = AccountFactory(owner=am, name="Alpha Growing Bank")
    RevenueRecordFactory(account=growing, period=this_month, amount=Decimal("150"))
    RevenueRecordFactory(account=growing, period=last_year, amount=Decimal("100"))
    # Outside both windows: the month after today's, a year earlier, counts for neither.
    later = shift_years(month_start(today + datetime.timedelta(days=32)), -1)
    if later > shift_years(today, -1):
        RevenueRecordFactory(account=growing, period=later, amount=Decimal("5000"))
    AgreementFactory(
        account=growing,
        number="EA-DUE",
        start_date=today - datetime.timedelta(days=700),
        end_date=today + datetime.timedelta(days=30),
    )
    AgreementFactory(
        account=growing,
        number="EA-LATER",
        start_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=900),
    )

    shrinking = AccountFactory(owner=am, name="Beta Shrinking Ltd")
    RevenueRecordFactory(account=shrinking, period=this_month, amount=Decimal("50"))
    RevenueRecordFactory(account=shrinking, period=last_year, amount=Decimal("200"))
    old = AgreementFactory(
        account=shrinking,
        number="EA-OLD",
        start_date=today - datetime.timedelta(days=900),
        end_date=today + datetime.timedelta(days=10),
    )
    AgreementFactory(  # renews EA-OLD, so EA-OLD asks nothing; this one ends in 400 days
        account=shrinking,
        number="EA-NEW",
        renews=old,
        start_date=today + datetime.timedelta(days=11),
        end_date=today + datetime.timedelta(days=400),
    )
    AgreementFactory(
        account=shrinking,
        number="EA-LAPSED",
        start_date=today - datetime.timedelta(days=900),
        end_date=today - datetime.timedelta(days=5),
    )

    fresh = AccountFactory(owner=am, name="Gamma New Co")
    RevenueRecordFactory(account=fresh, period=fy_start, amount=Decimal("70"))
    return {"growing": growing, "shrinking": shrinking, "fresh": fresh}


def rows_by_name(response) -> dict:
    return {a.name: a for a in response.context["rows"]}


def test_list_shows_ar_growth_and_next_renewal(client, am, book, today):
    client.force_login(am)
    response = client.get(reverse("accounts:list"))
    rows = rows_by_name(response)

    growing = rows["Alpha Growing Bank"]
    assert growing.ar_fytd == Decimal("150")
    assert growing.ar_prior == Decimal("100")
    assert growing.growth == Decimal("0.5")
    assert growing.next_end == today + datetime.timedelta(days=30)
    assert growing.next_renewal_status == "due"
    assert growing.days_to_expiry == 30

    shrinking = rows["Beta Shrinking Ltd"]
    assert shrinking.ar_fytd == Decimal("50")
    assert shrinking.growth == Decimal("-0.75")
    # EA-OLD is renewed and EA-LAPSED lapsed: the next is EA-NEW, which has not started.
    assert shrinking.next_end == today + datetime.timedelta(days=400)
    assert shrinking.next_renewal_status == "upcoming"
    assert shrinking.days_to_expiry == 400

    fresh = rows["Gamma New Co"]
    assert fresh.ar_fytd == Decimal("70")
    assert fresh.growth is None  # nothing a year earlier: no ratio, not 0
    assert fresh.next_end is None and fresh.days_to_expiry is None

    html = response.content.decode()
    assert "+50.0% ▲" in html and "−75.0% ▼" in html
    assert "USD 150" in html
    assert f"AR FY{current_fiscal_year()} YTD" in html
    assert ">Due</span>" in html and 'title="Due for renewal"' in html
    # The "Updated" column is gone: every row of the demo showed the same day.
    assert ">Updated<" not in html


def test_list_growth_is_the_account_pages_growth(client, am, book):
    client.force_login(am)
    listed = rows_by_name(client.get(reverse("accounts:list")))
    for account in book.values():
        page = client.get(reverse("accounts:detail", args=[account.pk])).context["ar"]
        row = listed[account.name]
        assert (page["ar"], page["prior_ar"], page["growth"]) == (
            row.ar_fytd,
            row.ar_prior,
            row.growth,
        )


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("ar", ["Beta Shrinking Ltd", "Gamma New Co", "Alpha Growing Bank"]),
        ("-ar", ["Alpha Growing Bank", "Gamma New Co", "Beta Shrinking Ltd"]),
        ("growth", ["Beta Shrinking Ltd", "Alpha Growing Bank", "Gamma New Co"]),
        ("-growth", ["Alpha Growing Bank", "Beta Shrinking Ltd", "Gamma New Co"]),
        ("renewal", ["Alpha Growing Bank", "Beta Shrinking Ltd", "Gamma New Co"]),
        ("-renewal", ["Beta Shrinking Ltd", "Alpha Growing Bank", "Gamma New Co"]),
    ],
)
def test_list_sorts_by_the_worklist_columns_empty_last(client, am, book, sort, expected):
    client.force_login(am)
    response = client.get(reverse("accounts:list"), {"sort": sort})
    assert [a.name for a in response.context["rows"]] == expected


def test_list_ar_follows_the_fiscal_year_picked(client, am, book):
    client.force_login(am)
    session = client.session
    session["fiscal_year"] = current_fiscal_year() - 1
    session.save()
    rows = rows_by_name(client.get(reverse("accounts:list")))
    # Last fiscal year, a closed one: its whole year is the window; last year's records count.
    assert rows["Alpha Growing Bank"].ar_fytd >= Decimal("100")
    assert rows["Gamma New Co"].ar_fytd == Decimal("0")


def test_api_keeps_its_own_sort_keys(api_as, am, book):
    # The worklist's sort keys are the page's: the API list does not annotate AR.
    response = api_as(am).get("/api/v1/accounts/", {"sort": "ar"})
    assert response.status_code == 400
    assert "sort" in response.json()


def test_csv_has_the_worklist_columns(client, am, book, today):
    client.force_login(am)
    response = client.get(reverse("accounts:export"), {"sort": "renewal"})
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["name"] for r in rows] == [
        "Alpha Growing Bank",
        "Beta Shrinking Ltd",
        "Gamma New Co",
    ]
    first = rows[0]
    assert first["fiscal_year"] == f"FY{current_fiscal_year()}"
    assert first["ar_fytd"] == "150.00"
    assert first["ar_growth"] == "0.500000"
    assert first["next_agreement_end"] == (today + datetime.timedelta(days=30)).isoformat()
    assert first["next_agreement_status"] == "due"
    assert first["days_to_expiry"] == "30"
    assert rows[2]["ar_growth"] == "" and rows[2]["days_to_expiry"] == ""


def test_worklist_for_a_year_not_started_is_empty(am, book, today):
    qs = selectors.account_worklist(user=am, fy=current_fiscal_year() + 1, as_of=today)
    assert {(a.ar_fytd, a.ar_growth) for a in qs} == {(None, None)}


@pytest.mark.parametrize("n, rows", [(4, 4), (40, 25)])
def test_list_query_count_does_not_grow_with_rows(
    client, django_assert_num_queries, am, team, today, n, rows
):
    other = UserFactory(team=team)
    for i in range(n):
        account = AccountFactory(owner=am if i % 2 else other)
        if account.owner_id != am.pk:
            AccountTeamMemberFactory(account=account, user=am)
        RevenueRecordFactory(account=account, period=month_start(today))
        AgreementFactory(account=account, end_date=today + datetime.timedelta(days=i + 1))
    client.force_login(am)
    # session, user, count, page rows (with AR, growth, next renewal), owner loads; the first
    # time also the 3 filter value lists and the owners, cached after (core.cache)
    for sort, queries in [("name", 9), ("-growth", 5), ("renewal", 5), ("-ar", 5)]:
        with django_assert_num_queries(queries):
            response = client.get(reverse("accounts:list"), {"sort": sort})
        assert len(response.context["rows"]) == rows
        assert all(a.next_end is not None for a in response.context["rows"])


def test_filters_button_counts_the_filters_in_use_and_follows_htmx(client, am, book):
    client.force_login(am)
    page = client.get(reverse("accounts:list"), {"segment": "mature", "status": "all"})
    assert page.context["active_filters"] == 2
    assert "Filters (2)</label>" in page.content.decode()
    live = client.get(reverse("accounts:list"), {"q": "beta"}, headers={"HX-Request": "true"})
    html = live.content.decode()
    assert 'id="account-filters-toggle-button" hx-swap-oob="true"' in html
    assert "Filters (1)</label>" in html
