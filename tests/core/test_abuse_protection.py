"""Abuse protections: sign-in lockout (django-axes) and API throttling."""

import datetime

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.fixture
def lockout(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    return settings


def _sign_in(client, url, username, password):
    return client.post(url, {"username": username, "password": password})


def _signed_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize(("url", "who"), [("/login/", "am"), ("/admin/login/?next=/admin/", "ops")])
def test_after_the_failure_limit_the_right_password_is_refused(client, lockout, am, ops, url, who):
    user = {"am": am, "ops": ops}[who]
    for _ in range(4):
        response = _sign_in(client, url, user.username, "wrong")
        assert response.status_code == 200  # the form again, with its error
    # The fifth wrong password locks the user name out ...
    assert _sign_in(client, url, user.username, "wrong").status_code == 429
    # ... and then the right one is refused too.
    response = _sign_in(client, url, user.username, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert _signed_in_as(client) is None
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "paused for 15 minutes" in page
    retry_at = timezone.localtime() + datetime.timedelta(minutes=15)
    assert retry_at.strftime("%H:%M") in page or (
        (retry_at - datetime.timedelta(minutes=1)).strftime("%H:%M") in page
    )
    assert 'href="/login/"' in page  # in the product's layout, with a way back


def test_the_lockout_is_per_user_name(client, lockout, am, manager):
    for _ in range(5):
        _sign_in(client, "/login/", "am", "wrong")
    assert _sign_in(client, "/login/", "am", PASSWORD).status_code == 429
    response = _sign_in(client, "/login/", "manager", PASSWORD)
    assert response.status_code == 302
    assert _signed_in_as(client) == str(manager.pk)


def test_a_success_before_the_limit_starts_the_count_again(client, lockout, am):
    for _ in range(4):
        _sign_in(client, "/login/", "am", "wrong")
    assert _sign_in(client, "/login/", "am", PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        _sign_in(client, "/login/", "am", "wrong")
    response = _sign_in(client, "/login/", "am", PASSWORD)
    assert response.status_code == 302
    assert _signed_in_as(client) == str(am.pk)


def test_the_lockout_ends_after_the_cool_off(client, lockout, am):
    from axes.models import AccessAttempt

    for _ in range(5):
        _sign_in(client, "/login/", "am", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _sign_in(client, "/login/", "am", PASSWORD).status_code == 302


@pytest.fixture
def user_rate(monkeypatch):
    """Throttle rates are read once, when DRF loads; set one for a test in the live table."""
    from rest_framework.throttling import SimpleRateThrottle

    def set_rate(scope, rate):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


def test_the_api_throttles_each_user_with_429_and_retry_after(api_as, am, other_am, user_rate):
    from accounts.models import Account

    user_rate("user", "3/min")
    client = api_as(am)
    for _ in range(3):
        assert client.get("/api/v1/accounts/").status_code == 200
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()

    body = {"name": "Throttled Co", "segment": "mature", "ltp": "1.00"}
    refused = client.post("/api/v1/accounts/", body, HTTP_IDEMPOTENCY_KEY="k")
    assert refused.status_code == 429
    assert not Account.objects.filter(name="Throttled Co").exists()
    # A 429 says nothing final, so its Idempotency-Key is not kept.
    from core.models import IdempotencyRecord

    assert not IdempotencyRecord.objects.exists()

    # Another user has a count of their own.
    assert api_as(other_am).get("/api/v1/accounts/").status_code == 200
