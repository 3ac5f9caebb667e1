"""The accounts list and its CSV export, both filtered by accounts.filters.AccountFilter,
the FilterSet GET /api/v1/accounts/ uses too."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from core.context_processors import selected_fiscal_year
from core.fiscal import fiscal_year_label
from core.pages import export_response, htmx_location, is_htmx, querystring, sort_headers
from teams.selectors import am_account_load, is_over_capacity

from .. import exports, selectors
from ..models import Account

PAGE_SIZE = 25
# "updated" still sorts (old bookmarks, the API's key) but is no longer a column: the list
# shows what an AM acts on, AR this year to date, its growth and the next renewal.
SORTABLE_COLUMNS = ["name", "segment", "sector", "territory", "owner", "ltp", "ar", "growth"]
SORTABLE_COLUMNS += ["renewal", "updated"]
# The list's parameters in query-string order, with the values left out of its URLs.
LIST_DEFAULTS = exports.ACCOUNT_DEFAULTS
FILTER_KEYS = [key for key in LIST_DEFAULTS if key != "sort"]


def _filtered(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    return exports.account_filter(request.user, request.GET, selected_fiscal_year(request))


@login_required
@require_GET
@vary_on_headers("HX-Request")
def account_list(request: HttpRequest) -> HttpResponse:
    """The list page; for htmx (live filters, sorting, paging) just its results card.

    The fragment (accounts/partials/account_results.html) is the page's own results card,
    rendered from the same context, plus the bits outside it that follow the filters (the
    export link, the sort kept by the filter form, "Clear filters", a screen-reader count),
    swapped out of band. It skips the filter form's option lists, which it does not show.
    """
    if request.GET.get("format") == "csv":
        return account_export(request)
    filterset, params = _filtered(request)
    page_obj = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    loads = am_account_load(user_ids={a.owner_id for a in rows}) if rows else {}
    today = timezone.localdate()
    for account in rows:
        account.owner_over_capacity = is_over_capacity(loads.get(account.owner_id, 0))
        account.growth = selectors.growth_value(account.ar_growth)
        account.days_to_expiry = (account.next_end - today).days if account.next_end else None
    fy = selected_fiscal_year(request)
    query = querystring(params, LIST_DEFAULTS)
    context = {
        "nav": "accounts",
        "rows": rows,
        "page_obj": page_obj,
        "params": params,
        "ignored": filterset.ignored,
        "segments": Account.Segment.choices,
        "fy_label": fiscal_year_label(fy),
        "sort_headers": sort_headers(
            params,
            LIST_DEFAULTS,
            columns=SORTABLE_COLUMNS,
            descending_first={"ltp", "updated", "ar", "growth"},
        ),
        "querystring_without_page": query,
        "export_url": reverse("accounts:export") + (f"?{query}" if query else ""),
        "filtered": any(params[key] != LIST_DEFAULTS[key] for key in FILTER_KEYS),
        "active_filters": sum(params[key] != LIST_DEFAULTS[key] for key in FILTER_KEYS),
    }
    if not is_htmx(request):
        context["options"] = selectors.account_filter_options(user=request.user)
        return render(request, "accounts/account_list.html", context)

    response = render(request, "accounts/partials/account_results.html", {**context, "oob": True})
    # The canonical URL of what is shown (defaults left out), not the form's every empty field.
    page = f"page={page_obj.number}" if page_obj.number > 1 else ""
    shown = "&".join(part for part in [query, page] if part)
    url = reverse("accounts:list") + (f"?{shown}" if shown else "")
    return htmx_location(request, response, url)


@login_required
@require_GET
def account_export(request: HttpRequest) -> HttpResponse:
    """Exactly the rows the list shows for these filters and this sort, every page, streamed;
    a very long list is written by a background job instead. A parent outside the user's
    view is left blank, as on the page."""
    filterset, _ = _filtered(request)
    queryset = filterset.qs
    fy = selected_fiscal_year(request)
    return export_response(
        request,
        count=queryset.count(),
        kind="accounts-csv",
        title="Accounts export",
        filename=f"keyplan-accounts-{timezone.localdate().isoformat()}.csv",
        header=exports.ACCOUNT_COLUMNS,
        rows=lambda: exports.account_rows(queryset, fy),
        params={"fy": fy},
    )
