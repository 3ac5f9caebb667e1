"""The top bar's fiscal-year switcher: one range of years (core.fiscal), next year only on
pages that plan ahead, and `next` (the redirect) only to our own pages."""

import pytest

from core.context_processors import FISCAL_YEAR_SESSION_KEY
from core.fiscal import current_fiscal_year, selectable_fiscal_years

pytestmark = pytest.mark.django_db


def test_the_selectable_years_are_this_one_and_three_back_and_next_where_asked():
    current = current_fiscal_year()
    assert selectable_fiscal_years() == [current, current - 1, current - 2, current - 3]
    assert selectable_fiscal_years(include_next=True) == [
        current + 1,
        current,
        current - 1,
        current - 2,
        current - 3,
    ]


def test_the_page_offers_exactly_the_years_the_switcher_accepts(client, am):
    client.force_login(am)
    response = client.get("/")
    assert response.context["fiscal_year_choices"] == selectable_fiscal_years()
    for fy in selectable_fiscal_years():
        client.get(f"/fiscal-year/?fy={fy}")
        assert client.session[FISCAL_YEAR_SESSION_KEY] == fy
        assert client.get("/").context["current_fiscal_year"] == fy


def test_no_future_year_on_pages_that_report_what_happened(client, am, account):
    client.force_login(am)
    current = current_fiscal_year()
    html = client.get(f"/accounts/{account.pk}/").content.decode()
    assert f'<option value="{current + 1}"' not in html
    assert f'<option value="{current}" selected>FY{current}</option>' in html
    # Next year picked where a page offered it: the account page shows this year, not dashes.
    client.get(f"/fiscal-year/?fy={current + 1}")
    assert client.session[FISCAL_YEAR_SESSION_KEY] == current + 1
    response = client.get(f"/accounts/{account.pk}/")
    assert response.context["ar"]["fy"] == current
    assert response.context["current_fiscal_year"] == current


def test_a_page_that_plans_ahead_offers_next_year_labelled_next(rf, am):
    from django.contrib.sessions.backends.db import SessionStore
    from django.template.loader import render_to_string

    from core.context_processors import selected_fiscal_year

    current = current_fiscal_year()
    request = rf.get("/plans/")
    request.user = am
    request.session = SessionStore()
    request.session[FISCAL_YEAR_SESSION_KEY] = current + 1
    context = {
        "fiscal_year_offers_next": True,
        "current_fiscal_year": selected_fiscal_year(request, allow_next=True),
    }
    html = render_to_string("base.html", context, request=request)
    assert f'<option value="{current + 1}" selected>FY{current + 1} (next)</option>' in html
    assert f'<option value="{current}">FY{current}</option>' in html


@pytest.mark.parametrize("offset", [2, 3, -4, -10])
def test_a_year_outside_the_range_is_ignored(client, am, offset):
    client.force_login(am)
    current = current_fiscal_year()
    client.get(f"/fiscal-year/?fy={current - 1}")
    response = client.get(f"/fiscal-year/?fy={current + offset}")
    assert response.status_code == 302
    assert client.session[FISCAL_YEAR_SESSION_KEY] == current - 1


@pytest.mark.parametrize(
    "target",
    [
        "abc",
        "logout",
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "http://testserver/accounts/",
        "",
    ],
)
def test_next_that_is_not_a_local_path_goes_home(client, am, target):
    client.force_login(am)
    response = client.get("/fiscal-year/", {"fy": current_fiscal_year(), "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200  # still signed in
    assert client.session["_auth_user_id"] == str(am.pk)


def test_a_local_next_is_honoured(client, am):
    client.force_login(am)
    response = client.get(
        "/fiscal-year/", {"fy": current_fiscal_year(), "next": "/accounts/?q=bank&page=2"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/?q=bank&page=2"
