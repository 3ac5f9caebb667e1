"""Set-based upsert on a unique key, for every bulk and sync write: the database decides
every race.

    results = upsert(RevenueRecord, rows, unique_fields=["account", "period", "source"],
                     update_fields=["amount"])

is one `INSERT ... ON CONFLICT (<unique>) DO UPDATE SET <update fields>, version = version + 1,
updated_at = <now> WHERE <a field differs>` per chunk (PostgreSQL and SQLite alike). A row
that differs is updated and its version moves once; an identical resend writes nothing and
keeps its version and updated_at. `RETURNING id, version` tells created (version 1) from
updated; rows the statement did not touch are looked up by their exact keys afterwards.

Duplicate keys in one batch: the last one wins (each input row reports that row's outcome).
Rows are written in key order, so two overlapping batches lock rows in the same order and
never deadlock.
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# SQLite allows 32,766 bound parameters a statement, PostgreSQL 65,535; stay well under.
MAX_PARAMS = 20_000
MAX_PARAMS_POSTGRESQL = 60_000


def _max_params() -> int:
    return MAX_PARAMS_POSTGRESQL if connection.vendor == "postgresql" else MAX_PARAMS


@dataclass(frozen=True)
class UpsertResult:
    pk: int
    status: str  # CREATED | UPDATED | UNCHANGED


def _column(model: type[models.Model], name: str) -> models.Field:
    return model._meta.get_field(name)


@functools.lru_cache(maxsize=256)
def _preparer(field: models.Field) -> Callable[[Any], Any]:
    """How a validated value of `field` goes to the database, decided once per column (the
    general get_db_prep_save per value cost more than the write itself on a large upload)."""
    ops = connection.ops
    if field.is_relation:
        return lambda value: value.pk if isinstance(value, models.Model) else value
    if isinstance(field, models.DateTimeField):
        # An aware datetime (what services pass: timezone.now()) goes straight to the
        # adapter; anything else takes the field's full path (naive-time warning and all).
        def datetime_value(value):
            if value is not None and value.tzinfo is not None:
                return ops.adapt_datetimefield_value(value)
            return field.get_db_prep_save(value, connection)

        return datetime_value
    if isinstance(field, models.DateField):
        return lambda value: None if value is None else ops.adapt_datefield_value(value)
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda value: ops.adapt_decimalfield_value(value, digits, places)
    if isinstance(field, models.CharField | models.TextField | models.IntegerField):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)


def _sort_key(value: Any) -> tuple:
    return (value is None, str(type(value)), value if value is not None else 0)


@transaction.atomic
def upsert(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> list[UpsertResult]:
    """Insert or update `rows` (dicts of field name -> value) on `unique_fields`.

    Returns one UpsertResult per input row, in input order. The model is a VersionedModel
    (version, created_at, updated_at); values are validated by the caller.
    """
    if not rows:
        return []
    unique = [_column(model, name) for name in unique_fields]
    update = [_column(model, name) for name in update_fields]
    fields = unique + update
    key_preps = [(f.name, _preparer(f)) for f in unique]
    value_preps = [(f.name, _preparer(f)) for f in update]

    def key_of(row: Mapping[str, Any]) -> tuple:
        return tuple(prep(row[name]) for name, prep in key_preps)

    # Last one wins on a duplicate key; remember which input rows share it.
    keyed: dict[tuple, list[Any]] = {}
    for row in rows:
        key = key_of(row)
        keyed[key] = [*key, *(prep(row[name]) for name, prep in value_preps)]
    ordered = sorted(keyed, key=lambda key: tuple(_sort_key(v) for v in key))

    outcome: dict[tuple, UpsertResult] = {}
    per_row = len(fields) + 3
    chunk = max(1, _max_params() // per_row)
    for start in range(0, len(ordered), chunk):
        keys = ordered[start : start + chunk]
        outcome.update(_upsert_chunk(model, unique, update, keys, keyed))
    missing = [key for key in ordered if key not in outcome]
    if missing:
        for key, pk in _lookup(model, unique, missing).items():
            outcome[key] = UpsertResult(pk, UNCHANGED)
    return [outcome[key_of(row)] for row in rows]


def _upsert_chunk(model, unique, update, keys, keyed) -> dict[tuple, UpsertResult]:
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    now = timezone.now()
    stamp = [
        _preparer(_column(model, "created_at"))(now),
        _preparer(_column(model, "updated_at"))(now),
        1,
    ]
    columns = [f.column for f in unique + update] + ["created_at", "updated_at", "version"]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params: list[Any] = []
    for key in keys:
        params.extend(keyed[key])
        params.extend(stamp)
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(
        f"{table}.{qn(f.column)} {distinct} excluded.{qn(f.column)}" for f in update
    )
    assignments = ", ".join(f"{qn(f.column)} = excluded.{qn(f.column)}" for f in update)
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES {', '.join([placeholders] * len(keys))} "
        f"ON CONFLICT ({', '.join(qn(f.column) for f in unique)}) DO UPDATE SET "
        f"{assignments}, {qn('version')} = {table}.{qn('version')} + 1, "
        f"{qn('updated_at')} = excluded.{qn('updated_at')} "
        f"WHERE {changed} "
        f"RETURNING {qn('id')}, {qn('version')}, "
        f"{', '.join(qn(f.column) for f in unique)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    result = {}
    for pk, version, *key_values in returned:
        key = _normalise_key(unique, key_values)
        result[key] = UpsertResult(pk, CREATED if version == 1 else UPDATED)
    return result


def _normalise_key(unique, values) -> tuple:
    """A key read back from the database, spelled as `_preparer` spells the one sent."""
    return tuple(
        _preparer(f)(v if f.is_relation else f.to_python(v))
        for f, v in zip(unique, values, strict=True)
    )


def _lookup(model, unique, keys: list[tuple]) -> dict[tuple, int]:
    """Ids of the rows with exactly these keys (one query per chunk, no superset scan)."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = [f"k{i}" for i in range(len(unique))]
    found: dict[tuple, int] = {}
    chunk = max(1, _max_params() // len(unique))
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        values = ", ".join(["(" + ", ".join(["%s"] * len(unique)) + ")"] * len(part))
        join = " AND ".join(
            f"{table}.{qn(f.column)} = v.{n}" for f, n in zip(unique, names, strict=True)
        )
        sql = (
            f"WITH v({', '.join(names)}) AS (VALUES {values}) "
            f"SELECT {table}.{qn('id')}, {', '.join(f'{table}.{qn(f.column)}' for f in unique)} "
            f"FROM {table} JOIN v ON {join}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for key in part for value in key])
            for pk, *key_values in cursor.fetchall():
                found[_normalise_key(unique, key_values)] = pk
    return found


def insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, fields: Sequence[str]):
    """Plain `INSERT INTO <table> (<fields>) VALUES ...` of validated rows (dicts of field
    name -> value), in chunks under the parameter limit: for append-only rows written beside
    an upsert (history), without building a model instance per row as bulk_create does."""
    if not rows:
        return
    qn = connection.ops.quote_name
    columns = [_column(model, name) for name in fields]
    preps = [(f.name, _preparer(f)) for f in columns]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = (
        f"INSERT INTO {qn(model._meta.db_table)} "
        f"({', '.join(qn(f.column) for f in columns)}) VALUES "
    )
    chunk = max(1, _max_params() // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            params = [prep(row[name]) for row in part for name, prep in preps]
            cursor.execute(head + ", ".join([placeholders] * len(part)), params)
