"""The bulk-upload envelope shared by every `/bulk/` endpoint:

    {"records": [...], "all_or_none": false}  ->  200 {"results": [...]} in request order

Each record is validated on its own; bad records are reported by index with their field
errors and, unless `all_or_none` is set, the good ones are saved. With `all_or_none`, one
bad record saves nothing.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .exceptions import validation_error_body

MAX_RECORDS = 1000


class BulkEnvelopeSerializer(serializers.Serializer):
    records = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, max_length=MAX_RECORDS
    )
    all_or_none = serializers.BooleanField(default=False)


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    errors = serializers.DictField(allow_null=True)


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)


def run_bulk(
    *,
    request,
    record_serializer: type[serializers.Serializer],
    describe: Callable[[dict], dict],
    save: Callable[[list[tuple[int, dict]]], list[dict]],
    context: Callable[[list[dict]], dict] | None = None,
) -> Response:
    """Validate every record with `record_serializer`, then `save` the valid ones.

    `describe(raw_record)` gives the identifying keys echoed in each result (e.g.
    external_id). `save([(index, validated_data), ...])` writes inside one transaction
    and returns one {"id", "status"} per row, in order. `context(records)` may look up
    what every record refers to in one query and hand it to the record serializer.
    """
    envelope = BulkEnvelopeSerializer(data=request.data)
    envelope.is_valid(raise_exception=True)
    records = envelope.validated_data["records"]
    all_or_none = envelope.validated_data["all_or_none"]

    serializer_context = {"request": request, **(context(records) if context else {})}
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, dict]] = []
    for index, raw in enumerate(records):
        result = {"index": index, **describe(raw), "id": None, "status": "error", "errors": None}
        serializer = record_serializer(data=raw, context=serializer_context)
        if serializer.is_valid():
            valid.append((index, serializer.validated_data))
        else:
            result["errors"] = serializer.errors
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
