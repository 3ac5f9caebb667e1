"""Accounts, agreements, revenue, deployments and team members through the API."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord
from core.hierarchy import LOOP_MESSAGE
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    AgreementFactory,
    ProductDeploymentFactory,
    RevenueRecordFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def others_objects(other_account):
    return {
        "accounts": other_account,
        "agreements": AgreementFactory(account=other_account),
        "revenue": RevenueRecordFactory(account=other_account),
        "deployments": ProductDeploymentFactory(account=other_account),
        "account-team-members": AccountTeamMemberFactory(
            account=other_account, user=UserFactory(username="someone")
        ),
    }


PATCHES = {
    "accounts": {"name": "Hijacked"},
    "agreements": {"number": "HIJACK"},
    "revenue": {"amount": "1.00"},
    "deployments": {"product": "Hijacked"},
    "account-team-members": {"notes": "hijacked"},
}


@pytest.mark.parametrize("resource", list(PATCHES))
def test_another_ams_objects_answer_404_and_stay_unchanged(api_as, am, others_objects, resource):
    obj = others_objects[resource]
    before = type(obj).objects.filter(pk=obj.pk).values().get()
    client = api_as(am)
    url = f"/api/v1/{resource}/{obj.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, PATCHES[resource]).status_code == 404
    assert client.put(url, PATCHES[resource]).status_code == 404
    # Accounts are never deleted (no DELETE at all); the others are, but not by a stranger.
    assert client.delete(url).status_code == (405 if resource == "accounts" else 404)
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before
    listed = client.get(f"/api/v1/{resource}/").json()["results"]
    assert obj.pk not in [row["id"] for row in listed]


def test_cannot_create_rows_on_an_invisible_account(api_as, am, other_account):
    client = api_as(am)
    response = client.post(
        "/api/v1/deployments/",
        {"account": other_account.pk, "product": "Azure", "licensed_seats": 1, "active_seats": 1},
    )
    assert response.status_code == 400
    assert "account" in response.json()
    assert not ProductDeployment.objects.exists()


def test_virtual_team_membership_grants_visibility(api_as, am, other_account):
    AccountTeamMemberFactory(account=other_account, user=am, role="downstream_am")
    response = api_as(am).get("/api/v1/accounts/")
    assert [row["id"] for row in response.json()["results"]] == [other_account.pk]


def test_manager_sees_the_team_and_ops_see_all(api_as, manager, ops, account, other_account):
    manager_ids = [row["id"] for row in api_as(manager).get("/api/v1/accounts/").json()["results"]]
    assert manager_ids == [account.pk]
    ops_ids = {row["id"] for row in api_as(ops).get("/api/v1/accounts/").json()["results"]}
    assert ops_ids == {account.pk, other_account.pk}


def test_am_creates_an_account_for_themselves_only(api_as, am, other_am):
    client = api_as(am)
    body = {"name": "Lekki Ports", "segment": "mature", "ltp": "900000.00"}
    response = client.post("/api/v1/accounts/", body)
    assert response.status_code == 201
    assert response.json()["owner"] == "am"
    assert response.json()["below_ltp_threshold"] is True

    response = client.post("/api/v1/accounts/", {**body, "name": "Theirs", "owner": "otheram"})
    assert response.status_code == 400
    assert "owner" in response.json()
    assert not Account.objects.filter(name="Theirs").exists()


def test_account_external_id_is_unique(api_as, am):
    AccountFactory(owner=am, external_id="CRM-1")
    response = api_as(am).post(
        "/api/v1/accounts/",
        {"name": "Dup", "segment": "mature", "ltp": "2000000", "external_id": "CRM-1"},
    )
    assert response.status_code == 400
    assert "external_id" in response.json()


def test_parent_cannot_create_a_cycle(api_as, am):
    hq = AccountFactory(owner=am)
    child = AccountFactory(owner=am, parent=hq)
    response = api_as(am).patch(f"/api/v1/accounts/{hq.pk}/", {"parent": child.pk})
    assert response.status_code == 400
    assert "parent" in response.json()
    hq.refresh_from_db()
    assert hq.parent_id is None


def test_a_loop_left_over_from_before_the_guard_is_named_and_can_be_broken(
    api_as, am, django_assert_max_num_queries
):
    a, b, c = AccountFactory(owner=am), AccountFactory(owner=am), AccountFactory(owner=am)
    Account.objects.filter(pk=a.pk).update(parent=b)  # written before the tree guard
    Account.objects.filter(pk=b.pk).update(parent=a)
    client = api_as(am)
    with django_assert_max_num_queries(30):  # not a walk of MAX_DEPTH under the tree lock
        response = client.patch(f"/api/v1/accounts/{c.pk}/", {"parent": a.pk}, format="json")
    assert (response.status_code, response.json()) == (400, {"parent": [LOOP_MESSAGE]})
    assert client.patch(f"/api/v1/accounts/{a.pk}/", {"name": "Still editable"}).status_code == 200
    response = client.patch(f"/api/v1/accounts/{a.pk}/", {"parent": None}, format="json")
    assert response.status_code == 200
    response = client.patch(f"/api/v1/accounts/{c.pk}/", {"parent": a.pk}, format="json")
    assert response.status_code == 200
    assert dict(Account.objects.values_list("pk", "parent_id")) == {
        a.pk: None,
        b.pk: a.pk,
        c.pk: a.pk,
    }


def test_accounts_filter_by_fk_and_flags(api_as, am):
    hq = AccountFactory(owner=am, name="HQ")
    AccountFactory(owner=am, name="Child", parent=hq)
    AccountFactory(owner=am, name="Small", segment="emerging", ltp=Decimal("100000"))
    client = api_as(am)
    names = lambda url: [r["name"] for r in client.get(url).json()["results"]]  # noqa: E731
    assert names(f"/api/v1/accounts/?parent={hq.pk}") == ["Child"]
    assert names("/api/v1/accounts/?below_ltp_threshold=true") == ["Small"]
    assert names("/api/v1/accounts/?owner=am&segment=emerging") == ["Small"]
    assert names("/api/v1/accounts/?owner=nobody") == []


def test_agreement_with_successor_reads_renewed(api_as, am, account):
    old = AgreementFactory(account=account, end_date=datetime.date(2026, 12, 1))
    client = api_as(am)
    response = client.post(
        "/api/v1/agreements/",
        {
            "account": account.pk,
            "kind": "EA",
            "number": "EA-NEW",
            "start_date": "2026-12-01",
            "end_date": "2029-11-30",
            "annual_value": "500000.00",
            "renews": old.pk,
        },
    )
    assert response.status_code == 201, response.json()
    assert client.get(f"/api/v1/agreements/{old.pk}/").json()["renewal_status"] == "renewed"
    assert client.get(f"/api/v1/agreements/?renews={old.pk}").json()["results"][0]["number"] == (
        "EA-NEW"
    )


def test_agreement_cannot_renew_another_accounts_agreement(api_as, am, account):
    elsewhere = AgreementFactory(account=AccountFactory(owner=am))
    response = api_as(am).post(
        "/api/v1/agreements/",
        {
            "account": account.pk,
            "kind": "EA",
            "number": "EA-X",
            "start_date": "2026-12-01",
            "end_date": "2029-11-30",
            "annual_value": "1.00",
            "renews": elsewhere.pk,
        },
    )
    assert response.status_code == 400
    assert "renews" in response.json()
    assert not Agreement.objects.filter(number="EA-X").exists()


def test_deployment_reports_adoption(api_as, am, account):
    response = api_as(am).post(
        "/api/v1/deployments/",
        {
            "account": account.pk,
            "product": "Microsoft 365 E3",
            "licensed_seats": 800,
            "active_seats": 600,
        },
    )
    assert response.status_code == 201
    assert response.json()["adoption"] == "0.750000"


def test_team_member_needs_user_or_name(api_as, am, account):
    client = api_as(am)
    response = client.post("/api/v1/account-team-members/", {"account": account.pk, "role": "tam"})
    assert response.status_code == 400
    assert "name" in response.json()
    response = client.post(
        "/api/v1/account-team-members/", {"account": account.pk, "role": "tam", "name": "Ngozi"}
    )
    assert response.status_code == 201
    assert AccountTeamMember.objects.get().name == "Ngozi"


# --- revenue bulk -------------------------------------------------------------------


def test_revenue_bulk_saves_good_rows_and_reports_bad_ones_by_index(
    api_as, am, account, other_account
):
    account.external_id = "CRM-7"
    account.save()
    RevenueRecordFactory(account=account, period=datetime.date(2026, 7, 1), amount=Decimal("5"))
    records = [
        {"account": account.pk, "period": "2026-07-01", "amount": "5.00", "source": "manual"},
        {"account_external_id": "CRM-7", "period": "2026-08-01", "amount": "20.00"},
        {"account": account.pk, "period": "2026-09-15", "amount": "1.00"},
        {"account": other_account.pk, "period": "2026-07-01", "amount": "1.00"},
        {"account": account.pk, "period": "2026-07-01", "amount": "abc"},
        {"period": "2026-07-01", "amount": "1.00"},
        {"account": account.pk, "period": "2026-07-01", "amount": "6.00", "source": "manual"},
    ]
    response = api_as(am).post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    # Records 0 and 6 share a key: the last one wins and both report its outcome.
    assert [r["status"] for r in results] == [
        "updated",
        "created",
        "error",
        "error",
        "error",
        "error",
        "updated",
    ]
    assert results[0]["id"] == results[6]["id"]
    assert [r["index"] for r in results] == list(range(7))
    assert "period" in results[2]["errors"]
    assert "account" in results[3]["errors"]
    assert "amount" in results[4]["errors"]
    assert "account" in results[5]["errors"]
    assert RevenueRecord.objects.filter(account=account).count() == 2
    record = RevenueRecord.objects.get(period=datetime.date(2026, 7, 1))
    assert (record.amount, record.version) == (Decimal("6.00"), 2)  # the version moved once
    assert not RevenueRecord.objects.filter(account=other_account).exists()


def test_revenue_bulk_duplicate_keys_last_one_wins_and_the_version_moves_once(api_as, am, account):
    kept = RevenueRecordFactory(
        account=account, period=datetime.date(2026, 7, 1), amount=Decimal("5.00")
    )
    changed = RevenueRecordFactory(
        account=account, period=datetime.date(2026, 9, 1), amount=Decimal("10.00")
    )
    kept_stamp = RevenueRecord.objects.get(pk=kept.pk).updated_at
    jul, aug, sep = "2026-07-01", "2026-08-01", "2026-09-01"
    sent = [(aug, "1.00"), (jul, "6.00"), (sep, "11.00"), (aug, "2.00"), (jul, "7.00")]
    sent += [(sep, "12.00"), (aug, "3.00"), (jul, "5.00")]
    records = [{"account": account.pk, "period": p, "amount": a} for p, a in sent]
    response = api_as(am).post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    # Every row of a key reports the outcome of its last row, which is what is stored.
    expected = {aug: "created", jul: "unchanged", sep: "updated"}
    assert [r["status"] for r in results] == [expected[p] for p, _ in sent]
    stored = {
        str(r.period): (r.pk, r.amount, r.version)
        for r in RevenueRecord.objects.filter(account=account)
    }
    assert [r["id"] for r in results] == [stored[p][0] for p, _ in sent]
    assert {p: v[1:] for p, v in stored.items()} == {
        aug: (Decimal("3.00"), 1),  # created once, with the last amount
        jul: (Decimal("5.00"), 1),  # changed twice, then back: nothing written
        sep: (Decimal("12.00"), 2),  # changed twice: the version moved once
    }
    assert stored[sep][0] == changed.pk
    assert RevenueRecord.objects.get(pk=kept.pk).updated_at == kept_stamp


def test_revenue_bulk_all_or_none_saves_nothing_on_one_bad_row(api_as, am, account):
    records = [
        {"account": account.pk, "period": "2026-07-01", "amount": "5.00"},
        {"account": account.pk, "period": "2026-07-02", "amount": "5.00"},
    ]
    response = api_as(am).post(
        "/api/v1/revenue/bulk/", {"records": records, "all_or_none": True}, format="json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["error", "error"]
    assert "all_or_none" in results[0]["errors"]
    assert "period" in results[1]["errors"]
    assert not RevenueRecord.objects.exists()


def test_revenue_bulk_envelope_errors_are_400(api_as, am, account):
    client = api_as(am)
    assert client.post("/api/v1/revenue/bulk/", {"records": []}, format="json").status_code == 400
    too_many = [{"account": account.pk, "period": "2026-07-01", "amount": "1"}] * 1001
    response = client.post("/api/v1/revenue/bulk/", {"records": too_many}, format="json")
    assert response.status_code == 400
    assert "records" in response.json()
    response = client.post("/api/v1/revenue/bulk/", {"records": "x"}, format="json")
    assert response.status_code == 400
    assert not RevenueRecord.objects.exists()


def test_revenue_bulk_is_set_based(api_as, am, django_assert_max_num_queries):
    accounts = AccountFactory.create_batch(5, owner=am)
    records = [
        {"account": a.pk, "period": f"2026-{m:02d}-01", "amount": "100.00"}
        for a in accounts
        for m in range(1, 13)
    ]
    client = api_as(am)
    with django_assert_max_num_queries(15):
        response = client.post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert RevenueRecord.objects.count() == 60


def test_revenue_bulk_with_idempotency_key_writes_once(api_as, am, account):
    client = api_as(am)
    body = {"records": [{"account": account.pk, "period": "2026-07-01", "amount": "5.00"}]}
    first = client.post("/api/v1/revenue/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="b1")
    RevenueRecord.objects.update(amount=Decimal("7.00"))
    again = client.post("/api/v1/revenue/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="b1")
    assert again.json() == first.json()
    assert RevenueRecord.objects.get().amount == Decimal("7.00")


def test_revenue_bulk_takes_the_full_1000_records_twice(api_as, am):
    accounts = AccountFactory.create_batch(50, owner=am)
    records = [
        {"account": a.pk, "period": f"{2025 + m // 12}-{m % 12 + 1:02d}-01", "amount": "10.00"}
        for a in accounts
        for m in range(20)
    ]
    client = api_as(am)
    response = client.post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    records[0]["amount"] = "11.00"
    response = client.post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses[0] == "updated"
    assert set(statuses[1:]) == {"unchanged"}
    assert RevenueRecord.objects.count() == 1000
    first = RevenueRecord.objects.get(pk=response.json()["results"][0]["id"])
    assert (first.amount, first.version) == (Decimal("11.00"), 2)


@pytest.mark.parametrize(
    ("resource", "factory"),
    [
        ("agreements", "AgreementFactory"),
        ("revenue", "RevenueRecordFactory"),
        ("deployments", "ProductDeploymentFactory"),
        ("account-team-members", "AccountTeamMemberFactory"),
    ],
)
def test_the_owner_deletes_rows_on_their_account(api_as, am, account, resource, factory):
    import tests.factories as factories

    obj = getattr(factories, factory)(account=account)
    client = api_as(am)
    url = f"/api/v1/{resource}/{obj.pk}/"
    response = client.delete(url, HTTP_IF_MATCH=obj.etag)
    assert response.status_code == 204
    assert not type(obj).objects.filter(pk=obj.pk).exists()
    assert client.get(url).status_code == 404


def test_a_delete_refused_by_a_protecting_reference_answers_409(account):
    from django.db.models import ProtectedError

    from core.api.exceptions import exception_handler
    from tests.factories import RevenueRecordFactory

    RevenueRecordFactory(account=account)
    with pytest.raises(ProtectedError) as error:
        account.delete()  # the ledger protects its account
    response = exception_handler(error.value, {})
    assert response.status_code == 409
    assert response.data == {"detail": "Still referenced by revenue records; remove those first."}
    assert Account.objects.filter(pk=account.pk).exists()
