"""Bad input answers 400 with a clear message, never a 500."""

import pytest

from accounts.models import Account, RevenueRecord

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_a_400(api_as, am, depth):
    body = "[" * depth + "]" * depth  # 1000 levels: 2 KB
    for url in ["/api/v1/accounts/", "/api/v1/revenue/bulk/"]:
        response = api_as(am).post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {
            "detail": "JSON parse error - the body is nested more than 32 levels deep."
        }
    assert not Account.objects.exists()
    assert not RevenueRecord.objects.exists()


def test_deep_nesting_inside_an_object_is_a_400_too(api_as, am):
    body = '{"name": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}"
    response = api_as(am).post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]


def test_json_nested_within_the_limit_is_parsed(api_as, am):
    from core.api.parsers import MAX_JSON_DEPTH, _deeper_than

    assert not _deeper_than([[1]] * 3, 2)
    assert _deeper_than([[[1]]], 2)
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    body = '{"records": ' + nested + "}"  # 33 levels: refused
    assert (
        api_as(am).post("/api/v1/revenue/bulk/", body, content_type="application/json").status_code
        == 400
    )
    body = (
        '{"name": "Shallow", "segment": "mature", "ltp": "1.00", "x": ' + "[" * 30 + "]" * 30 + "}"
    )
    response = api_as(am).post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 201, response.json()


NUL_URLS = [
    "/accounts/?q=%00",
    "/accounts/?owner=%00",
    "/accounts/?sector=%00",
    "/accounts/?territory=%00",
    "/accounts/?industry=%00",
    "/accounts/?%00=1",
    "/accounts/export/?q=%00",
    "/admin/autocomplete/?term=%00&app_label=accounts&model_name=account&field_name=parent",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_in_the_query_string_is_a_400_page(client, ops, url):
    client.force_login(ops)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"NUL character" in response.content
    assert b"Keyplan" in response.content  # the product's layout


@pytest.mark.parametrize(
    "url",
    ["/api/v1/accounts/?search=%00", "/api/v1/accounts/?owner=a%00b", "/api/v1/users/?x%00=1"],
)
def test_a_nul_in_an_api_query_string_is_a_json_400(api_as, am, url):
    response = api_as(am).get(url)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The query string contains a NUL character (%00), which no parameter accepts."
    }


def test_a_nul_in_a_post_query_string_writes_nothing(api_as, am):
    body = {"name": "Nul Co", "segment": "mature", "ltp": "1.00"}
    response = api_as(am).post("/api/v1/accounts/?x=%00", body, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400
    assert not Account.objects.exists()


BAD_UPDATED_SINCE = [
    "0243-01-09T17:54:11.8%2B23:32",
    "0243-01-09T17:54:11Z",
    "5620-01-09T17:54:11Z",
    "0001-01-01T00:00:00%2B01:00",
    "9999-12-31T23:59:59-01:00",
    "2026-01-09T17:54:11%2B23:32",
    "2026-01-09T17:54:11-22:10",
    "2026-01-09T17:54:11%2B14:01",
    "1969-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
]


@pytest.mark.parametrize("value", BAD_UPDATED_SINCE)
@pytest.mark.parametrize("endpoint", ["/api/v1/accounts/", "/api/v1/revenue/", "/api/v1/users/"])
def test_an_extreme_updated_since_is_a_400_naming_the_field(api_as, am, account, endpoint, value):
    response = api_as(am).get(f"{endpoint}?updated_since={value}")
    assert response.status_code == 400
    assert list(response.json()) == ["updated_since"]


@pytest.mark.parametrize(
    "value", ["1970-01-01T00:00:00%2B14:00", "2026-01-09T17:54:11-12:00", "2200-12-31T23:59:59Z"]
)
def test_updated_since_at_the_bounds_is_accepted(api_as, am, account, value):
    response = api_as(am).get(f"/api/v1/accounts/?updated_since={value}")
    assert response.status_code == 200
