"""The renewals page: every agreement the user sees, filtered by renewal status (due by
default), with the same FilterSet as GET /api/v1/agreements/; and its CSV export."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.pages import export_response, querystring, sort_headers

from .. import exports
from ..models import Agreement

PAGE_SIZE = 25
SORTABLE = ["account", "kind", "end_date", "annual_value"]
DEFAULTS = exports.RENEWAL_DEFAULTS


def _filtered(request: HttpRequest):
    return exports.renewal_filter(request.user, request.GET)


@login_required
@require_GET
def renewal_list(request: HttpRequest) -> HttpResponse:
    filterset, params = _filtered(request)
    # Sorted by the FilterSet (`sort`, end date first by default), ties by id.
    queryset = filterset.qs.select_related("account__owner")
    page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = querystring(params, DEFAULTS)
    return render(
        request,
        "accounts/renewal_list.html",
        {
            "nav": "renewals",
            "today": timezone.localdate(),
            "rows": list(page_obj.object_list),
            "page_obj": page_obj,
            "params": params,
            "ignored": filterset.ignored,
            "statuses": Agreement.RenewalStatus.choices,
            "kinds": Agreement.Kind.choices,
            "sort_headers": sort_headers(
                params, DEFAULTS, columns=SORTABLE, descending_first={"annual_value"}
            ),
            "querystring_without_page": query,
            "active_filters": sum(
                params[key] != DEFAULTS[key] for key in DEFAULTS if key != "sort"
            ),
            "export_url": reverse("accounts:renewals_export") + (f"?{query}" if query else ""),
        },
    )


@login_required
@require_GET
def renewal_export(request: HttpRequest) -> HttpResponse:
    """Exactly the rows the page lists, every page (streamed, or a background job)."""
    filterset, _ = _filtered(request)
    queryset = filterset.qs
    return export_response(
        request,
        count=queryset.count(),
        kind="renewals-csv",
        title="Renewals export",
        filename=f"keyplan-renewals-{timezone.localdate().isoformat()}.csv",
        header=exports.RENEWAL_COLUMNS,
        rows=lambda: exports.renewal_rows(queryset),
    )
