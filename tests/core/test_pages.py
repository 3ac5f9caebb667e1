import datetime
from decimal import Decimal

import pytest

from accounts.models import Account
from core.pages import csv_response, display_value, querystring, sort_headers
from tests.factories import AccountFactory, UserFactory

DEFAULTS = {"q": "", "flag": False, "status": "active", "sort": "name"}


def test_querystring_leaves_out_defaults_and_empties_in_defaults_order():
    params = {"sort": "-size", "page": "3", "flag": True, "q": "a b", "status": "active"}
    assert querystring(params, DEFAULTS) == "q=a+b&flag=1&sort=-size"
    assert querystring(params, DEFAULTS, sort="name", q="") == "flag=1"
    assert querystring({}, DEFAULTS) == ""


def test_sort_headers_toggle_the_current_column_and_keep_filters():
    params = {"q": "x", "flag": False, "status": "all", "sort": "size"}
    headers = sort_headers(
        params, DEFAULTS, columns=["name", "size", "updated"], descending_first={"updated"}
    )
    assert headers == {
        "name": {"href": "?q=x&status=all", "state": ""},
        "size": {"href": "?q=x&status=all&sort=-size", "state": "ascending"},
        "updated": {"href": "?q=x&status=all&sort=-updated", "state": ""},
    }
    descending = sort_headers({**params, "sort": "-size"}, DEFAULTS, columns=["size"])
    assert descending == {"size": {"href": "?q=x&status=all&sort=size", "state": "descending"}}


def test_csv_response_defuses_formulas_in_rows_only():
    response = csv_response(
        filename="keyplan-things.csv", header=["name", "n"], rows=[("=SUM(A1)", 1), ("ok", -2)]
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="keyplan-things.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body == "name,n\r\n'=SUM(A1),1\r\nok,-2\r\n"


@pytest.mark.django_db
def test_display_value_reads_for_people_and_hides_rows_outside_view(am, other_am):
    segment = Account._meta.get_field("segment")
    assert display_value(None, None, am) == "—"
    assert display_value("", None, am) == "—"
    assert display_value(True, None, am) == "Yes"
    assert display_value(Decimal("1250000.4"), None, am) == "USD 1,250,000"
    assert display_value(datetime.date(2027, 6, 30), None, am) == "30 Jun 2027"
    assert display_value("mature", segment, am) == "Mature"
    teammate = UserFactory(username="kim", first_name="", last_name="", team=am.team)
    assert display_value(teammate, None, am) == "kim"
    stranger = UserFactory(username="lee", first_name="Lee", last_name="Outside")
    assert display_value(stranger, None, am) == "(a user outside your view)"
    assert display_value(AccountFactory(owner=am, name="Mine Ltd"), None, am) == "Mine Ltd"
    hidden = AccountFactory(owner=other_am, name="Theirs Ltd")
    assert display_value(hidden, None, am) == "(an account outside your view)"


@pytest.mark.django_db
def test_admin_pages_load_the_long_text_styles(client, ops):
    client.force_login(ops)
    html = client.get("/admin/accounts/account/").content.decode()
    assert 'href="/static/css/admin.css"' in html
