"""The account page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.context_processors import selected_fiscal_year
from core.fiscal import current_fiscal_year, fiscal_year_label
from teams.selectors import am_account_load, is_over_capacity

from .. import selectors
from ..access import can_change
from ..sections import account_sections
from .common import get_account


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account(request, pk)
    today = timezone.localdate()
    owner_load = am_account_load(user_ids=[account.owner_id]).get(account.owner_id, 0)
    fy = selected_fiscal_year(request)
    ar = {
        "fy": fy,
        "fy_label": fiscal_year_label(fy),
        **selectors.account_ar_facts(account=account, fy=fy, as_of=today),
    }
    revenue = selectors.account_revenue_by_fiscal_year(account=account)
    chart, ytd = _ar_chart(account, revenue, selected=fy, facts=ar, today=today)
    return render(
        request,
        "accounts/account_detail.html",
        {
            "nav": "accounts",
            "account": account,
            # Account-level changes (the account, agreements, deployments, the team): the
            # owner, their manager and ops; the page offers no control the rule refuses.
            "can_edit": can_change(request.user, account),
            "today": today,
            "owner_load": owner_load,
            "owner_over_capacity": is_over_capacity(owner_load),
            "parent": selectors.account_visible_parent(user=request.user, account=account),
            "downstream": list(selectors.account_downstream(user=request.user, account=account)),
            "team": list(selectors.account_team(account=account)),
            "agreements": list(selectors.account_agreements(account=account)),
            "deployments": list(selectors.account_deployments(account=account)),
            "revenue": revenue,
            "chart": chart,
            "ytd": ytd,
            "ar": ar,
            "capacity": settings.AM_ACCOUNT_CAPACITY,
            # What apps above accounts add (settings.KEYPLAN_ACCOUNT_SECTIONS).
            "sections": account_sections(request, account),
        },
    )


def _ar_chart(account, revenue, *, selected: int, facts: dict, today) -> tuple[dict, dict | None]:
    """AR per fiscal year as a bar chart (keyplan.js), the selected year highlighted. The
    current fiscal year has not ended: its bar is labelled year-to-date, and a marker shows
    the prior year's AR over the same dates (the growth window), so a partial year never
    reads as a collapse. Returns (chart config, the YTD facts or None when the current year
    has no bar)."""
    current = current_fiscal_year()
    years = [year for year, _ in revenue]
    ytd = None
    if current in years:
        same = facts if selected == current else None
        same = same or selectors.account_ar_facts(account=account, fy=current, as_of=today)
        ytd = {"fy": current, "prior_ar": same["prior_ar"], "to": same["window"][1]}

    def label(year: int) -> str:
        name = fiscal_year_label(year)
        return f"{name} (YTD)" if ytd and year == current else name

    datasets = [
        {
            "label": "AR",
            "data": [float(total) for _, total in revenue],
            "color": ["primary" if year == selected else "#93a3bd" for year in years],
        }
    ]
    if ytd:
        datasets.append(
            {
                "label": f"{fiscal_year_label(current - 1)}, same dates",
                "type": "line",
                "points": True,
                "color": "#b45309",
                "data": [float(ytd["prior_ar"]) if year == current else None for year in years],
            }
        )
    chart = {
        "labels": [label(year) for year in years],
        "datasets": datasets,
        "format": "money",
        "yPrefix": "USD ",
        "legend": bool(ytd),
    }
    return chart, ytd
