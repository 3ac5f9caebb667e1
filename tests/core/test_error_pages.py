"""Error pages live in the product's layout and say plainly what happened (DEBUG is off in
the tests, as in production)."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from accounts.access import ACCOUNT_RULE
from accounts.models import Account
from tests.factories import AccountTeamMemberFactory

pytestmark = pytest.mark.django_db


def test_an_account_outside_your_view_is_a_404_page_with_a_way_back(client, am, other_account):
    client.force_login(am)
    response = client.get(reverse("accounts:detail", args=[other_account.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "doesn't exist or isn't shared with you" in html
    assert 'href="/"' in html and "kp-sidebar" in html  # the layout, with navigation


def test_a_forged_post_gets_the_403_page_naming_the_rule(client, am, other_am):
    account = Account.objects.create(name="Theirs", ltp=1, owner=other_am, segment="mature")
    AccountTeamMemberFactory(account=account, user=am)  # am sees it, but may not change it
    client.force_login(am)
    response = client.post(
        reverse("accounts:agreement_create", args=[account.pk]),
        {"kind": "EA", "number": "X-1", "start_date": "2026-07-01", "end_date": "2027-06-30"},
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "You can't make this change" in html
    assert "Only the account&#x27;s owner, their manager or sales operations" in html
    assert ACCOUNT_RULE.startswith("Only the account's owner")
    assert not account.agreements.exists()


def test_the_500_page_needs_no_context_and_no_database():
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert 'href="/"' in html


# --- with DEBUG off, through the handlers of config/urls.py ----------------------------------


@pytest.fixture
def no_debug(settings):
    settings.DEBUG = False
    return settings


def test_an_unknown_address_is_the_branded_404_with_navigation(client, am, no_debug):
    client.force_login(am)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page doesn&#x27;t exist or isn&#x27;t shared with you" in html or (
        "doesn't exist or isn't shared with you" in html
    )
    assert "kp-sidebar" in html and 'href="/accounts/"' in html  # navigation and a way back
    assert "<h1>Not Found</h1>" not in html  # not Django's bare page


def test_the_404_for_someone_signed_out_still_offers_a_way_back(client, no_debug):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Error 404" in html and 'href="/"' in html


def test_an_account_you_cannot_see_explains_why(client, am, other_account, no_debug):
    client.force_login(am)
    html = client.get(reverse("accounts:detail", args=[other_account.pk])).content.decode()
    assert "ask them to add you to the account" in html
    assert other_account.name not in html  # nothing about the account itself


def test_a_bad_request_is_the_branded_400(client, am, no_debug):
    client.force_login(am)
    response = client.get("/accounts/", HTTP_HOST="evil.example")  # not an allowed host
    assert response.status_code == 400
    html = response.content.decode()
    assert "Error 400" in html and "This request could not be understood" in html
    assert 'href="/"' in html


def test_the_api_keeps_json_errors(client, am, no_debug):
    client.force_login(am)
    response = client.get("/api/v1/no-such-resource/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def boom(request):
    raise RuntimeError("boom")


def failing_context_processor(request):
    raise RuntimeError("a context processor that fails")


urlpatterns = [path("boom/", boom)]
handler500 = "core.api.handlers.server_error"


@pytest.mark.urls(__name__)
def test_a_500_needs_neither_the_database_nor_the_context_processors(client, am, no_debug):
    no_debug.TEMPLATES = [
        {
            **no_debug.TEMPLATES[0],
            "OPTIONS": {
                **no_debug.TEMPLATES[0]["OPTIONS"],
                "context_processors": [f"{__name__}.failing_context_processor"],
            },
        }
    ]
    client.force_login(am)
    client.raise_request_exception = False
    with CaptureQueriesContext(connection) as queries, block_database():
        response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="/accounts/"' in html and "kp-error-nav" in html  # navigation, a way back
    assert len(queries.captured_queries) <= 2  # the session and user of the request only


class block_database:
    """Refuse every query from here on: the 500 page must render without the database."""

    def __enter__(self):
        self.blocker = connection.execute_wrapper(self.refuse)
        self.blocker.__enter__()
        self.started = False
        return self

    def refuse(self, execute, sql, params, many, context):
        if "django_session" in sql or "teams_user" in sql:  # the request's own sign-in
            return execute(sql, params, many, context)
        raise AssertionError(f"the error page queried the database: {sql}")

    def __exit__(self, *exc):
        return self.blocker.__exit__(*exc)
