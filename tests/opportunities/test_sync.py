"""Sync (api.md): PUT by external id, /bulk/, Idempotency-Key, throttling, and updated_since
paging that neither skips nor repeats rows while they change."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import IdempotencyRecord
from opportunities.models import Opportunity, StageChange
from opportunities.services import BUSINESS_VALUE_RULE, LOSS_REASON_RULE
from tests.factories import AccountFactory, AgreementFactory, OpportunityFactory, PartnerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/opportunities/"
BULK = URL + "bulk/"


def put_url(source: str, external_id: str) -> str:
    return f"{URL}by-external-id/{source}/{external_id}/"


@pytest.fixture
def record(account):
    return {
        "account": account.pk,
        "name": "Azure landing zone",
        "stage": "develop",
        "amount": "480000.00",
        "currency": "USD",
        "close_date": "2027-04-30",
    }


def snapshot(pk):
    return Opportunity.objects.filter(pk=pk).values().get()


# --- PUT by external id -------------------------------------------------------------------


def test_put_creates_then_updates_then_an_identical_resend_changes_nothing(api_as, am, record):
    client = api_as(am)
    created = client.put(put_url("salesforce", "006A1"), record)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["source"], body["external_id"], body["version"]) == ("salesforce", "006A1", 1)
    assert (body["owner"], body["stage"], body["amount"]) == ("am", "develop", "480000.00")
    assert created["ETag"] == f'"{body["id"]}-1"'
    before = snapshot(body["id"])

    same = client.put(put_url("salesforce", "006A1"), record)
    assert same.status_code == 200
    assert same.json()["version"] == 1
    assert snapshot(body["id"]) == before  # not even updated_at

    changed = client.put(put_url("salesforce", "006A1"), {"amount": "500000.00"})
    assert changed.status_code == 200
    assert (changed.json()["version"], changed.json()["amount"]) == (2, "500000.00")
    # Left out: kept as stored.
    assert (changed.json()["name"], changed.json()["stage"]) == ("Azure landing zone", "develop")
    assert list(
        StageChange.objects.filter(opportunity_id=body["id"]).values_list(
            "field", "from_value", "to_value"
        )
    ) == [("stage", "", "develop"), ("amount", "480000.00", "500000.00")]


def test_put_enforces_the_stage_rules_and_version(api_as, am, record):
    client = api_as(am)
    refused = client.put(put_url("crm", "1"), {**record, "stage": "propose"})
    assert refused.status_code == 400
    assert refused.json() == {"business_value": [BUSINESS_VALUE_RULE]}
    assert not Opportunity.objects.exists()
    client.put(put_url("crm", "1"), record)
    stale = client.put(put_url("crm", "1"), {"amount": "1.00", "version": 5})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
    lost = client.put(put_url("crm", "1"), {"stage": "closed_lost"})
    assert lost.json() == {"loss_reason": [LOSS_REASON_RULE]}


def test_put_on_a_hidden_opportunity_is_404_and_writes_nothing(api_as, am, other_account):
    hidden = OpportunityFactory(account=other_account, source="crm", external_id="X9")
    before = snapshot(hidden.pk)
    response = api_as(am).put(put_url("crm", "X9"), {"name": "Mine now"})
    assert response.status_code == 404
    assert snapshot(hidden.pk) == before


def test_put_requires_the_create_fields_for_a_new_row(api_as, am):
    response = api_as(am).put(put_url("crm", "new"), {"name": "Half"})
    assert response.status_code == 400
    assert set(response.json()) == {"account", "stage", "close_date"}


def test_put_brings_a_soft_deleted_row_back(api_as, am, opp):
    client = api_as(am)
    client.delete(f"{URL}{opp.pk}/")
    response = client.put(put_url(opp.source, opp.external_id), {"name": "Back"})
    assert response.status_code == 200
    opp.refresh_from_db()
    assert (opp.is_deleted, opp.deleted_at, opp.name, opp.version) == (False, None, "Back", 3)


# --- bulk ---------------------------------------------------------------------------------


def test_bulk_mixed_good_and_bad_records_in_request_order(api_as, am, account, other_account):
    AccountFactory(owner=am, external_id="ERP-7")
    partner = PartnerFactory(external_id="SI-1")
    existing = OpportunityFactory(account=account, source="crm", external_id="E1")
    good = {"source": "crm", "stage": "qualify", "close_date": "2027-01-31", "name": "N"}
    records = [
        {**good, "external_id": "A", "account": account.pk, "partners": [partner.pk]},
        {**good, "external_id": "B", "account_external_id": "ERP-7"},
        {**good, "external_id": "C", "account": account.pk, "stage": "nope"},
        {**good, "external_id": "D", "account": other_account.pk},
        {**good, "external_id": "E", "account": account.pk, "amount": "-1"},
        {**good, "external_id": "F", "account": account.pk, "amount": "many"},
        {**good, "external_id": "G", "account": account.pk, "close_date": "2027-02-30"},
        {**good, "external_id": "H", "account": account.pk, "currency": "EURO"},
        {**good, "external_id": "I", "account": account.pk, "partners": [999999]},
        {**good, "external_id": "J", "account": account.pk, "partner_external_ids": ["SI-1"]},
        {"source": "crm", "external_id": "E1", "amount": "99.00"},
        {**good, "external_id": "K", "account_external_id": "NOPE"},
    ]
    response = api_as(am).post(BULK, {"records": records}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(records)))
    assert [r["status"] for r in results] == [
        "created",
        "created",
        "error",
        "error",
        "error",
        "error",
        "error",
        "error",
        "error",
        "created",
        "updated",
        "error",
    ]
    errors = [sorted(r["errors"]) if r["errors"] else None for r in results]
    assert errors[2:9] == [
        ["stage"],
        ["account"],
        ["amount"],
        ["amount"],
        ["close_date"],
        ["currency"],
        ["partners"],
    ]
    assert errors[11] == ["account_external_id"]
    assert [r["external_id"] for r in results[:3]] == ["A", "B", "C"]
    assert results[10]["id"] == existing.pk
    stored = {o.external_id: o for o in Opportunity.objects.all()}
    assert set(stored) == {"A", "B", "J", "E1"}
    assert [p.external_id for p in stored["A"].partners.all()] == ["SI-1"]
    assert [p.external_id for p in stored["J"].partners.all()] == ["SI-1"]
    assert stored["E1"].amount == Decimal("99.00") and stored["E1"].version == 2


def test_bulk_identical_resend_is_unchanged_and_writes_nothing(api_as, am, account):
    records = [
        {
            "source": "crm",
            "external_id": f"R{i}",
            "account": account.pk,
            "name": f"Deal {i}",
            "stage": "negotiate",
            "business_value": "ROI 3x",
            "amount": f"{1000 + i}.00",
            "close_date": "2027-05-31",
            "partners": [],
        }
        for i in range(5)
    ]
    client = api_as(am)
    first = client.post(BULK, {"records": records}, format="json").json()["results"]
    assert {r["status"] for r in first} == {"created"}
    before = list(Opportunity.objects.order_by("pk").values())
    history = StageChange.objects.count()
    again = client.post(BULK, {"records": records}, format="json").json()["results"]
    assert [r["status"] for r in again] == ["unchanged"] * 5
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert list(Opportunity.objects.order_by("pk").values()) == before
    assert StageChange.objects.count() == history == 5


def test_bulk_partner_only_change_is_an_update(api_as, am, opp):
    partner = PartnerFactory()
    body = {
        "records": [
            {"source": opp.source, "external_id": opp.external_id, "partners": [partner.pk]}
        ]
    }
    (result,) = api_as(am).post(BULK, body, format="json").json()["results"]
    assert result["status"] == "updated"
    opp.refresh_from_db()
    assert opp.version == 2 and list(opp.partners.all()) == [partner]
    (again,) = api_as(am).post(BULK, body, format="json").json()["results"]
    assert again["status"] == "unchanged"


def test_bulk_records_stage_amount_and_close_date_changes(api_as, am, opp):
    record = {
        "source": opp.source,
        "external_id": opp.external_id,
        "stage": "closed_lost",
        "loss_reason": "Budget cut",
        "amount": "1.00",
        "close_date": "2027-09-30",
    }
    (result,) = api_as(am).post(BULK, {"records": [record]}, format="json").json()["results"]
    assert result["status"] == "updated"
    changes = list(
        StageChange.objects.filter(opportunity=opp).values_list(
            "field", "from_value", "to_value", "changed_by__username"
        )
    )
    assert changes == [
        ("stage", "qualify", "closed_lost", "am"),
        ("amount", "250000.00", "1.00", "am"),
        ("close_date", "2027-03-31", "2027-09-30", "am"),
    ]


def test_bulk_all_or_none_saves_nothing_on_one_bad_record(api_as, am, account, record):
    records = [
        {**record, "source": "crm", "external_id": "1"},
        {**record, "source": "crm", "external_id": "2", "stage": "propose"},
    ]
    response = api_as(am).post(BULK, {"records": records, "all_or_none": True}, format="json")
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["error", "error"]
    assert "all_or_none" in results[0]["errors"]
    assert results[1]["errors"] == {"business_value": [BUSINESS_VALUE_RULE]}
    assert not Opportunity.objects.exists()


def test_bulk_duplicate_keys_last_one_wins(api_as, am, record):
    records = [
        {**record, "source": "crm", "external_id": "D", "amount": "1.00"},
        {**record, "source": "crm", "external_id": "D", "amount": "2.00"},
    ]
    results = api_as(am).post(BULK, {"records": records}, format="json").json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    stored = Opportunity.objects.get()
    assert (stored.amount, stored.version) == (Decimal("2.00"), 1)
    assert StageChange.objects.filter(opportunity=stored).count() == 1


def test_bulk_write_permission_per_record(api_as, vt_am, account, opp):
    mine = {
        "source": "crm",
        "external_id": "VT1",
        "account": account.pk,
        "name": "VT deal",
        "stage": "prospect",
        "close_date": "2027-01-31",
    }
    theirs = {"source": opp.source, "external_id": opp.external_id, "amount": "1.00"}
    before = snapshot(opp.pk)
    results = api_as(vt_am).post(BULK, {"records": [mine, theirs]}, format="json").json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert Opportunity.objects.get(external_id="VT1").owner == vt_am
    assert snapshot(opp.pk) == before


def test_bulk_envelope_errors_are_400_and_write_nothing(api_as, am, record):
    client = api_as(am)
    too_many = [{**record, "source": "crm", "external_id": str(i)} for i in range(1001)]
    response = client.post(BULK, {"records": too_many}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["records"]
    malformed = client.post(BULK, data='{"records": [', content_type="application/json")
    assert malformed.status_code == 400 and "detail" in malformed.json()
    assert client.post(BULK, {"records": []}, format="json").status_code == 400
    not_objects = client.post(BULK, {"records": [record, "x"]}, format="json")
    assert not_objects.status_code == 400 and list(not_objects.json()) == ["records"]
    assert not Opportunity.objects.exists()


def test_bulk_renewal_agreement_must_be_on_the_account(api_as, am, account, other_account, record):
    foreign = AgreementFactory(account=AccountFactory(owner=am))
    own = AgreementFactory(account=account)
    records = [
        {**record, "source": "crm", "external_id": "1", "kind": "renewal", "agreement": own.pk},
        {**record, "source": "crm", "external_id": "2", "kind": "renewal", "agreement": foreign.pk},
    ]
    results = api_as(am).post(BULK, {"records": records}, format="json").json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert list(results[1]["errors"]) == ["agreement"]


def test_bulk_idempotency_key_replays_the_first_answer(api_as, am, record):
    client = api_as(am)
    body = {"records": [{**record, "source": "crm", "external_id": "K1"}]}
    first = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="sync-1")
    Opportunity.objects.update(name="Changed meanwhile")
    replay = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="sync-1")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert json.loads(replay.content) == first.json()
    assert Opportunity.objects.get().name == "Changed meanwhile"  # not written again
    other = client.post(BULK, {"records": []}, format="json", HTTP_IDEMPOTENCY_KEY="sync-1")
    assert other.status_code == 422
    assert IdempotencyRecord.objects.count() == 1


def test_sync_endpoints_are_throttled_per_client_with_retry_after(
    api_as, am, other_am, record, monkeypatch
):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "sync", "2/min")
    client = api_as(am)
    body = {"records": [{**record, "source": "crm", "external_id": "T"}]}
    assert client.post(BULK, body, format="json").status_code == 200
    assert client.put(put_url("crm", "T"), {"name": "x"}).status_code == 200
    refused = client.post(BULK, body, format="json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert client.put(put_url("crm", "T"), {"name": "y"}).status_code == 429
    assert Opportunity.objects.get().name == "x"
    # Plain reads are not in the sync scope, and another client has its own count.
    assert client.get(URL).status_code == 200
    assert (
        api_as(other_am).post(BULK, {"records": [{"source": "a"}]}, format="json").status_code
        == 200
    )


def test_bulk_query_count_does_not_grow_with_the_batch(
    api_as, am, account, django_assert_max_num_queries
):
    partners = PartnerFactory.create_batch(3)

    def batch(n, prefix):
        return {
            "records": [
                {
                    "source": "crm",
                    "external_id": f"{prefix}{i}",
                    "account": account.pk,
                    "name": f"Deal {i}",
                    "stage": "qualify",
                    "close_date": "2027-01-31",
                    "partners": [p.pk for p in partners],
                }
                for i in range(n)
            ]
        }

    client = api_as(am)
    with django_assert_max_num_queries(30) as small:
        client.post(BULK, batch(3, "a"), format="json")
    with django_assert_max_num_queries(len(small.captured_queries)):
        results = client.post(BULK, batch(60, "b"), format="json").json()["results"]
    assert {r["status"] for r in results} == {"created"}


# --- updated_since paging -------------------------------------------------------------------


def walk(client, params):
    """Follow `next` from the first page; the ids in order, and the last sync_until."""
    url, seen, sync_until = URL, [], None
    while url:
        response = client.get(url, params)
        assert response.status_code == 200
        body = response.json()
        seen.extend(row["id"] for row in body["results"])
        sync_until = body["sync_until"]
        url, params = body["next"], None
    return seen, sync_until


def test_paging_survives_edits_of_rows_sharing_one_updated_at(api_as, am, account):
    """A bulk upsert stamps its whole batch alike: an offset cursor skips a row when one it
    already listed moves on; the keyset cursor on (updated_at, id) does not."""
    opps = OpportunityFactory.create_batch(9, account=account)
    stamp = timezone.now() - datetime.timedelta(hours=1)
    Opportunity.objects.update(updated_at=stamp)
    client = api_as(am)
    params = {"updated_since": (stamp - datetime.timedelta(seconds=1)).isoformat(), "page_size": 3}
    first = client.get(URL, params).json()
    listed = [row["id"] for row in first["results"]]
    # Edit two listed rows and one not yet listed while the walk goes on.
    moved = [listed[0], listed[1], opps[-1].pk]
    for pk in moved:
        Opportunity.objects.filter(pk=pk).update(updated_at=timezone.now(), name="edited")
    url, rest = first["next"], []
    while url:
        body = client.get(url).json()
        rest.extend(row["id"] for row in body["results"])
        url = body["next"]
    seen = listed + rest
    assert sorted(set(seen)) == sorted(o.pk for o in opps)  # nothing skipped
    # Only the rows edited after they were listed come again, at their new place.
    assert sorted(pk for pk in set(seen) if seen.count(pk) > 1) == sorted(moved[:2])


def test_a_bad_cursor_is_404(api_as, am):
    response = api_as(am).get(URL, {"updated_since": "2000-01-01T00:00:00Z", "cursor": "@@@"})
    assert response.status_code == 404


def test_sync_until_stops_at_the_last_listed_row_while_pages_remain(api_as, am, account):
    OpportunityFactory.create_batch(3, account=account)
    client = api_as(am)
    body = client.get(URL, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 2}).json()
    second_listed = Opportunity.objects.order_by("updated_at", "id")[1]
    assert datetime.datetime.fromisoformat(body["sync_until"]) <= second_listed.updated_at
    seen, sync_until = walk(client, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 2})
    assert len(seen) == 3
    assert datetime.datetime.fromisoformat(sync_until) <= timezone.now()


def test_put_honours_if_match(api_as, am, record):
    client = api_as(am)
    absent = client.put(put_url("crm", "M1"), record, HTTP_IF_MATCH="*")
    assert absent.status_code == 412
    assert not Opportunity.objects.exists()
    created = client.put(put_url("crm", "M1"), record)
    etag = created["ETag"]
    stale = client.put(put_url("crm", "M1"), {"amount": "5.00"}, HTTP_IF_MATCH='"1-99"')
    assert stale.status_code == 412
    assert (
        client.put(put_url("crm", "M1"), {"amount": "5.00"}, HTTP_IF_MATCH=etag).status_code == 200
    )
    assert Opportunity.objects.get().amount == Decimal("5.00")
