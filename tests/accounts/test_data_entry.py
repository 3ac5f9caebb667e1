"""Data entry as people type it: money with thousands separators, dates in the product's
day-month order, the capacity warning, the upcoming status and the no-login mark."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.forms import KeyplanDateField, MoneyField, display_date, parse_money
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    AgreementFactory,
    ManagerFactory,
    TeamFactory,
    UserFactory,
)

# --- money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, value",
    [
        ("1,000,000", Decimal("1000000")),
        ("1 000 000", Decimal("1000000")),
        ("1\u00a0000\u00a0000", Decimal("1000000")),
        ("1,250,000.50", Decimal("1250000.50")),
        ("1250000.5", Decimal("1250000.5")),
        (" 999 ", Decimal("999")),
        ("12,345", Decimal("12345")),
    ],
)
def test_money_accepts_thousands_separators(typed, value):
    assert MoneyField(max_digits=14, decimal_places=2).clean(typed) == value


@pytest.mark.parametrize("typed", ["1,00,000", "1,000 000", "abc", "1.000.000", "1,0000"])
def test_money_refuses_what_it_cannot_read_unambiguously(typed):
    with pytest.raises(ValidationError) as error:
        MoneyField(max_digits=14, decimal_places=2).clean(typed)
    assert error.value.messages == ["Enter an amount such as 1,250,000 or 1250000.50."]


def test_parse_money_keeps_plain_text_for_the_decimal_parser():
    assert parse_money("1,234,567.89") == "1234567.89"
    assert parse_money("-1 000") == "-1000"
    assert parse_money("12a") == "12a"


def test_money_inputs_show_separators_behind_a_currency_prefix():
    class Form(forms.Form):
        amount = MoneyField(max_digits=14, decimal_places=2)

    html = str(Form(initial={"amount": Decimal("1500000.00")})["amount"])
    assert '<span class="input-group-text">USD</span>' in html
    assert 'value="1,500,000"' in html and 'inputmode="decimal"' in html
    assert 'type="text"' in html and "step" not in html
    half = str(Form(initial={"amount": Decimal("1500000.50")})["amount"])
    assert 'value="1,500,000.50"' in half


@pytest.mark.django_db
def test_the_account_form_takes_grouped_money_and_the_api_keeps_plain_decimals(
    client, api_as, am, account
):
    client.force_login(am)
    response = client.post(
        reverse("accounts:create"),
        {"name": "Grouped Ltd", "segment": "mature", "ltp": "2,500,000", "is_active": "on"},
    )
    assert response.status_code == 302
    created = am.owned_accounts.get(name="Grouped Ltd")
    assert created.ltp == Decimal("2500000.00")
    assert api_as(am).get(f"/api/v1/accounts/{created.pk}/").json()["ltp"] == "2500000.00"
    refused = api_as(am).patch(
        f"/api/v1/accounts/{created.pk}/", {"ltp": "3,000,000"}, format="json"
    )
    assert refused.status_code == 400 and "ltp" in refused.json()


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["27/11/2026", "2026-11-27", "27 Nov 2026", " 27/11/2026 ", "27 November 2026"]
)
def test_dates_are_read_day_first_or_iso(typed):
    assert KeyplanDateField().clean(typed) == datetime.date(2026, 11, 27)


def test_a_month_first_date_is_not_silently_misread():
    with pytest.raises(ValidationError) as error:
        KeyplanDateField().clean("11/27/2026")
    assert error.value.messages == ["Enter a date as dd/mm/yyyy (27/11/2026)."]


def test_the_date_format_is_one_setting(settings):
    settings.KEYPLAN_DATE_INPUT_FORMAT = "%m/%d/%Y"
    settings.KEYPLAN_DATE_FORMAT = "M j, Y"
    field = KeyplanDateField()
    assert field.clean("11/27/2026") == datetime.date(2026, 11, 27)
    assert 'placeholder="mm/dd/yyyy"' in field.widget.render("d", None)
    assert display_date(datetime.date(2026, 11, 27)) == "Nov 27, 2026"


@pytest.mark.django_db
def test_agreement_dates_are_typed_and_shown_day_first(client, am, account):
    client.force_login(am)
    url = reverse("accounts:agreement_create", args=[account.pk])
    page = client.get(url).content.decode()
    assert 'placeholder="dd/mm/yyyy"' in page and 'type="date"' not in page
    response = client.post(
        url,
        {
            "kind": "EA",
            "number": "EA-DMY",
            "start_date": "01/07/2026",
            "end_date": "30/06/2029",
            "annual_value": "1,200,000",
        },
    )
    assert response.status_code == 302
    agreement = account.agreements.get(number="EA-DMY")
    assert (agreement.start_date, agreement.end_date, agreement.annual_value) == (
        datetime.date(2026, 7, 1),
        datetime.date(2029, 6, 30),
        Decimal("1200000.00"),
    )
    edit = client.get(reverse("accounts:agreement_edit", args=[account.pk, agreement.pk]))
    assert 'value="01/07/2026"' in edit.content.decode()
    detail = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "30 Jun 2029" in detail


# --- the upcoming status ----------------------------------------------------------------


@pytest.mark.django_db
def test_an_agreement_that_starts_later_is_upcoming_on_the_pages_and_in_the_api(
    client, api_as, am, account
):
    today = timezone.localdate()
    agreement = AgreementFactory(
        account=account,
        start_date=today + datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=1000),
    )
    client.force_login(am)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert '<span class="badge status-none">Upcoming</span>' in html
    data = api_as(am).get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert data["renewal_status"] == "upcoming"
    listed = api_as(am).get("/api/v1/agreements/", {"renewal_status": "upcoming"}).json()
    assert [row["id"] for row in listed["results"]] == [agreement.pk]


# --- capacity -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_am_at_capacity_is_warned_on_the_create_form_and_may_still_create(client, am, settings):
    settings.AM_ACCOUNT_CAPACITY = 2
    client.force_login(am)
    assert "kp-capacity-warning" not in client.get(reverse("accounts:create")).content.decode()
    AccountFactory.create_batch(2, owner=am)
    page = client.get(reverse("accounts:create")).content.decode()
    assert "At or over capacity (2 active accounts)" in page
    response = client.post(
        reverse("accounts:create"),
        {"name": "Third Ltd", "segment": "mature", "ltp": "1000000", "is_active": "on"},
        follow=True,
    )
    assert am.owned_accounts.filter(name="Third Ltd").exists()
    assert "now carries 3 active accounts, above the capacity of 2" in response.content.decode()


@pytest.mark.django_db
def test_a_manager_reassigning_is_warned_about_owners_at_capacity(client, settings):
    settings.AM_ACCOUNT_CAPACITY = 1
    manager = ManagerFactory(username="mgr-cap")
    team = TeamFactory(manager=manager)
    busy = UserFactory(username="busy", first_name="Busy", last_name="Bee", team=team)
    free = UserFactory(username="free", team=team)
    AccountFactory(owner=busy)
    account = AccountFactory(owner=free)
    client.force_login(manager)
    page = client.get(reverse("accounts:edit", args=[account.pk])).content.decode()
    assert "Busy Bee (1)" in page and "You can still assign it" in page


@pytest.mark.django_db
def test_the_warning_is_one_query_however_many_ams(client, ops, django_assert_max_num_queries):
    client.force_login(ops)
    client.get(reverse("accounts:create"))
    team = TeamFactory()
    for _ in range(8):
        AccountFactory(owner=UserFactory(team=team))
    with django_assert_max_num_queries(8):
        client.get(reverse("accounts:create"))


# --- no Keyplan login ---------------------------------------------------------------------


@pytest.mark.django_db
def test_members_without_a_login_get_an_icon_and_one_legend(client, am, account):
    for name in ("Kelechi Amadi", "Ngozi Okafor", "Tobi Adeniran"):
        AccountTeamMemberFactory(account=account, user=None, name=name)
    client.force_login(am)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert html.count('title="No Keyplan login"') == 3
    assert html.count("No Keyplan login: named for reference") == 1
    assert "(no Keyplan login)</span>" in html  # for screen readers, beside each icon
