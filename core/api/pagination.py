"""List pagination for every endpoint.

Plain lists are paged by number (`page`, `page_size` up to 1000). A list asked for with
`updated_since` is a sync read: it is ordered by (updated_at, id) and paged by cursor, so a
client that follows `next` never skips or repeats a row even while rows change.

A page costs what its rows cost, not what the whole list does: the page is read with one row
more than it shows (that row says whether there is a next page), and `count` is exact only up
to LIST_COUNT_LIMIT rows (the count stops reading there); past it, `count` is null. A sync
read has no count at all.
"""

from collections import OrderedDict

from django.conf import settings
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 1000
# The largest OFFSET the databases take (a signed 64-bit integer).
MAX_OFFSET = 2**63 - 1


class SyncCursorPagination(CursorPagination):
    ordering = ("updated_at", "id")
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        # Always (updated_at, id), whatever ordering the view offers for plain lists.
        return self.ordering


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
        # Both pagers answer next, previous and results; only the page-number one a count.
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
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
