"""List pagination for every endpoint.

Plain lists are paged by number (`page`, `page_size` up to 1000). A list asked for with
`updated_since` is a sync read: it is ordered by (updated_at, id) and paged by a keyset
cursor on that pair (`WHERE (updated_at, id) > (last row's)`), so a client that follows
`next` never skips or repeats a row even while rows change: rows sharing one updated_at (a
bulk upsert stamps a whole batch alike) are told apart by id, not by an offset that shifts
when one of them moves on.

A sync read also answers `sync_until` (api.md, Sync): an ISO time before which every change
is committed and already listed; the client's next poll starts from it. A row can commit
late, after a read that did not see it, with an `updated_at` stamped when its transaction
began writing, so "the newest updated_at seen" is not safe. The horizon (`sync_horizon`) is:

- PostgreSQL: the start of the oldest transaction still running that has written something
  (pg_stat_activity.xact_start of backends holding a transaction id), or now, whichever is
  earlier. Read before the page (each statement of a READ COMMITTED read takes a fresh
  snapshot), so a transaction that commits after the read began before the horizon was
  taken (and holds it back) or began writing after it (its rows are stamped later);
- SQLite (one writer at a time): now.

Both minus SYNC_CLOCK_MARGIN_SECONDS, which covers the moment between the app stamping
updated_at and the database starting the statement, and clock drift between app servers
and the database. The horizon is carried along one walk through `next` (the smallest one
wins), and while a next page remains it stops at the last row listed, so a client that
stops early still resumes without a gap.

A page costs what its rows cost, not what the whole list does: the page is read with one row
more than it shows (that row says whether there is a next page), and `count` is exact only up
to LIST_COUNT_LIMIT rows (the count stops reading there); past it, `count` is null. A sync
read has no count at all.
"""

import base64
import binascii
import datetime
import logging
from collections import OrderedDict

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
# The largest OFFSET the databases take (a signed 64-bit integer).
MAX_OFFSET = 2**63 - 1
INVALID_CURSOR = "Invalid cursor: follow the `next` link as given."

# The oldest running transaction that holds a transaction id (it has written), on this
# database, other than this connection's own.
OLDEST_WRITER_SQL = """
    SELECT min(xact_start) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND backend_xid IS NOT NULL AND xact_start IS NOT NULL
"""


def sync_horizon() -> datetime.datetime:
    """A time before which every write is committed (see the module docstring)."""
    now = timezone.now()
    horizon = now
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(OLDEST_WRITER_SQL)
            (oldest,) = cursor.fetchone()
        if oldest is not None and oldest < horizon:
            horizon = oldest
    return horizon - datetime.timedelta(seconds=settings.SYNC_CLOCK_MARGIN_SECONDS)


def _encode(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def _decode(value: str) -> list[str]:
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode().split("|")
    except (binascii.Error, UnicodeError, ValueError):
        raise NotFound(INVALID_CURSOR) from None


def _parse_time(text: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise NotFound(INVALID_CURSOR) from None
    if value.tzinfo is None:
        raise NotFound(INVALID_CURSOR)
    return value


class SyncCursorPagination(BasePagination):
    """Keyset paging on (updated_at, id) with `sync_until` (module docstring)."""

    cursor_query_param = "cursor"
    page_size = 50

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        horizon = sync_horizon()
        after = None
        raw = request.query_params.get(self.cursor_query_param)
        if raw:
            parts = _decode(raw)
            if len(parts) != 3:
                raise NotFound(INVALID_CURSOR)
            last_time, last_id, carried = parts
            try:
                last_pk = int(last_id)
            except ValueError:
                raise NotFound(INVALID_CURSOR) from None
            after = (_parse_time(last_time), last_pk)
            horizon = min(horizon, _parse_time(carried))
        queryset = queryset.order_by("updated_at", "id")
        if after is not None:
            at, pk = after
            queryset = queryset.filter(
                Q(updated_at__gte=at) & (Q(updated_at__gt=at) | Q(pk__gt=pk))
            )
        rows = list(queryset[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        self.horizon = horizon
        self.last = rows[-1] if rows else None
        self.sync_until = horizon
        if self.has_next and self.last is not None:
            self.sync_until = min(horizon, self.last.updated_at)
        return rows

    def get_next_link(self):
        if not self.has_next:
            return None
        cursor = _encode(
            self.last.updated_at.isoformat(), str(self.last.pk), self.horizon.isoformat()
        )
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", None),
                    ("sync_until", self.sync_until.astimezone(datetime.UTC).isoformat()),
                    ("results", data),
                ]
            )
        )


class KeyplanPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self._cursor = None
        self.request = request
        page_size = self.get_page_size(request)
        if "updated_since" in request.query_params:
            self._cursor = SyncCursorPagination()
            self._cursor.page_size = page_size
            return self._cursor.paginate_queryset(queryset, request, view)
        try:
            number = int(request.query_params.get(self.page_query_param, 1))
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise NotFound("Invalid page: pages are numbered from 1.")
        offset = (number - 1) * page_size
        if offset + page_size + 1 > MAX_OFFSET:
            # No list is that long, and the database could not even take the offset.
            raise NotFound("Invalid page: there are not that many pages.")
        rows = list(queryset[offset : offset + page_size + 1])
        if not rows and number > 1:
            raise NotFound("Invalid page: there are not that many pages.")
        self.number, self.page_size_now = number, page_size
        self.has_next = len(rows) > page_size
        rows = rows[:page_size]
        if not self.has_next and (rows or number == 1):
            self.count = offset + len(rows)  # the last page: the count is known for free
        else:
            limit = settings.LIST_COUNT_LIMIT
            counted = queryset.order_by()[: limit + 1].count()
            self.count = counted if counted <= limit else None
        return rows

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        if self._cursor is not None:
            return self._cursor.get_paginated_response(data)
        return Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": SyncCursorPagination.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "With updated_since: the page cursor, as given in `next`.",
                "schema": {"type": "string"},
            },
        ]

    def get_paginated_response_schema(self, schema):
        # Both pagers answer next, previous and results; only the page-number one a count,
        # only the sync one (updated_since) sync_until.
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "description": (
                        "Rows in the whole list when at most LIST_COUNT_LIMIT (10,000 by "
                        "default), else null. Absent on updated_since lists."
                    ),
                },
                "sync_until": {
                    "type": "string",
                    "format": "date-time",
                    "description": (
                        "On updated_since lists only: every change before this time is "
                        "committed and already listed (on this page or an earlier one of "
                        "this walk). Start the next poll from it: updated_since=sync_until."
                    ),
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
