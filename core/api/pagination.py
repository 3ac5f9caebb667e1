"""List pagination for every endpoint.

Plain lists are paged by number (`page`, `page_size` up to 1000). A list asked for with
`updated_since` is a sync read: it is ordered by (updated_at, id) and paged by cursor, so a
client that follows `next` never skips or repeats a row even while rows change.
"""

from collections import OrderedDict

from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

MAX_PAGE_SIZE = 1000


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
        if "updated_since" in request.query_params:
            self._cursor = SyncCursorPagination()
            self._cursor.page_size = self.get_page_size(request)
            return self._cursor.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self._cursor is not None:
            return self._cursor.get_paginated_response(data)
        return Response(
            OrderedDict(
                [
                    ("count", self.page.paginator.count),
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
                    "description": "Rows in the whole list. Absent on updated_since lists.",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
