"""The dashboards: the home page every role lands on. It reads across apps (accounts,
people, and later plans, opportunities and the stored metrics), so it lives at the top of the
import order, here, not in any one app."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import selectors as account_selectors
from accounts.access import assignable_owners
from teams.models import User
from teams.selectors import am_account_load, is_over_capacity

HOME_ROWS = 10  # rows per list on the home page; each list links to all of them


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    due = account_selectors.agreements_due(user=user).select_related("account")
    own_load = None
    over_capacity_ams: list[User] = []
    if user.is_am:
        own_load = am_account_load(user_ids=[user.pk]).get(user.pk, 0)
    else:
        loads = am_account_load(user_ids=assignable_owners(user=user).values("pk"))
        over = {pk: n for pk, n in loads.items() if is_over_capacity(n)}
        if over:
            over_capacity_ams = list(
                User.objects.filter(pk__in=over).order_by("first_name", "last_name")
            )
            for am in over_capacity_ams:
                am.load = over[am.pk]

    return render(
        request,
        "metrics/home.html",
        {
            "nav": "home",
            "today": today,
            "counts": account_selectors.account_counts(user=user),
            # The soonest few; the renewals page lists them all.
            "due": list(due[:HOME_ROWS]),
            "due_total": due.count(),
            "due_days": settings.AGREEMENT_DUE_DAYS,
            "own_load": own_load,
            "own_over_capacity": own_load is not None and is_over_capacity(own_load),
            "over_capacity_ams": over_capacity_ams,
            "capacity": settings.AM_ACCOUNT_CAPACITY,
        },
    )
