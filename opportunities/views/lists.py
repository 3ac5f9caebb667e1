"""The pipeline table and its CSV export, both filtered by opportunities.filters's
OpportunityFilter, the FilterSet GET /api/v1/opportunities/ uses too. Totals and weighted
totals are over the whole filtered set, not the page."""

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Account
from core.context_processors import selected_fiscal_year
from core.pages import export_response, querystring, sort_headers
from teams.models import User

from .. import exports, selectors
from ..filters import fiscal_quarter_label
from ..models import ForecastCategory, Opportunity

PAGE_SIZE = 25
SORTABLE = ["name", "account", "stage", "amount", "probability", "close_date", "owner"]
DEFAULTS = exports.PIPELINE_DEFAULTS
FILTER_KEYS = [key for key in DEFAULTS if key != "sort"]
# The account filter is a select up to this many visible accounts; past it, search by name.
ACCOUNT_SELECT_LIMIT = 300
STATUS_CHOICES = [
    ("open", "Open"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("closed", "Closed"),
    ("all", "All"),
]


def quarter_choices(fy: int) -> list[str]:
    """The fiscal quarters the filter offers: the year before the selected one to the year
    after."""
    return [fiscal_quarter_label(year, q) for year in (fy - 1, fy, fy + 1) for q in (1, 2, 3, 4)]


def filter_options(request: HttpRequest, params: dict[str, Any]) -> dict[str, Any]:
    """The choices of the filter form, from what the user sees (a few small queries)."""
    user = request.user
    visible = Opportunity.objects.visible_to(user).filter(is_deleted=False)
    owners = (
        User.objects.filter(pk__in=visible.order_by().values("owner_id"))
        .order_by("first_name", "last_name", "username")
        .only("username", "first_name", "last_name")
    )
    accounts = list(
        Account.objects.visible_to(user)
        .order_by("name", "pk")
        .values_list("pk", "name")[: ACCOUNT_SELECT_LIMIT + 1]
    )
    return {
        "owners": owners,
        "accounts": accounts if len(accounts) <= ACCOUNT_SELECT_LIMIT else None,
        "stages": list(selectors.stage_list()),
        "partners": list(selectors.partner_list().values_list("pk", "name")),
        "kinds": Opportunity.Kind.choices,
        "categories": ForecastCategory.choices,
        "quarters": quarter_choices(selected_fiscal_year(request)),
        "statuses": STATUS_CHOICES,
    }


def _filtered(request: HttpRequest):
    return exports.pipeline_filter(request.user, request.GET)


@login_required
@require_GET
def pipeline_list(request: HttpRequest) -> HttpResponse:
    filterset, params = _filtered(request)
    queryset = filterset.qs
    page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = querystring(params, DEFAULTS)
    return render(
        request,
        "opportunities/pipeline_list.html",
        {
            "nav": "pipeline",
            "rows": list(page_obj.object_list),
            "page_obj": page_obj,
            "totals": selectors.pipeline_totals(queryset),
            "params": params,
            "ignored": filterset.ignored,
            "options": filter_options(request, params),
            "stale_before": selectors.stale_before(),
            "slip_count": selectors.SLIP_COUNT,
            "sort_headers": sort_headers(
                params, DEFAULTS, columns=SORTABLE, descending_first={"amount", "probability"}
            ),
            "querystring_without_page": query,
            "export_url": reverse("opportunities:export") + (f"?{query}" if query else ""),
            "board_url": reverse("opportunities:board") + (f"?{query}" if query else ""),
            "filtered": any(params[key] != DEFAULTS[key] for key in FILTER_KEYS),
            "active_filters": sum(params[key] != DEFAULTS[key] for key in FILTER_KEYS),
        },
    )


@login_required
@require_GET
def pipeline_export(request: HttpRequest) -> HttpResponse:
    """Exactly the rows the table lists for these filters and this sort, every page."""
    filterset, _ = _filtered(request)
    queryset = filterset.qs
    today: datetime.date = timezone.localdate()
    return export_response(
        request,
        count=queryset.count(),
        kind="opportunities-csv",
        title="Pipeline export",
        filename=f"keyplan-pipeline-{today.isoformat()}.csv",
        header=exports.PIPELINE_COLUMNS,
        rows=lambda: exports.pipeline_rows(queryset),
    )
