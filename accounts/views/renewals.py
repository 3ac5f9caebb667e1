"""The renewals page: every agreement the user sees, filtered by renewal status (due by
default), with the same FilterSet as GET /api/v1/agreements/; and its CSV export."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.pages import csv_response, page_filter, querystring, sort_headers

from .. import selectors
from ..filters import AgreementFilter
from ..models import Agreement

PAGE_SIZE = 25
SORTABLE = ["account", "kind", "end_date", "annual_value"]
DEFAULTS = {"q": "", "renewal_status": "due", "kind": "", "owner": "", "sort": "end_date"}


def _filtered(request: HttpRequest):
    return page_filter(
        request, AgreementFilter, selectors.agreement_list(user=request.user), DEFAULTS
    )


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
            "export_url": reverse("accounts:renewals_export") + (f"?{query}" if query else ""),
        },
    )


@login_required
@require_GET
def renewal_export(request: HttpRequest) -> HttpResponse:
    """Exactly the rows the page lists, every page."""
    filterset, _ = _filtered(request)
    today = timezone.localdate()
    rows = (
        (
            a["account__name"],
            a["account__external_id"] or "",
            a["account__owner__username"],
            a["kind"],
            a["number"],
            a["start_date"].isoformat(),
            a["end_date"].isoformat(),
            (a["end_date"] - today).days,
            f"{a['annual_value']:.2f}",
            a["renewal_status"],
        )
        for a in filterset.qs.values(
            "account__name",
            "account__external_id",
            "account__owner__username",
            "kind",
            "number",
            "start_date",
            "end_date",
            "annual_value",
            "renewal_status",
        ).iterator(chunk_size=2000)
    )
    return csv_response(
        filename=f"keyplan-renewals-{today.isoformat()}.csv",
        header=[
            "account",
            "account_external_id",
            "owner_username",
            "kind",
            "number",
            "start_date",
            "end_date",
            "days_to_expiry",
            "annual_value",
            "renewal_status",
        ],
        rows=rows,
    )
