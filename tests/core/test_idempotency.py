"""Idempotency-Key (core.idempotency): who a key belongs to, leases, replayed headers and
the answers that are never stored."""

import dataclasses
import datetime

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException
from rest_framework.test import APIClient

import core.idempotency as idem
from accounts import services
from accounts.api import AccountViewSet, RevenueViewSet
from accounts.models import Account, RevenueRecord
from core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

BODY = {"name": "Keyed Co", "segment": "mature", "ltp": "2000000.00"}


def use_service(monkeypatch, viewset, **services_):
    """Have `viewset` call these services (it declares them in a ServiceSet)."""
    monkeypatch.setattr(viewset, "services", dataclasses.replace(viewset.services, **services_))


def _client_with_keyword(user, keyword: str) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token.key}")
    return client


def test_the_token_keyword_in_any_case_is_the_same_user(am):
    first = _client_with_keyword(am, "Token").post(
        "/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == 201
    for keyword in ["token", "TOKEN", "tOkEn"]:
        again = _client_with_keyword(am, keyword).post(
            "/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k"
        )
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
    assert Account.objects.filter(name="Keyed Co").count() == 1
    assert list(IdempotencyRecord.objects.values_list("principal", flat=True)) == [f"user:{am.pk}"]


def test_a_session_user_is_keyed_like_a_token_user(api_as, am):
    session = APIClient()
    session.force_login(am)
    assert session.post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    again = api_as(am).post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k")
    assert again["Idempotent-Replayed"] == "true"
    assert Account.objects.filter(name="Keyed Co").count() == 1


def test_failed_authentication_passes_through_and_stores_nothing(am):
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="token not-a-real-token")
    assert bad.post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 401

    # A session without the CSRF token: DRF's session authentication refuses it.
    no_csrf = APIClient(enforce_csrf_checks=True)
    no_csrf.force_login(am)
    assert no_csrf.post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 403

    assert not IdempotencyRecord.objects.exists()
    assert not Account.objects.filter(name="Keyed Co").exists()


def _stuck_record(user, key: str, leased_until: datetime.datetime) -> IdempotencyRecord:
    """What a worker killed mid-request leaves behind: no answer, a lease."""
    return IdempotencyRecord.objects.create(
        principal=f"user:{user.pk}", key=key, request_hash="same", leased_until=leased_until
    )


def test_a_retry_after_the_lease_ran_out_takes_the_key_over(api_as, am, monkeypatch):
    monkeypatch.setattr(idem, "_request_hash", lambda request: "same")
    stuck = _stuck_record(am, "stuck", timezone.now() - datetime.timedelta(seconds=1))
    response = api_as(am).post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="stuck")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Account.objects.filter(name="Keyed Co").count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.pk, record.status_code) == (stuck.pk, 201)
    assert record.leased_until > timezone.now()

    replay = api_as(am).post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="stuck")
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (201, "true")
    assert Account.objects.filter(name="Keyed Co").count() == 1


def test_a_retry_within_the_lease_answers_409_and_writes_nothing(api_as, am, monkeypatch):
    monkeypatch.setattr(idem, "_request_hash", lambda request: "same")
    lease = timezone.now() + datetime.timedelta(seconds=30)
    _stuck_record(am, "busy", lease)
    response = api_as(am).post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    assert not Account.objects.filter(name="Keyed Co").exists()
    record = IdempotencyRecord.objects.get()
    assert (record.status_code, record.leased_until) == (None, lease)


def test_the_lease_length_comes_from_the_setting(api_as, am, settings, monkeypatch):
    settings.IDEMPOTENCY_LEASE_SECONDS = 600
    seen = {}

    def create(**kwargs):
        seen["lease"] = IdempotencyRecord.objects.get().leased_until - timezone.now()
        return original(**kwargs)

    original = services.account_create
    use_service(monkeypatch, AccountViewSet, create=create)
    assert api_as(am).post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert datetime.timedelta(seconds=590) < seen["lease"] <= datetime.timedelta(seconds=600)


def test_a_request_that_lost_its_key_to_a_takeover_does_not_store_its_answer(
    api_as, am, monkeypatch
):
    original = services.account_create

    def slow_create(**kwargs):
        # Meanwhile the lease ran out and a retry took the key over (a new lease).
        IdempotencyRecord.objects.update(
            leased_until=timezone.now() + datetime.timedelta(seconds=60)
        )
        return original(**kwargs)

    use_service(monkeypatch, AccountViewSet, create=slow_create)
    assert api_as(am).post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    record = IdempotencyRecord.objects.get()
    assert (record.status_code, record.response_body) == (None, None)


def test_a_replay_carries_the_etag_and_content_type(api_as, am):
    client = api_as(am)
    first = client.post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k")
    account = Account.objects.get(name="Keyed Co")
    assert first["ETag"] == f'"{account.pk}-1"'
    again = client.post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201
    assert again["ETag"] == f'"{account.pk}-1"'
    assert again["Content-Type"] == "application/json"
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get().response_headers == {
        "Content-Type": "application/json",
        "ETag": f'"{account.pk}-1"',
    }


def test_a_replay_carries_location_and_retry_after_when_the_first_answer_had_them(
    am, rf, monkeypatch
):
    from django.http import HttpResponse

    def view(request):
        response = HttpResponse(b"{}", status=202, content_type="application/json")
        response["Location"] = "/api/v1/things/7/"
        response["Retry-After"] = "5"
        response["X-Not-Contract"] = "dropped"
        return response

    middleware = idem.IdempotencyMiddleware(view)

    def post():
        request = rf.post("/api/v1/things/", b"{}", content_type="application/json")
        request.META["HTTP_IDEMPOTENCY_KEY"] = "k"
        request.user = am  # a session user, as AuthenticationMiddleware leaves it
        request._dont_enforce_csrf_checks = True
        return middleware(request)

    post()
    replay = post()
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (202, "true")
    assert (replay["Location"], replay["Retry-After"]) == ("/api/v1/things/7/", "5")
    assert "X-Not-Contract" not in replay


def test_a_crash_deletes_the_key_so_a_retry_runs_again(api_as, am, monkeypatch):
    client = api_as(am)
    client.raise_request_exception = False

    def crash(**kwargs):
        raise RuntimeError("worker fell over")

    original = services.account_create
    use_service(monkeypatch, AccountViewSet, create=crash)
    assert client.post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 500
    assert not IdempotencyRecord.objects.exists()
    assert not Account.objects.filter(name="Keyed Co").exists()

    use_service(monkeypatch, AccountViewSet, create=original)
    retry = client.post("/api/v1/accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert Account.objects.filter(name="Keyed Co").count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


def test_a_5xx_answer_is_not_stored(api_as, am, account, monkeypatch):
    class Unavailable(APIException):
        status_code = 503
        default_detail = "Ledger unavailable."

    def unavailable(**kwargs):
        raise Unavailable()

    original = services.revenue_record_upsert
    use_service(monkeypatch, RevenueViewSet, create=unavailable)
    client = api_as(am)
    body = {"account": account.pk, "period": "2026-08-01", "amount": "10.00", "source": "erp"}
    response = client.post("/api/v1/revenue/", body, HTTP_IDEMPOTENCY_KEY="rev-1")
    assert response.status_code == 503
    assert not IdempotencyRecord.objects.exists()
    assert not RevenueRecord.objects.exists()

    use_service(monkeypatch, RevenueViewSet, create=original)
    retry = client.post("/api/v1/revenue/", body, HTTP_IDEMPOTENCY_KEY="rev-1")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert RevenueRecord.objects.count() == 1
