"""The contract points of api.md that every resource shares."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, Agreement, RevenueRecord
from core.models import IdempotencyRecord
from tests.factories import AccountFactory, AgreementFactory, RevenueRecordFactory

pytestmark = pytest.mark.django_db


def test_anonymous_access_is_refused(account):
    response = APIClient().get("/api/v1/accounts/")
    assert response.status_code == 401


def test_token_auth_lists_visible_accounts(api_as, am, account, other_account):
    response = api_as(am).get("/api/v1/accounts/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"next", "previous", "results"}
    assert [row["name"] for row in body["results"]] == ["Zenith Example Bank"]
    row = body["results"][0]
    assert row["owner"] == "am"
    assert row["ltp"] == "1500000.00"
    assert row["below_ltp_threshold"] is False
    assert row["version"] == 1
    assert {"id", "created_at", "updated_at"} <= set(row)


def test_session_auth_needs_csrf_for_writes(am, account):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(am)
    assert client.get(f"/api/v1/accounts/{account.pk}/").status_code == 200
    response = client.patch(f"/api/v1/accounts/{account.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.name == "Zenith Example Bank"


def test_page_size_is_capped_at_1000(api_as, am):
    AccountFactory.create_batch(3, owner=am)
    response = api_as(am).get("/api/v1/accounts/?page_size=2")
    body = response.json()
    assert len(body["results"]) == 2
    assert body["next"] is not None
    assert body["count"] == 3
    response = api_as(am).get("/api/v1/accounts/?page_size=5000")
    assert len(response.json()["results"]) == 3


def test_updated_since_pages_by_cursor_without_skips_or_repeats(api_as, am):
    accounts = AccountFactory.create_batch(7, owner=am)
    same_time = timezone.now() - datetime.timedelta(hours=1)
    # Several rows with one identical updated_at: the cursor must not lose any of them.
    Account.objects.filter(pk__in=[a.pk for a in accounts[:5]]).update(updated_at=same_time)
    client = api_as(am)
    since = (same_time - datetime.timedelta(minutes=1)).isoformat()
    url = "/api/v1/accounts/"
    params = {"updated_since": since, "page_size": 2}
    seen = []
    while url:
        response = client.get(url, params)
        assert response.status_code == 200
        body = response.json()
        assert "count" not in body
        seen.extend(row["id"] for row in body["results"])
        url, params = body["next"], None
    assert sorted(seen) == sorted(a.pk for a in accounts)
    assert len(seen) == len(set(seen))
    expected_order = list(
        Account.objects.filter(pk__in=seen)
        .order_by("updated_at", "id")
        .values_list("id", flat=True)
    )
    assert seen == expected_order


def test_updated_since_accepts_an_unencoded_plus_offset(api_as, am, account):
    response = api_as(am).get("/api/v1/accounts/?updated_since=2000-01-01T00:00:00+01:00")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [account.pk]


def test_bad_updated_since_is_a_400_naming_the_field(api_as, am):
    response = api_as(am).get("/api/v1/accounts/?updated_since=yesterday")
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_get_returns_etag_and_if_match_mismatch_is_412(api_as, am, account):
    client = api_as(am)
    response = client.get(f"/api/v1/accounts/{account.pk}/")
    etag = response["ETag"]
    assert etag == f'"{account.pk}-1"'
    assert client.get(f"/api/v1/accounts/{account.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    response = client.patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "Renamed"}, HTTP_IF_MATCH='"999-9"'
    )
    assert response.status_code == 412
    account.refresh_from_db()
    assert account.name == "Zenith Example Bank"

    response = client.patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "Renamed"}, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response["ETag"] == f'"{account.pk}-2"'


def test_stale_version_is_409_and_changes_nothing(api_as, am, account):
    client = api_as(am)
    assert (
        client.patch(f"/api/v1/accounts/{account.pk}/", {"name": "First", "version": 1}).status_code
        == 200
    )
    response = client.patch(f"/api/v1/accounts/{account.pk}/", {"name": "Second", "version": 1})
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    account.refresh_from_db()
    assert (account.name, account.version) == ("First", 2)


def test_same_body_again_keeps_the_version(api_as, am, account):
    client = api_as(am)
    body = {"name": "Zenith Example Bank", "ltp": "1500000.00"}
    response = client.patch(f"/api/v1/accounts/{account.pk}/", body)
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_idempotency_key_replays_the_first_answer(api_as, am):
    client = api_as(am)
    body = {"name": "New Co", "segment": "emerging", "ltp": "600000.00", "owner": "am"}
    first = client.post("/api/v1/accounts/", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = client.post("/api/v1/accounts/", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Account.objects.filter(name="New Co").count() == 1

    different = client.post(
        "/api/v1/accounts/", {**body, "name": "Other"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert different.status_code == 422
    assert not Account.objects.filter(name="Other").exists()

    # Another key is another request.
    assert client.post("/api/v1/accounts/", body, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert Account.objects.filter(name="New Co").count() == 2


def test_idempotency_keys_are_per_user(api_as, am, other_am):
    body = {"name": "Mine", "segment": "mature", "ltp": "2000000.00"}
    assert (
        api_as(am).post("/api/v1/accounts/", body, HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    )
    response = api_as(other_am).post("/api/v1/accounts/", body, HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201
    assert Account.objects.filter(name="Mine").count() == 2
    assert IdempotencyRecord.objects.count() == 2


def test_schema_and_docs_are_served(api_as, am):
    client = api_as(am)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in [
        "/api/v1/accounts/",
        "/api/v1/agreements/",
        "/api/v1/revenue/bulk/",
        "/api/v1/deployments/",
        "/api/v1/quotas/",
        "/api/v1/users/",
        "/api/v1/teams/",
    ]:
        assert path in text
    client.force_authenticate(am)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200


def test_healthz_reports_database(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["status"] == "ok"


def test_list_endpoints_do_not_query_per_row(api_as, am, django_assert_num_queries):
    client = api_as(am)
    accounts = AccountFactory.create_batch(4, owner=am)
    for account in accounts:
        AgreementFactory(account=account)
        RevenueRecordFactory(account=account)

    def queries_for(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    urls = ["/api/v1/accounts/", "/api/v1/agreements/", "/api/v1/revenue/", "/api/v1/deployments/"]
    few = {url: queries_for(url) for url in urls}
    more = AccountFactory.create_batch(20, owner=am)
    for account in more:
        AgreementFactory(account=account)
        RevenueRecordFactory(account=account)
    for url in urls:
        with django_assert_num_queries(few[url]):
            assert client.get(url).status_code == 200


def test_agreement_renewal_status_is_read_only(api_as, am, account):
    old = AgreementFactory(
        account=account, end_date=datetime.date(2020, 1, 1), start_date=datetime.date(2017, 1, 1)
    )
    response = api_as(am).get(f"/api/v1/agreements/{old.pk}/")
    assert response.json()["renewal_status"] == "lapsed"
    response = api_as(am).patch(f"/api/v1/agreements/{old.pk}/", {"renewal_status": "active"})
    assert response.status_code == 200
    assert response.json()["renewal_status"] == "lapsed"


def test_bad_input_names_the_field_and_writes_nothing(api_as, am, account):
    client = api_as(am)
    response = client.post(
        "/api/v1/agreements/",
        {
            "account": account.pk,
            "kind": "EA",
            "number": "EA-1",
            "start_date": "2026-07-01",
            "end_date": "2025-06-30",
            "annual_value": "100.00",
        },
    )
    assert response.status_code == 400
    assert "end_date" in response.json()
    assert not Agreement.objects.exists()

    response = client.post(
        "/api/v1/revenue/", {"account": account.pk, "period": "2026-07-15", "amount": "5.00"}
    )
    assert response.status_code == 400
    assert "period" in response.json()

    response = client.post("/api/v1/accounts/", {"name": "", "segment": "huge", "ltp": "-1"})
    assert response.status_code == 400
    assert {"name", "segment", "ltp"} <= set(response.json())

    before = Account.objects.count()
    response = client.post("/api/v1/accounts/", "not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert Account.objects.count() == before


def test_revenue_post_upserts_on_its_key(api_as, am, account):
    client = api_as(am)
    body = {"account": account.pk, "period": "2026-08-01", "amount": "10.00", "source": "erp"}
    first = client.post("/api/v1/revenue/", body)
    assert first.status_code == 201
    assert first.json()["version"] == 1
    # Re-sending replaces the record: 200, same row, the version moves once.
    second = client.post("/api/v1/revenue/", {**body, "amount": "12.50"})
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["version"] == 2
    assert RevenueRecord.objects.get().amount == Decimal("12.50")
    # An identical resend changes nothing, not even the version.
    third = client.post("/api/v1/revenue/", {**body, "amount": "12.50"})
    assert third.status_code == 200
    assert third.json()["version"] == 2


def test_openapi_schema_is_valid_and_warning_free(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/revenue/bulk/" in text
    # Users and teams are deactivated, never deleted.
    assert "v1_users_destroy" not in text
    assert "v1_accounts_destroy" not in text


def test_pages_are_served_under_a_strict_content_security_policy(client, am):
    client.force_login(am)
    policy = client.get("/accounts/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI's init script is a separate file, so no inline script is needed.
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    assert b"SwaggerUIBundle(" not in docs.content


def test_api_answers_json_even_to_a_browser(client, am):
    client.force_login(am)
    response = client.get("/api/v1/accounts/", HTTP_ACCEPT="text/html,*/*")
    assert response["Content-Type"] == "application/json"


def test_an_in_flight_key_with_the_same_body_answers_409(api_as, am, monkeypatch):
    import core.idempotency as idem

    monkeypatch.setattr(idem, "_request_hash", lambda request: "same")
    IdempotencyRecord.objects.create(principal=f"user:{am.pk}", key="busy", request_hash="same")
    body = {"name": "Racing", "segment": "mature", "ltp": "2000000.00"}
    response = api_as(am).post("/api/v1/accounts/", body, HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    assert not Account.objects.filter(name="Racing").exists()


def test_put_replaces_the_editable_fields(api_as, am, account):
    body = {
        "name": "Zenith Renamed",
        "segment": "emerging",
        "ltp": "400000.00",
        "industry": "Banking",
        "sector": "Commercial",
        "territory": "lagos-corporate-east",  # a catalogue value, by slug
        "owner": "am",
        "is_active": True,
        "version": 1,
    }
    response = api_as(am).put(f"/api/v1/accounts/{account.pk}/", body)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["segment"], data["below_ltp_threshold"], data["version"]) == ("emerging", True, 2)
    assert data["territory"] == "Lagos Corporate East"  # answered by name
    response = api_as(am).put(f"/api/v1/accounts/{account.pk}/", {"name": "Only name"})
    assert response.status_code == 400
    assert "ltp" in response.json()


def test_schema_and_docs_are_for_signed_in_users_only(client, am):
    schema = APIClient().get("/api/schema/")
    assert schema.status_code == 401
    assert schema.json() == {"detail": "Authentication credentials were not provided."}
    assert "openapi" not in schema.content.decode()

    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == "/login/?next=/api/docs/"
    script = client.get("/api/docs/?script=")
    assert script.status_code == 302

    client.force_login(am)
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


def test_list_counts_stop_at_the_limit_and_pages_need_no_count(api_as, am, settings):
    settings.LIST_COUNT_LIMIT = 3
    AccountFactory.create_batch(5, owner=am)
    client = api_as(am)
    first = client.get("/api/v1/accounts/?page_size=2").json()
    assert first["count"] is None  # more than the limit: not counted
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get("/api/v1/accounts/?page_size=2&page=3").json()
    assert (last["count"], last["next"], len(last["results"])) == (5, None, 1)
    settings.LIST_COUNT_LIMIT = 10
    assert client.get("/api/v1/accounts/?page_size=2").json()["count"] == 5
    for bad in ("4", "0", "abc"):
        response = client.get(f"/api/v1/accounts/?page_size=2&page={bad}")
        assert response.status_code == 404, bad
        assert "page" in response.json()["detail"]
