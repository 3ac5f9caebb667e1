"""Inputs the schema fuzzer (test_schema_fuzz.py) found answering 500 or an undocumented
status, pinned here with their exact answers."""

import pytest

from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["2431627518768563879936", str(2**63 // 50)])
def test_a_page_past_what_a_database_can_offset_is_a_404(api_as, am, account, page):
    response = api_as(am).get("/api/v1/accounts/", {"page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page: there are not that many pages."}


def test_empty_sort_names_are_ignored(api_as, am, account):
    early = AgreementFactory(account=account, end_date="2027-01-31")
    late = AgreementFactory(account=account, end_date="2028-01-31")
    response = api_as(am).get("/api/v1/agreements/", {"sort": ",-end_date,"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [late.pk, early.pk]
    response = api_as(am).get("/api/v1/agreements/", {"sort": ",,,,,"})
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {early.pk, late.pk}


def test_a_deployment_with_far_more_active_than_licensed_seats_is_not_a_500(api_as, am, account):
    client = api_as(am)
    client.raise_request_exception = False
    body = {
        "account": account.pk,
        "product": "Power BI Pro",
        "licensed_seats": 1,
        "active_seats": 1000,
    }
    response = client.post("/api/v1/deployments/", body, format="json")
    assert response.status_code == 201
    assert response.json()["adoption"] == "1000.000000"  # adoption may exceed 1: shown as is


def test_a_bulk_record_with_an_id_too_large_for_the_database_is_a_record_error(api_as, am, account):
    records = [{"account": 2**65, "period": "2026-07-01", "amount": "1"}]
    response = api_as(am).post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    assert response.status_code == 200
    assert response.json()["results"][0]["errors"] == {"account": ["A valid integer is required."]}
