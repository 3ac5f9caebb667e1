"""Add, edit and (soft) delete an opportunity: core.pages' generic add/edit/delete, with the
stale-save merge on edit. An opportunity is added from its account's page (the account is
fixed: ?account=<id>), and lives on its own page."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account
from accounts.selectors import account_get
from core.pages import Home, object_delete_view, object_form_view

from .. import services
from ..forms import OpportunityForm
from ..models import Opportunity
from ..selectors import stage_list
from .common import get_opportunity, opportunity_home, require_change

# A new deal's close date starts this far ahead (the AM changes it).
DEFAULT_CLOSE_DAYS = 90


def account_section_home(account: Account) -> Home:
    """The account page's opportunities card, where a new or deleted deal leads back to."""
    url = reverse("accounts:detail", args=[account.pk])
    return Home(
        url=url,
        anchor="opportunities",
        breadcrumbs=[("Accounts", reverse("accounts:list")), (account.name, url)],
        nav="accounts",
    )


def new_opportunity(user, account: Account) -> Opportunity:
    """An unsaved deal on `account` as the form starts it: the user owns it when they are
    an AM (the service's default too), else the account's owner."""
    return Opportunity(
        account=account,
        owner_id=user.pk if user.is_am else account.owner_id,
        stage=stage_list().first(),
        close_date=timezone.localdate() + datetime.timedelta(days=DEFAULT_CLOSE_DAYS),
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("account", "")
    if not raw.isdigit():
        messages.info(request, "Open the account the deal is on, then choose “Add opportunity”.")
        return redirect("accounts:list")
    try:
        account = account_get(user=request.user, pk=int(raw))
    except Account.DoesNotExist:
        raise Http404("No such account.") from None
    instance = new_opportunity(request.user, account)
    require_change(request, instance)
    return object_form_view(
        request,
        home=account_section_home(account),
        instance=instance,
        form_class=OpportunityForm,
        form_kwargs={"actor": request.user},
        save=lambda _obj, data, _version: services.opportunity_create(
            actor=request.user, account=account, **data
        ),
        noun="opportunity",
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_opportunity(request, pk)
    require_change(request, opportunity)
    return object_form_view(
        request,
        home=opportunity_home(opportunity),
        instance=opportunity,
        form_class=OpportunityForm,
        form_kwargs={"actor": request.user},
        save=lambda obj, data, version: services.opportunity_update(
            actor=request.user, instance=obj, data=data, expected_version=version
        ),
        noun="opportunity",
    )


@login_required
@require_POST
def opportunity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_opportunity(request, pk)
    return object_delete_view(
        request,
        home=account_section_home(opportunity.account),
        delete=lambda: services.opportunity_delete(actor=request.user, instance=opportunity),
        noun="opportunity",
    )
