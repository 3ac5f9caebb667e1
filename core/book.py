"""The large-book generator's runner: no domain, only the mechanism every app's part runs in.

`manage.py generate_book` fills the database with a realistic large book (10,000 accounts
and 1,000,000 revenue rows by default) for benchmarks. Like the demo, the book is made of
parts, one function per section, registered by dotted path in the one explicit registry,
`KEYPLAN_BOOK_PARTS` in config/settings.py:

    def generate_<section>(ctx: BookContext) -> None: ...

Unlike the demo, a part writes in bulk (`load_rows`: PostgreSQL COPY, else bulk_create in
large batches), not through the services: the book is a measurement fixture, and only
rows the services would accept are generated. Parts share what they made through `ctx`
(ids, not model instances, to keep 10,000 accounts cheap) and draw randomness from
`ctx.rng_for(section)`, so a book is the same for the same seed and sizes.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .fiscal import fiscal_year_of

# Usernames of generated people start with this; anything else is somebody's real data.
BOOK_PREFIX = "book."
BOOK_PASSWORD = "keyplan-book"


@dataclass
class BookSizes:
    accounts: int = 10_000
    ams: int = 100
    teams: int = 10
    revenue_per_account: int = 100
    months: int = 36
    agreements_per_account: float = 2.0
    deployments_per_account: float = 3.0
    team_members_per_account: float = 2.0
    # Read by later apps' parts (opportunities, relationships, plans).
    opportunities_per_account: float = 20.0
    stakeholders_per_account: float = 15.0
    surveys_per_account: float = 3.0


@dataclass
class BookContext:
    sizes: BookSizes
    seed: int
    today: datetime.date
    password_hash: str = ""
    # What parts made, by id, for the parts after them.
    ops_id: int | None = None
    manager_ids: list[int] = field(default_factory=list)
    am_ids: list[int] = field(default_factory=list)
    team_of_am: dict[int, int] = field(default_factory=dict)
    account_ids: list[int] = field(default_factory=list)
    owner_of_account: dict[int, int] = field(default_factory=dict)
    agreement_ids: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    created: Counter = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def fiscal_year(self) -> int:
        return fiscal_year_of(self.today)

    def rng_for(self, section: str) -> random.Random:
        return random.Random(f"{self.seed}:{section}")


BookPart = Callable[[BookContext], None]


def book_parts(parts: Sequence[str | BookPart] | None = None) -> list[BookPart]:
    listed = settings.KEYPLAN_BOOK_PARTS if parts is None else parts
    return [import_string(part) if isinstance(part, str) else part for part in listed]


def run_book(
    *,
    sizes: BookSizes,
    seed: int = 2027,
    today: datetime.date | None = None,
    parts: Sequence[str | BookPart] | None = None,
    password_hash: str = "",
    progress: Callable[[str], None] | None = None,
) -> BookContext:
    """Run the registered parts in order, in one transaction, then refresh the planner's
    statistics (ANALYZE) so the first benchmark reads with real row counts."""
    steps = book_parts(parts)
    ctx = BookContext(
        sizes=sizes, seed=seed, today=today or timezone.localdate(), password_hash=password_hash
    )
    with transaction.atomic():
        for step in steps:
            started = time.monotonic()
            step(ctx)
            ctx.timings[step.__name__] = time.monotonic() - started
            if progress:
                progress(f"{step.__name__}: {ctx.timings[step.__name__]:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ctx


# --- bulk loading ---------------------------------------------------------------------


def _columns(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.get_field(name) for name in names]


def load_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert `rows` (tuples of values for the fields `names`, foreign keys as ids) as fast
    as the database allows: COPY on PostgreSQL, batched inserts elsewhere. Returns the count.
    Every other column gets its field's default (timestamps: now)."""
    fields = _columns(model, names)
    now = timezone.now()
    extra_names: list[str] = []
    extra_values: list[Any] = []
    for column in model._meta.concrete_fields:
        if column.primary_key or column.name in names:
            continue
        extra_names.append(column.name)
        auto = getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False)
        extra_values.append(now if auto else column.get_default())
    fields += _columns(model, extra_names)
    count = 0
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        with connection.cursor() as cursor:
            for row in rows:
                writer.writerow([_csv_value(v) for v in (*row, *extra_values)])
                count += 1
                if count % 50_000 == 0:
                    _copy(cursor, table, columns, buffer)
                    buffer = io.StringIO()
                    writer = csv.writer(buffer)
            _copy(cursor, table, columns, buffer)
        return count
    batch: list[models.Model] = []
    attnames = [f.attname for f in fields]
    for row in rows:
        batch.append(model(**dict(zip(attnames, (*row, *extra_values), strict=True))))
        count += 1
        if len(batch) == 5_000:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
    return count


def _csv_value(value: Any) -> Any:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _copy(cursor, table: str, columns: str, buffer: io.StringIO) -> None:
    buffer.seek(0)
    if not buffer.getvalue():
        return
    cursor.cursor.copy_expert(
        f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
    )


def ids_of(model: type[models.Model], **lookup) -> list[int]:
    """The ids of the rows just loaded (COPY returns none), in id order."""
    return list(model.objects.filter(**lookup).order_by("pk").values_list("pk", flat=True))
