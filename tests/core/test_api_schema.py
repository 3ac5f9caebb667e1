"""The OpenAPI schema documents every answer an operation can give (core.api.schema), and the
server's error bodies have the documented shapes."""

import json

import jsonschema
import pytest
from django.test import RequestFactory
from rest_framework.exceptions import ValidationError

from core.api.bulk import bulk_response_serializer
from core.api.exceptions import exception_handler
from core.api.schema import document_error_responses, served_schema

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def _as_json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's `"type": [..., "null"]`."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    return node


def _validator(schema, name):
    """A validator for one component, resolving $refs within the schema."""
    document = {**schema["components"]["schemas"][name], "components": schema["components"]}
    return jsonschema.Draft7Validator(_as_json_schema(document))


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS and path.startswith("/api/v1/"):
                yield path, method, operation


def test_every_operation_documents_the_errors_it_can_answer(schema):
    operations = list(_operations(schema))
    assert len(operations) >= 40
    for path, method, operation in operations:
        codes = set(operation["responses"])
        detail = "{" in path
        has_input = "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        )
        expected = {"401", "403", "429"}
        expected |= {"400"} if has_input else set()
        expected |= {"404"} if detail or method == "get" else set()
        expected |= {"409", "412"} if method in {"put", "patch", "delete"} else set()
        expected |= {"409", "422"} if method == "post" else set()
        expected |= {"304"} if method == "get" and detail else set()
        assert expected <= codes, (method, path, expected - codes)
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if method in {"put", "patch", "delete"}:
            assert "If-Match" in headers
        if method == "post":
            assert "Idempotency-Key" in headers
        if method == "get" and detail:
            assert "If-None-Match" in headers
            assert "ETag" in operation["responses"]["200"]["headers"]
        assert operation["responses"]["429"]["headers"]["Retry-After"]["required"] is True


def test_error_bodies_refer_to_shared_components(schema):
    responses = schema["paths"]["/api/v1/accounts/{id}/"]["patch"]["responses"]
    body = responses["400"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ValidationErrorBody"}
    conflict = responses["409"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/StaleVersionError"} in conflict["anyOf"]
    assert responses["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorDetail"
    }
    stale = schema["components"]["schemas"]["StaleVersionError"]
    assert set(stale["properties"]) == {"detail", "version", "current_version"}


def test_a_declared_response_is_kept():
    declared = {"description": "Ours", "content": {"application/json": {"schema": {}}}}
    result = {
        "paths": {
            "/api/v1/things/{id}/": {"get": {"responses": {"200": {}, "404": declared}}},
            "/api/schema/": {"get": {"responses": {"200": {}}}},
        }
    }
    document_error_responses(result)
    responses = result["paths"]["/api/v1/things/{id}/"]["get"]["responses"]
    assert responses["404"] is declared
    assert {"304", "401", "403", "429"} <= set(responses)
    # Only the API is described this way.
    assert set(result["paths"]["/api/schema/"]["get"]["responses"]) == {"200"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": ["This field may not be blank."]},
        {"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"},
        {"non_field_errors": ["Bad."], "end_date": ["Before the start."]},
        {"records": {"0": ['Expected a dictionary of items but got type "str".']}},
        {"records": ["This list may not be empty."]},
        {"partners": [{}, {"name": ["Required."]}]},
        {"Idempotency-Key": ["At most 255 characters."]},
    ],
)
def test_the_validation_error_body_admits_every_400_shape(schema, body):
    _validator(schema, "ValidationErrorBody").validate(body)


def test_lists_answer_next_previous_results_and_a_count_only_when_paged_by_number(schema):
    page = schema["components"]["schemas"]["PaginatedAccountList"]
    assert page["required"] == ["next", "previous", "results"]
    assert "count" in page["properties"]
    validator = _validator(schema, "PaginatedAccountList")
    validator.validate({"count": 0, "next": None, "previous": None, "results": []})
    validator.validate({"next": None, "previous": None, "results": []})  # updated_since
    parameters = schema["paths"]["/api/v1/accounts/"]["get"]["parameters"]
    assert {"page", "page_size", "cursor", "updated_since"} <= {p["name"] for p in parameters}


def test_a_bulk_endpoint_declares_the_keys_each_result_echoes():
    from drf_spectacular.generators import SchemaGenerator

    response = bulk_response_serializer("OpportunityBulk", ("source", "external_id"))
    assert response.__name__ == "OpportunityBulkResponseSerializer"
    result = response().fields["results"].child
    assert list(result.fields) == ["index", "source", "external_id", "id", "status", "errors"]
    # The revenue endpoint's component lists what it echoes.
    schema = SchemaGenerator().get_schema(request=None, public=True)
    component = schema["components"]["schemas"]["RevenueBulkResult"]
    assert set(component["properties"]) == {
        "index",
        "account",
        "account_external_id",
        "period",
        "source",
        "id",
        "status",
        "errors",
    }


def test_revenue_bulk_results_have_exactly_the_documented_keys(schema, api_as, am, account):
    account.external_id = "CRM-1"
    account.save()
    records = [
        {"account": account.pk, "period": "2026-07-01", "amount": "10.00", "source": "erp"},
        {"account_external_id": "CRM-1", "period": "2026-07-15", "amount": "1.00"},
    ]
    response = api_as(am).post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    documented = set(schema["components"]["schemas"]["RevenueBulkResult"]["properties"])
    assert [set(result) for result in results] == [documented, documented]
    assert [r["status"] for r in results] == ["created", "error"]
    assert results[1]["source"] == "manual"
    validator = _validator(schema, "RevenueBulkResponse")
    validator.validate(response.json())


def test_a_path_the_router_does_not_match_is_a_json_404(api_as, am, client):
    response = api_as(am).get("/api/v1/accounts/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_nul_in_search_is_a_400_with_an_object_body(schema, api_as, am):
    # DRF's search refuses it with a bare ValidationError, which renders as a list.
    response = api_as(am).get("/api/v1/accounts/", {"search": "a\x00b"})
    assert response.status_code == 400
    body = response.json()
    assert isinstance(body, dict)
    _validator(schema, "ValidationErrorBody").validate(body)


def test_the_served_schema_is_the_one_made_in_process(api_as, am):
    response = api_as(am).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content) == served_schema()


def test_a_bare_validation_error_is_answered_as_an_object():
    request = RequestFactory().get("/api/v1/accounts/")
    response = exception_handler(ValidationError("Nope."), {"request": request})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Nope."]}


def test_swagger_groups_operations_by_resource_tag_not_one_flat_v1(schema):
    tags = {path: operation["tags"] for path, _, operation in _operations(schema)}
    assert all(len(t) == 1 for t in tags.values())
    assert "v1" not in {t[0] for t in tags.values()}
    assert tags["/api/v1/users/"] == ["people"]
    assert tags["/api/v1/quotas/{id}/"] == ["people"]
    assert tags["/api/v1/teams/"] == ["people"]
    assert tags["/api/v1/accounts/"] == ["accounts"]
    assert tags["/api/v1/account-team-members/"] == ["accounts"]
    assert tags["/api/v1/revenue/bulk/"] == ["revenue"]
    assert tags["/api/v1/catalogues/products/"] == ["catalogues"]
    declared = [tag["name"] for tag in schema["tags"]]
    assert declared[:3] == ["people", "accounts", "agreements"]
    assert {t[0] for t in tags.values()} <= set(declared)


def test_the_docs_page_links_back_to_the_app_and_the_app_to_the_docs(client, am):
    client.force_login(am)
    docs = client.get("/api/docs/").content.decode()
    assert 'href="/">&larr; Back to Keyplan</a>' in docs
    home = client.get("/").content.decode()
    assert 'href="/api/docs/" title="API docs (Swagger)"' in home
