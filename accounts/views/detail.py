"""The account page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.context_processors import selected_fiscal_year
from core.fiscal import fiscal_year_label
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
    chart = {
        "labels": [fiscal_year_label(year) for year, _ in revenue],
        "datasets": [
            {
                "label": "AR",
                "data": [float(total) for _, total in revenue],
                "color": ["primary" if year == fy else "#93a3bd" for year, _ in revenue],
            }
        ],
        "format": "money",
        "yPrefix": "USD ",
        "legend": False,
    }
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
            "ar": ar,
            "capacity": settings.AM_ACCOUNT_CAPACITY,
            # What apps above accounts add (settings.KEYPLAN_ACCOUNT_SECTIONS).
            "sections": account_sections(request, account),
        },
    )
