"""Users, teams and quotas through the API: who reads and who writes."""

from decimal import Decimal

import pytest

from teams.models import Quota, User
from tests.factories import QuotaFactory, UserFactory

pytestmark = pytest.mark.django_db


def usernames(response):
    return sorted(row["username"] for row in response.json()["results"])


def test_users_read_themselves_and_their_team(api_as, am, other_am, manager, ops):
    UserFactory(username="teammate", team=am.team)
    assert usernames(api_as(am).get("/api/v1/users/")) == ["am", "manager", "teammate"]
    assert usernames(api_as(manager).get("/api/v1/users/")) == ["am", "manager", "teammate"]
    assert "otheram" in usernames(api_as(ops).get("/api/v1/users/"))
    assert api_as(am).get(f"/api/v1/users/{other_am.pk}/").status_code == 404


def test_only_ops_create_and_edit_users(api_as, am, ops, team):
    body = {"username": "newam", "role": "am", "team": team.pk, "password": "a-long-passphrase-9"}
    response = api_as(am).post("/api/v1/users/", body)
    assert response.status_code == 403
    assert not User.objects.filter(username="newam").exists()

    response = api_as(ops).post("/api/v1/users/", body)
    assert response.status_code == 201
    assert response.json()["role"] == "am"
    assert "password" not in response.json()
    assert User.objects.get(username="newam").check_password("a-long-passphrase-9")

    response = api_as(am).patch(f"/api/v1/users/{am.pk}/", {"role": "ops"})
    assert response.status_code == 403
    am.refresh_from_db()
    assert am.role == "am"


def test_weak_password_is_a_field_error(api_as, ops):
    response = api_as(ops).post(
        "/api/v1/users/", {"username": "x1", "role": "am", "password": "password"}
    )
    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.filter(username="x1").exists()


def test_superuser_counts_as_ops(api_as):
    root = User.objects.create_superuser("root", "root@example.com", "pw-root-123456", role="am")
    assert root.is_ops
    assert (
        api_as(root).post("/api/v1/teams/", {"name": "T", "territory": "Lagos"}).status_code == 201
    )


def test_teams_visibility_and_writes(api_as, am, other_am, ops, team):
    client = api_as(am)
    assert [t["id"] for t in client.get("/api/v1/teams/").json()["results"]] == [team.pk]
    assert client.get(f"/api/v1/teams/{other_am.team_id}/").status_code == 404
    assert client.post("/api/v1/teams/", {"name": "X", "territory": "Y"}).status_code == 403
    response = api_as(ops).patch(f"/api/v1/teams/{team.pk}/", {"territory": "Lagos Island"})
    assert response.status_code == 200
    assert response.json()["manager"] == "manager"


def test_team_manager_must_have_the_manager_role(api_as, ops, am):
    response = api_as(ops).post("/api/v1/teams/", {"name": "Z", "territory": "Y", "manager": "am"})
    assert response.status_code == 400
    assert "manager" in response.json()


def test_quotas_visibility_and_who_sets_them(api_as, am, other_am, manager, ops):
    own = QuotaFactory(user=am, fiscal_year=2027)
    theirs = QuotaFactory(user=other_am, fiscal_year=2027)
    assert [q["id"] for q in api_as(am).get("/api/v1/quotas/").json()["results"]] == [own.pk]
    assert api_as(am).get(f"/api/v1/quotas/{theirs.pk}/").status_code == 404

    response = api_as(am).patch(f"/api/v1/quotas/{own.pk}/", {"amount": "9.00"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.amount == Decimal("2000000.00")

    response = api_as(manager).patch(f"/api/v1/quotas/{own.pk}/", {"amount": "2500000.00"})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert api_as(manager).patch(f"/api/v1/quotas/{theirs.pk}/", {"amount": "1"}).status_code == 404

    response = api_as(ops).post(
        "/api/v1/quotas/",
        {
            "user": "otheram",
            "fiscal_year": 2028,
            "amount": "400.00",
            "q1": "100",
            "q2": "100",
            "q3": "100",
            "q4": "100",
        },
    )
    assert response.status_code == 201
    assert response.json()["user"] == "otheram"


def test_quota_split_must_add_up(api_as, ops, am):
    response = api_as(ops).post(
        "/api/v1/quotas/",
        {
            "user": "am",
            "fiscal_year": 2028,
            "amount": "400.00",
            "q1": "100",
            "q2": "100",
            "q3": "100",
            "q4": "50",
        },
    )
    assert response.status_code == 400
    assert "amount" in response.json()
    response = api_as(ops).post(
        "/api/v1/quotas/", {"user": "am", "fiscal_year": 2028, "amount": "4", "q1": "4"}
    )
    assert response.status_code == 400
    assert "q1" in response.json()
    assert not Quota.objects.exists()


def test_one_quota_per_am_and_year(api_as, ops, am):
    QuotaFactory(user=am, fiscal_year=2027)
    response = api_as(ops).post(
        "/api/v1/quotas/", {"user": "am", "fiscal_year": 2027, "amount": "1"}
    )
    assert response.status_code == 400
    assert Quota.objects.count() == 1


def test_quota_for_a_manager_is_refused(api_as, ops, manager):
    response = api_as(ops).post(
        "/api/v1/quotas/", {"user": "manager", "fiscal_year": 2027, "amount": "1"}
    )
    assert response.status_code == 400
    assert "user" in response.json()


def test_inactive_users_see_nothing(api_as, am, account):
    am.is_active = False
    am.save()
    assert api_as(am).get("/api/v1/accounts/").status_code == 401


def test_users_carry_their_account_load_and_capacity_flag(api_as, settings, manager, am):
    from tests.factories import AccountFactory

    settings.AM_ACCOUNT_CAPACITY = 2
    AccountFactory.create_batch(3, owner=am)
    AccountFactory(owner=am, is_active=False)
    rows = {r["username"]: r for r in api_as(manager).get("/api/v1/users/").json()["results"]}
    assert (rows["am"]["active_account_count"], rows["am"]["over_capacity"]) == (3, True)
    assert (rows["manager"]["active_account_count"], rows["manager"]["over_capacity"]) == (0, False)
    one = api_as(manager).get(f"/api/v1/users/{am.pk}/").json()
    assert (one["active_account_count"], one["over_capacity"]) == (3, True)


def test_users_list_does_not_query_per_row(api_as, ops, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AccountFactory

    client = api_as(ops)
    UserFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/users/")
    for user in UserFactory.create_batch(15):
        AccountFactory(owner=user)
    with django_assert_num_queries(len(few)):
        client.get("/api/v1/users/")
