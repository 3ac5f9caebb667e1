"""The error half of the OpenAPI contract, written once for every operation (api.md, Errors).

drf-spectacular documents what a view declares: its success answer. The answers every
endpoint shares come from mechanisms outside the views (authentication, the exception
handler, the viewset base, the idempotency middleware, throttling, pagination), so they are
added here, in one postprocessing hook, from each operation's method and path:

- every operation: 401, 403, 429 (with Retry-After); 400 when it takes query parameters or a
  request body;
- a path with a parameter (`{id}`, `{external_id}`, ...) and a paginated list: 404;
- GET of one object: 304 and an ETag, and the `If-None-Match` request header;
- PUT/PATCH/DELETE: 409 (stale `version`, unique clash, still referenced) and 412, and the
  `If-Match` request header;
- POST: 409 (unique clash, Idempotency-Key still in flight) and 422 (Idempotency-Key reused
  with another body), and the `Idempotency-Key` request header.

A response or parameter an operation already declares is left as it is.
"""

import copy
import json
import re
from typing import Any

from drf_spectacular.openapi import AutoSchema

API_PREFIX = "/api/v1/"
PATH_PARAMETER = re.compile(r"\{[^}/]+\}")
# Query parameters of the list pagination (core.api.pagination): a page past the end or a
# cursor that does not decode answers 404, as in DRF.
PAGINATION_PARAMETERS = {"page", "cursor"}
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


COMPONENTS: dict[str, dict[str, Any]] = {
    "ErrorDetail": {
        "type": "object",
        "description": "An error that concerns the request as a whole.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "description": (
            "The messages for one field: a list of strings; for a list or nested object, the "
            "same shape per item index or per key."
        ),
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, _ref("FieldErrors")]}},
            {"type": "object", "additionalProperties": _ref("FieldErrors")},
        ],
    },
    "ValidationErrorBody": {
        "type": "object",
        "description": (
            'Bad input: `{"field": ["message", ...]}` per field (nested for lists and '
            'objects, e.g. `{"records": {"0": ["..."]}}`), `non_field_errors` for the whole '
            'object, or `{"detail": "..."}` when the request could not be read at all.'
        ),
        "properties": {
            "detail": {"type": "string"},
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": _ref("FieldErrors"),
    },
    "StaleVersionError": {
        "type": "object",
        "description": (
            "The object changed since the version you edited: nothing was written. Reload "
            "it (current_version) and apply your change again."
        ),
        "properties": {
            "detail": {"type": "string"},
            "version": {"type": "array", "items": {"type": "string"}},
            "current_version": {"type": "integer", "nullable": True},
        },
        "required": ["detail", "current_version"],
    },
}

ETAG_HEADER = {
    "description": "The object's current version tag; send it back as If-Match.",
    "schema": {"type": "string"},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}


def _json(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _header_parameter(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "in": "header",
        "name": name,
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


IF_MATCH = _header_parameter(
    "If-Match", "The ETag you edited; when the object has changed since, the answer is 412."
)
IF_NONE_MATCH = _header_parameter(
    "If-None-Match", "An ETag you hold; when it is still current, the answer is 304."
)
IDEMPOTENCY_KEY = _header_parameter(
    "Idempotency-Key",
    "A unique string per request. Repeating the key with the same body returns the first "
    "answer (header Idempotent-Replayed: true) and writes nothing again; with another body "
    "the answer is 422; while the first is still running, 409. Keys are per user.",
    maxLength=255,
)


def _error_responses(method: str, *, detail: bool, paginated: bool, has_input: bool) -> dict:
    responses: dict[str, dict[str, Any]] = {}
    if has_input:
        responses["400"] = _json(
            "Bad input: field errors, or a detail when the request could not be read.",
            _ref("ValidationErrorBody"),
        )
    responses["401"] = _json(
        "Not authenticated: send `Authorization: Token <key>`.", _ref("ErrorDetail")
    )
    responses["403"] = _json(
        "Authenticated, but this action is not allowed (the object is visible but the write "
        "is not, or the CSRF check failed for a browser session).",
        _ref("ErrorDetail"),
    )
    if detail:
        responses["404"] = _json("No such object, or not visible to you.", _ref("ErrorDetail"))
    elif paginated:
        responses["404"] = _json("No such page, or an invalid cursor.", _ref("ErrorDetail"))
    if method in {"put", "patch", "delete"}:
        responses["409"] = _json(
            "Conflict: the `version` sent is stale (nothing was written), the change clashes "
            "with a row written at the same moment (a unique key), or the object is still "
            "referenced.",
            {"anyOf": [_ref("StaleVersionError"), _ref("ErrorDetail")]},
        )
        responses["412"] = _json(
            "If-Match does not match the current ETag: the object changed. Reload it.",
            _ref("ErrorDetail"),
        )
    if method == "post":
        responses["409"] = _json(
            "Conflict: a clash with a row written at the same moment (a unique key), or a "
            "request with this Idempotency-Key is still being processed.",
            _ref("ErrorDetail"),
        )
        responses["422"] = _json(
            "This Idempotency-Key was already used with a different request.",
            _ref("ErrorDetail"),
        )
    responses["429"] = _json(
        "Throttled: wait Retry-After seconds.",
        _ref("ErrorDetail"),
        headers={"Retry-After": RETRY_AFTER_HEADER},
    )
    return responses


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    key = (parameter["in"], parameter["name"].lower())
    if not any((p.get("in"), p.get("name", "").lower()) == key for p in parameters):
        parameters.append(copy.deepcopy(parameter))


def _add_etag(response: dict[str, Any]) -> None:
    response.setdefault("headers", {}).setdefault("ETag", copy.deepcopy(ETAG_HEADER))


def document_error_responses(result: dict[str, Any], generator=None, request=None, public=None):
    """drf-spectacular postprocessing hook: see the module docstring."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, copy.deepcopy(schema))

    for path, path_item in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        detail = bool(PATH_PARAMETER.search(path))
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            query = {
                p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"
            }
            has_input = bool(query) or "requestBody" in operation
            responses = operation.setdefault("responses", {})

            if method == "get" and detail:
                _add_parameter(operation, IF_NONE_MATCH)
                responses.setdefault(
                    "304",
                    {
                        "description": "Not modified: If-None-Match holds the current ETag.",
                        "headers": {"ETag": copy.deepcopy(ETAG_HEADER)},
                    },
                )
            if method in {"put", "patch", "delete"}:
                _add_parameter(operation, IF_MATCH)
            if method == "post":
                _add_parameter(operation, IDEMPOTENCY_KEY)
            # Answers that carry one object carry its ETag (core.api.viewsets): GET, PUT and
            # PATCH of one object, and a create (201, or 200 when it upserts; a POST with no
            # 201, like /bulk/, answers no single object).
            if method == "post":
                etag_codes = {"200", "201"} if "201" in responses else set()
            else:
                etag_codes = {"200", "201"} if detail and method != "delete" else set()
            for code in etag_codes & set(responses):
                _add_etag(responses[code])

            errors = _error_responses(
                method,
                detail=detail,
                paginated=bool(query & PAGINATION_PARAMETERS),
                has_input=has_input,
            )
            for code, response in errors.items():
                responses.setdefault(code, response)
    return result


def served_schema() -> dict[str, Any]:
    """The document /api/schema/ serves (as JSON), made in-process the way its view makes it,
    with no request: for tools that need it before a database or a user exists."""
    from drf_spectacular.renderers import OpenApiJsonRenderer
    from drf_spectacular.views import SpectacularAPIView

    view = SpectacularAPIView
    generator = view.generator_class(urlconf=view.urlconf, patterns=view.patterns)
    document = generator.get_schema(request=None, public=view.serve_public)
    return json.loads(OpenApiJsonRenderer().render(document))


class KeyplanAutoSchema(AutoSchema):
    """Swagger groups operations by tag: a viewset's `schema_tag` ("people", "accounts", ...),
    else the resource's path segment under /api/v1/ (SCHEMA_PATH_PREFIX), never one flat "v1".
    The tags' order and descriptions are SPECTACULAR_SETTINGS["TAGS"]."""

    def get_tags(self) -> list[str]:
        tag = getattr(self.view, "schema_tag", None)
        return [tag] if tag else super().get_tags()
