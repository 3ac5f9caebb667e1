"""The top bar's fiscal-year switcher: one range of years, and `next` only to our own pages."""

import pytest

from core.context_processors import FISCAL_YEAR_SESSION_KEY
from core.fiscal import current_fiscal_year, selectable_fiscal_years

pytestmark = pytest.mark.django_db


def test_the_selectable_years_are_next_year_this_one_and_three_back():
    current = current_fiscal_year()
    assert selectable_fiscal_years() == [
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


@pytest.mark.parametrize("offset", [2, -4, -10])
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
