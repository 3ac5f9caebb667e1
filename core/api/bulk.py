"""The bulk-upload envelope shared by every `/bulk/` endpoint:

    {"records": [...], "all_or_none": false}  ->  200 {"results": [...]} in request order

Each record is validated on its own; bad records are reported by index with their field
errors and, unless `all_or_none` is set, the good ones are saved. With `all_or_none`, one
bad record saves nothing.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .exceptions import validation_error_body

MAX_RECORDS = 1000


class RecordField(serializers.Field):
    """One record of an envelope: any JSON object, passed on as it is (each endpoint
    validates its records itself; a DictField would copy every key of every record)."""

    default_error_messages = {
        "not_a_dict": 'Expected a dictionary of items but got type "{input_type}".'
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        return data

    def to_representation(self, value):
        return value


class BulkEnvelopeSerializer(serializers.Serializer):
    records = serializers.ListField(child=RecordField(), allow_empty=False, max_length=MAX_RECORDS)
    all_or_none = serializers.BooleanField(default=False)


def bulk_result_serializer(name: str, echo_fields: Sequence[str]) -> type[serializers.Serializer]:
    """The serializer (and OpenAPI component `<name>`) of one bulk result: index, id,
    status and errors, plus the identifying keys the endpoint echoes from each record
    (`describe` in run_bulk), e.g. ("source", "external_id"). An echoed key is always
    present, as the record sent it (any JSON value), or null when the record lacked it."""
    fields: dict[str, serializers.Field] = {
        "index": serializers.IntegerField(help_text="The record's position in `records`."),
        **{
            field: serializers.JSONField(
                allow_null=True, help_text="Echoed from the record as sent (null if absent)."
            )
            for field in echo_fields
        },
        "id": serializers.IntegerField(allow_null=True, help_text="Null when not saved."),
        "status": serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"]),
        "errors": serializers.DictField(
            allow_null=True,
            help_text='Null when saved; else `{"field": ["message", ...]}` (nested as sent).',
        ),
    }
    return type(f"{name}Serializer", (serializers.Serializer,), fields)


def bulk_response_serializer(name: str, echo_fields: Sequence[str]) -> type[serializers.Serializer]:
    """The 200 answer of a bulk endpoint: `{"results": [<name>Result, ...]}` in request
    order. Components are named `<name>Result` and `<name>Response`."""
    result = bulk_result_serializer(f"{name}Result", echo_fields)
    return type(
        f"{name}ResponseSerializer",
        (serializers.Serializer,),
        {"results": result(many=True)},
    )


# The bare envelope, echoing no keys (components BulkResult / BulkResponse). An endpoint
# documents its own with bulk_response_serializer(name, the keys its `describe` echoes).
BulkResultSerializer = bulk_result_serializer("BulkResult", ())
BulkResponseSerializer = bulk_response_serializer("Bulk", ())


def run_bulk(
    *,
    request,
    describe: Callable[[dict], dict],
    save: Callable[[list[tuple[int, dict]]], list[dict]],
    record_serializer: type[serializers.Serializer] | None = None,
    validate: Callable[[Any, dict], tuple[dict, dict]] | None = None,
    context: Callable[[list[dict]], dict] | None = None,
    hold_context: bool = False,
) -> Response:
    """Validate every record, then `save` the valid ones.

    A record is validated by `validate(raw, context) -> (data, errors)` (plain Python, e.g.
    a core.api.records.RecordSchema: what a large upload should use) or else by
    `record_serializer`. `describe(raw_record)` gives the identifying keys echoed in each
    result (e.g. external_id); the endpoint's schema lists the same keys
    (bulk_response_serializer). `save([(index, validated_data), ...])` writes inside one
    transaction and returns one {"id", "status"} per row, in order. `context(records)` may
    look up what every record refers to in one query and hand it to the validation.

    With `hold_context`, the context is read, the records validated and the valid ones saved
    in one transaction: rows the context locks (`select_for_update`, e.g. the stored rows a
    record updates, merged with it and checked against the rules) stay as validated until
    they are written, so a concurrent upload of the same keys waits and then sees this one.
    """
    envelope = BulkEnvelopeSerializer(data=request.data)
    envelope.is_valid(raise_exception=True)
    if hold_context:
        with transaction.atomic():
            return _run(request, envelope, describe, save, record_serializer, validate, context)
    return _run(request, envelope, describe, save, record_serializer, validate, context)


def _run(request, envelope, describe, save, record_serializer, validate, context) -> Response:
    records = envelope.validated_data["records"]
    all_or_none = envelope.validated_data["all_or_none"]

    serializer_context = {"request": request, **(context(records) if context else {})}
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, dict]] = []
    for index, raw in enumerate(records):
        result = {"index": index, **describe(raw), "id": None, "status": "error", "errors": None}
        if validate is not None:
            data, errors = validate(raw, serializer_context)
        else:
            serializer = record_serializer(data=raw, context=serializer_context)
            ok = serializer.is_valid()
            data, errors = (serializer.validated_data, None) if ok else (None, serializer.errors)
        if errors:
            result["errors"] = errors
        else:
            valid.append((index, data))
        results.append(result)

    failed = len(valid) < len(records)
    if failed and all_or_none:
        for index, _ in valid:
            results[index]["errors"] = {
                "all_or_none": ["Not saved: another record failed and all_or_none is set."]
            }
        return Response({"results": results})
    if valid:
        try:
            with transaction.atomic():
                saved = save(valid)
        except DjangoValidationError as exc:
            raise ValidationError(validation_error_body(exc)) from exc
        for (index, _), outcome in zip(valid, saved, strict=True):
            results[index].update(outcome, errors=None)
    return Response({"results": results})
