"""Bad input on the sync paths: each refusal names the record and the field, and nothing
is half-written; the shared parsers (core.api.records) and the sync cursor refuse clearly."""

import base64

import pytest

from core.api.records import Choice, Integer, Invalid, ListOf, Text
from opportunities.models import Opportunity
from tests.factories import AgreementFactory, OpportunityFactory, PartnerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/opportunities/"
BULK = URL + "bulk/"


def put_url(source: str, external_id: str) -> str:
    return f"{URL}by-external-id/{source}/{external_id}/"


@pytest.fixture
def good(account):
    return {
        "source": "crm",
        "account": account.pk,
        "name": "Deal",
        "stage": "prospect",
        "close_date": "2027-01-31",
    }


def bulk(client, records, **extra):
    response = client.post(BULK, {"records": records, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_each_bad_field_is_named_on_its_record(api_as, am, good):
    cases = [
        ({"owner": "nobody"}, "owner"),
        ({"kind": "upsell"}, "kind"),
        ({"probability": 101}, "probability"),
        ({"probability": "x"}, "probability"),
        ({"forecast_category": "maybe"}, "forecast_category"),
        ({"partners": "1"}, "partners"),
        ({"partners": ["a"]}, "partners"),
        ({"partner_external_ids": ["NOPE"]}, "partner_external_ids"),
        ({"agreement": 999999}, "agreement"),
        ({"licensing_vehicle": "LEASE"}, "licensing_vehicle"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"close_date": 20270131}, "close_date"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "1e15"}, "amount"),
        ({"external_id": "x" * 101}, "external_id"),
        ({"account": True}, "account"),
    ]
    records = [{**good, "external_id": f"B{i}", **change} for i, (change, _) in enumerate(cases)]
    results = bulk(api_as(am), records)
    assert [sorted(r["errors"]) for r in results] == [[field] for _, field in cases]
    assert not Opportunity.objects.exists()


def test_a_stale_version_in_a_record_is_its_error(api_as, am, opp):
    record = {"source": opp.source, "external_id": opp.external_id, "name": "x", "version": 3}
    (result,) = bulk(api_as(am), [record])
    assert result["status"] == "error" and list(result["errors"]) == ["version"]
    opp.refresh_from_db()
    assert opp.name == "Core banking renewal"


def test_owner_given_by_username_and_partners_by_both_keys(api_as, manager, am, account, good):
    p1, p2 = PartnerFactory(), PartnerFactory(external_id="SI-2")
    agreement = AgreementFactory(account=account)
    record = {
        **good,
        "external_id": "M1",
        "owner": "am",
        "partners": [p1.pk],
        "partner_external_ids": ["SI-2"],
        "kind": "renewal",
        "agreement": agreement.pk,
        "probability": None,
        "forecast_category": "commit",
    }
    (result,) = bulk(api_as(manager), [record])
    assert result["status"] == "created", result
    stored = Opportunity.objects.get()
    assert stored.owner == am and set(stored.partners.all()) == {p1, p2}
    assert (stored.agreement, stored.forecast_category) == (agreement, "commit")


def test_put_bodies_that_are_not_objects_are_400(api_as, am):
    client = api_as(am)
    response = client.put(put_url("crm", "L"), [1, 2], format="json")
    assert response.status_code == 400
    assert not Opportunity.objects.exists()


def test_the_manager_of_a_vt_am_cannot_reach_their_deal_on_another_teams_account(
    api_as, vt_am, account
):
    """The vt_am's own manager does not see the account: their AM's deal there is hidden."""
    deal = OpportunityFactory(account=account, owner=vt_am, source="crm", external_id="VT")
    response = api_as(vt_am.team.manager).put(put_url("crm", "VT"), {"name": "x"})
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.name != "x"


@pytest.mark.parametrize(
    "cursor",
    [
        "@@@",
        base64.urlsafe_b64encode(b"only|two").decode(),
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|x|2026-01-01T00:00:00+00:00").decode(),
        base64.urlsafe_b64encode(b"yesterday|1|2026-01-01T00:00:00+00:00").decode(),
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00|1|2026-01-01T00:00:00+00:00").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_cursor_that_was_not_given_is_404(api_as, am, cursor):
    response = api_as(am).get(
        "/api/v1/accounts/", {"updated_since": "2000-01-01T00:00:00Z", "cursor": cursor}
    )
    assert response.status_code == 404
    assert "cursor" in response.json()["detail"]


def test_the_record_parsers_word_their_refusals():
    with pytest.raises(Invalid, match="less than or equal to 5"):
        Integer(maximum=5).parse(6)
    with pytest.raises(Invalid, match="not a valid choice"):
        Choice(choices=("a",)).parse("b")
    assert Choice(choices=("a",), allow_blank=True).parse("") == ""
    with pytest.raises(Invalid, match="Expected a list"):
        ListOf(item=Text()).parse("x")
    with pytest.raises(Invalid, match="no more than 2 elements"):
        ListOf(item=Text(), max_items=2).parse(["a", "b", "c"])
    with pytest.raises(Invalid, match="Item 1"):
        ListOf(item=Integer()).parse([1, "x"])
    assert ListOf(item=Integer()).parse([1, "2"]) == [1, 2]
