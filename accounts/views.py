"""Account pages: home, the account list (and its CSV export), the account page and the
forms for the account and the objects on it.

Every query starts from the visibility-scoped selectors, so an account (or anything on it)
the user may not see answers 404. Views only parse input and call accounts.services; saving
a form, the conflict table, list query strings and CSV exports come from core.pages.

htmx requests (core.pages.is_htmx) get fragments from the same views, rendered from the same
context: the list's results card and the account page's virtual-team card
(templates in accounts/partials/). Without htmx the pages answer exactly as they always did.
"""

import copy
import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models
from django.db.models.deletion import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from core.context_processors import selected_fiscal_year
from core.fiscal import fiscal_year_bounds, fiscal_year_label
from core.forms import VersionedModelForm
from core.pages import (
    csv_response,
    htmx_location,
    is_htmx,
    object_form_page,
    querystring,
    save_form,
    sort_headers,
)
from teams.models import User
from teams.selectors import am_account_load, assignable_owners, is_over_capacity

from . import selectors, services
from .forms import AccountForm, AgreementForm, DeploymentForm, TeamMemberForm
from .models import Account, AccountTeamMember, Agreement, ProductDeployment

PAGE_SIZE = 25
STATUS_FILTERS = {"active": True, "inactive": False, "all": None}
SORTABLE_COLUMNS = ["name", "segment", "sector", "territory", "owner", "ltp", "updated"]
# The list's parameters in query-string order, with the values left out of its URLs.
LIST_DEFAULTS = {
    "q": "",
    "segment": "",
    "sector": "",
    "territory": "",
    "owner": "",
    "industry": "",
    "below_ltp": False,
    "status": "active",
    "sort": "name",
}


# --- home ---------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    counts = selectors.account_counts(user=user)
    due = list(selectors.agreements_due(user=user, today=today, days=settings.AGREEMENT_DUE_DAYS))
    for agreement in due:
        agreement.status = agreement.renewal_status_on(today)
        agreement.days_left = (agreement.end_date - today).days

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
        "home.html",
        {
            "nav": "home",
            "today": today,
            "counts": counts,
            "due": due,
            "due_days": settings.AGREEMENT_DUE_DAYS,
            "own_load": own_load,
            "own_over_capacity": own_load is not None and is_over_capacity(own_load),
            "over_capacity_ams": over_capacity_ams,
            "capacity": settings.AM_ACCOUNT_CAPACITY,
        },
    )


# --- list and export ----------------------------------------------------------------


def _list_params(request: HttpRequest) -> dict[str, Any]:
    """The list's filters from the query string, cleaned; unknown values fall back."""
    get = request.GET
    segment = get.get("segment", "")
    status = get.get("status", "active")
    sort = get.get("sort", "name")
    return {
        "q": get.get("q", "").strip(),
        "segment": segment if segment in Account.Segment.values else "",
        "sector": get.get("sector", ""),
        "territory": get.get("territory", ""),
        "owner": get.get("owner", ""),
        "industry": get.get("industry", ""),
        "below_ltp": get.get("below_ltp", "") in {"1", "on", "true", "yes"},
        "status": status if status in STATUS_FILTERS else "active",
        "sort": sort if sort.lstrip("-") in SORTABLE_COLUMNS else "name",
    }


def _filtered_accounts(request: HttpRequest, params: dict[str, Any]):
    return selectors.account_list(
        user=request.user,
        q=params["q"],
        segment=params["segment"],
        sector=params["sector"],
        territory=params["territory"],
        owner=params["owner"],
        industry=params["industry"],
        below_ltp=params["below_ltp"],
        active=STATUS_FILTERS[params["status"]],
        sort=params["sort"],
    )


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
    params = _list_params(request)
    if request.GET.get("format") == "csv":
        return _accounts_csv(request, params)
    fragment = is_htmx(request)
    accounts = _filtered_accounts(request, params)
    page_obj = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    loads = am_account_load(user_ids={a.owner_id for a in rows}) if rows else {}
    for account in rows:
        account.owner_over_capacity = is_over_capacity(loads.get(account.owner_id, 0))
    query = querystring(params, LIST_DEFAULTS)
    filtered = any(
        [
            params["q"],
            params["segment"],
            params["sector"],
            params["territory"],
            params["owner"],
            params["industry"],
            params["below_ltp"],
            params["status"] != "active",
        ]
    )
    context = {
        "nav": "accounts",
        "rows": rows,
        "page_obj": page_obj,
        "params": params,
        "segments": Account.Segment.choices,
        "sort_headers": sort_headers(
            params, LIST_DEFAULTS, columns=SORTABLE_COLUMNS, descending_first={"ltp", "updated"}
        ),
        "querystring_without_page": query,
        "export_url": reverse("accounts:export") + (f"?{query}" if query else ""),
        "filtered": filtered,
    }
    if not fragment:
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
    return _accounts_csv(request, _list_params(request))


CSV_COLUMNS = [
    "id",
    "name",
    "external_id",
    "segment",
    "sector",
    "industry",
    "territory",
    "owner_username",
    "owner_name",
    "ltp",
    "below_ltp",
    "parent",
    "is_active",
    "updated_at",
]


def _accounts_csv(request: HttpRequest, params: dict[str, Any]) -> HttpResponse:
    """Exactly the rows the list shows for these filters and this sort, every page."""
    accounts = _filtered_accounts(request, params)
    rows = (
        (
            a.pk,
            a.name,
            a.external_id or "",
            a.segment,
            a.sector,
            a.industry,
            a.territory,
            a.owner.username,
            a.owner.get_full_name(),
            f"{a.ltp:.2f}",
            "yes" if a.below_ltp_threshold else "no",
            a.parent.name if a.parent_id else "",
            "yes" if a.is_active else "no",
            timezone.localtime(a.updated_at).isoformat(timespec="seconds"),
        )
        for a in accounts.iterator(chunk_size=500)
    )
    stamp = timezone.localdate().isoformat()
    return csv_response(filename=f"keyplan-accounts-{stamp}.csv", header=CSV_COLUMNS, rows=rows)


# --- account page -------------------------------------------------------------------


def _get_account(request: HttpRequest, pk: int) -> Account:
    try:
        return selectors.account_get(user=request.user, pk=pk)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


def _year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _ar_facts(request: HttpRequest, account: Account) -> dict[str, Any]:
    """AR this fiscal year to date and growth against the same dates a year earlier."""
    fy = selected_fiscal_year(request)
    start, end = fiscal_year_bounds(fy)
    window_end = min(end, timezone.localdate())
    if window_end < start:  # a future fiscal year: nothing to measure yet
        return {"fy": fy, "fy_label": fiscal_year_label(fy), "ar": None, "growth": None}
    ar = selectors.account_ar_for_window(account=account, start=start, end=window_end)
    prior = selectors.account_ar_for_window(
        account=account, start=_year_earlier(start), end=_year_earlier(window_end)
    )
    growth = ((ar - prior) / prior) if prior else None
    return {
        "fy": fy,
        "fy_label": fiscal_year_label(fy),
        "ar": ar,
        "prior_ar": prior,
        "growth": growth,
        "window_start": start,
        "window_end": window_end,
        "ytd": window_end < end,
    }


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get_account(request, pk)
    today = timezone.localdate()
    owner_load = am_account_load(user_ids=[account.owner_id]).get(account.owner_id, 0)

    agreements = list(selectors.account_agreements(account=account))
    for agreement in agreements:
        agreement.status = agreement.renewal_status_on(today)
        agreement.days_left = (agreement.end_date - today).days

    revenue = selectors.account_revenue_by_fiscal_year(account=account)
    ar = _ar_facts(request, account)
    chart = {
        "labels": [fiscal_year_label(fy) for fy, _ in revenue],
        "datasets": [
            {
                "label": "AR",
                "data": [float(total) for _, total in revenue],
                "color": ["primary" if fy == ar["fy"] else "#93a3bd" for fy, _ in revenue],
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
            "owner_load": owner_load,
            "owner_over_capacity": is_over_capacity(owner_load),
            "parent": selectors.account_visible_parent(user=request.user, account=account),
            "downstream": list(selectors.account_downstream(user=request.user, account=account)),
            "team": list(selectors.account_team(account=account)),
            "agreements": agreements,
            "deployments": list(selectors.account_deployments(account=account)),
            "revenue": revenue,
            "chart": chart,
            "ar": ar,
            "capacity": settings.AM_ACCOUNT_CAPACITY,
        },
    )


# --- account create / edit ----------------------------------------------------------


def _account_form_extra(request: HttpRequest) -> dict[str, Any]:
    options = selectors.account_filter_options(user=request.user)
    return {"datalists": {k: options[v] for k, v in DATALISTS.items()}}


DATALISTS = {"industry": "industries", "sector": "sectors", "territory": "territories"}


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    conflicts = None
    if request.method == "POST":
        form = AccountForm(request.POST, instance=Account(), user=request.user)
        created: list[Account] = []

        def save(data, _version):
            created.append(services.account_create(actor=request.user, **data))

        saved, conflicts = save_form(request, form, save)
        if saved:
            messages.success(request, f"Account “{created[0].name}” created.")
            return redirect("accounts:detail", pk=created[0].pk)
    else:
        form = AccountForm(instance=Account(), user=request.user)
    return render(
        request,
        "accounts/account_form.html",
        {
            "nav": "accounts",
            "form": form,
            "account": None,
            "title": "New account",
            "submit_label": "Create account",
            "cancel_url": reverse("accounts:list"),
            "conflicts": conflicts,
            **_account_form_extra(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get_account(request, pk)
    conflicts = None
    if request.method == "POST":
        # The form validates on its own copy: the service compares against the stored row.
        form = AccountForm(request.POST, instance=copy.copy(account), user=request.user)

        def save(data, version):
            services.account_update(
                actor=request.user,
                account=copy.copy(account),
                data=data,
                expected_version=version,
            )

        saved, conflicts = save_form(request, form, save)
        if saved:
            messages.success(request, f"Account “{form.cleaned_data['name']}” saved.")
            return redirect("accounts:detail", pk=account.pk)
    else:
        form = AccountForm(instance=account, user=request.user)
    return render(
        request,
        "accounts/account_form.html",
        {
            "nav": "accounts",
            "form": form,
            "account": account,
            "title": f"Edit {account.name}",
            "submit_label": "Save account",
            "cancel_url": reverse("accounts:detail", args=[account.pk]),
            "conflicts": conflicts,
            **_account_form_extra(request),
        },
    )


# --- objects on the account page ----------------------------------------------------


def _detail_url(account: Account, anchor: str) -> str:
    return reverse("accounts:detail", args=[account.pk]) + f"#{anchor}"


# fragment(form, notice=..., error=..., status=...) renders the card an object lives in on the
# account page, for htmx: with its inline form open (`form`) or closed (None) and the result
# of the action. See _team_card.
Fragment = Callable[..., HttpResponse]


def _subobject_view(
    request: HttpRequest,
    *,
    account: Account,
    instance: models.Model,
    form_class: type[VersionedModelForm],
    create,
    update,
    noun: str,
    anchor: str,
    fragment: Fragment | None = None,
    saved_notice: Callable[[VersionedModelForm], str] | None = None,
) -> HttpResponse:
    """Add or edit one object on the account page; the service does the write.

    The full-page form, and a redirect to the account page once saved. With `fragment`, an
    htmx request gets the card instead, from the same form handling: the inline form (GET),
    the form with its errors (status 422, which the htmx config swaps) or, once saved, the
    refreshed card with `saved_notice(form)`. Only creates use it, so there is no stale-save
    conflict table to show inline.
    """
    is_new = instance.pk is None
    inline = fragment is not None and is_htmx(request)
    conflicts = None
    if request.method == "POST":
        form = form_class(request.POST, instance=copy.copy(instance))

        def save(data, version):
            if is_new:
                create(data)
            else:
                update(copy.copy(instance), data, version)

        saved, conflicts = save_form(request, form, save)
        if saved and inline:
            notice = saved_notice(form) if saved_notice else ""
            return fragment(None, notice=notice)
        if saved:
            messages.success(request, f"{noun.capitalize()} {'added' if is_new else 'saved'}.")
            return redirect(_detail_url(account, anchor))
    else:
        form = form_class(instance=instance)
    if inline:
        _autofocus(form)
        return fragment(form, status=422 if form.is_bound else 200)
    return object_form_page(
        request,
        form=form,
        title=f"Add {noun}" if is_new else f"Edit {noun}",
        breadcrumbs=[
            ("Accounts", reverse("accounts:list")),
            (account.name, reverse("accounts:detail", args=[account.pk])),
        ],
        submit_label=f"Add {noun}" if is_new else "Save",
        cancel_url=_detail_url(account, anchor),
        conflicts=conflicts,
        nav="accounts",
    )


def _autofocus(form: VersionedModelForm) -> None:
    """Focus (once htmx swaps the form in) the first field with an error, else the first."""
    names = [name for name, field in form.fields.items() if not field.widget.is_hidden]
    invalid = [name for name in names if name in form.errors]
    first = (invalid or names or [None])[0]
    if first is not None:
        form.fields[first].widget.attrs["autofocus"] = True


def _delete_view(
    request: HttpRequest,
    *,
    account: Account,
    delete,
    noun: str,
    anchor: str,
    fragment: Fragment | None = None,
    deleted_notice: str = "",
) -> HttpResponse:
    """Delete one object on the account page, then back to the page (htmx: to its card)."""
    inline = fragment is not None and is_htmx(request)
    try:
        delete()
    except ProtectedError:
        error = f"This {noun} is referred to by other records, so it cannot be deleted."
        if inline:
            return fragment(None, error=error)
        messages.error(request, error)
    else:
        if inline:
            return fragment(None, notice=deleted_notice or f"{noun.capitalize()} deleted.")
        messages.success(request, f"{noun.capitalize()} deleted.")
    return redirect(_detail_url(account, anchor))


# Agreements


def _get_agreement(request: HttpRequest, account: Account, agreement_id: int) -> Agreement:
    return get_object_or_404(
        Agreement.objects.visible_to(request.user), pk=agreement_id, account=account
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get_account(request, pk)
    return _subobject_view(
        request,
        account=account,
        instance=Agreement(account=account),
        form_class=AgreementForm,
        create=lambda data: services.agreement_create(actor=request.user, account=account, **data),
        update=None,
        noun="agreement",
        anchor="agreements",
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int, agreement_id: int) -> HttpResponse:
    account = _get_account(request, pk)
    agreement = _get_agreement(request, account, agreement_id)
    return _subobject_view(
        request,
        account=account,
        instance=agreement,
        form_class=AgreementForm,
        create=None,
        update=lambda obj, data, version: services.agreement_update(
            actor=request.user, agreement=obj, data=data, expected_version=version
        ),
        noun="agreement",
        anchor="agreements",
    )


@login_required
@require_POST
def agreement_delete(request: HttpRequest, pk: int, agreement_id: int) -> HttpResponse:
    account = _get_account(request, pk)
    agreement = _get_agreement(request, account, agreement_id)
    return _delete_view(
        request,
        account=account,
        delete=lambda: services.agreement_delete(actor=request.user, agreement=agreement),
        noun="agreement",
        anchor="agreements",
    )


# Deployments


def _get_deployment(
    request: HttpRequest, account: Account, deployment_id: int
) -> ProductDeployment:
    return get_object_or_404(
        ProductDeployment.objects.visible_to(request.user), pk=deployment_id, account=account
    )


@login_required
@require_http_methods(["GET", "POST"])
def deployment_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get_account(request, pk)
    return _subobject_view(
        request,
        account=account,
        instance=ProductDeployment(account=account),
        form_class=DeploymentForm,
        create=lambda data: services.deployment_create(actor=request.user, account=account, **data),
        update=None,
        noun="deployment",
        anchor="deployments",
    )


@login_required
@require_http_methods(["GET", "POST"])
def deployment_edit(request: HttpRequest, pk: int, deployment_id: int) -> HttpResponse:
    account = _get_account(request, pk)
    deployment = _get_deployment(request, account, deployment_id)
    return _subobject_view(
        request,
        account=account,
        instance=deployment,
        form_class=DeploymentForm,
        create=None,
        update=lambda obj, data, version: services.deployment_update(
            actor=request.user, deployment=obj, data=data, expected_version=version
        ),
        noun="deployment",
        anchor="deployments",
    )


@login_required
@require_POST
def deployment_delete(request: HttpRequest, pk: int, deployment_id: int) -> HttpResponse:
    account = _get_account(request, pk)
    deployment = _get_deployment(request, account, deployment_id)
    return _delete_view(
        request,
        account=account,
        delete=lambda: services.deployment_delete(actor=request.user, deployment=deployment),
        noun="deployment",
        anchor="deployments",
    )


# Virtual team


def _get_member(request: HttpRequest, account: Account, member_id: int) -> AccountTeamMember:
    return get_object_or_404(
        AccountTeamMember.objects.visible_to(request.user), pk=member_id, account=account
    )


def _team_card(
    request: HttpRequest,
    account: Account,
    form: TeamMemberForm | None = None,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The virtual-team card (accounts/partials/team_card.html), as the account page shows
    it, with the inline add `form` open when given and the last action's notice or error."""
    return render(
        request,
        "accounts/partials/team_card.html",
        {
            "account": account,
            "team": list(selectors.account_team(account=account)),
            "team_form": form,
            "team_notice": notice,
            "team_error": error,
        },
        status=status,
    )


def _member_added(form: TeamMemberForm) -> str:
    data = form.cleaned_data
    who = str(data["user"]) if data.get("user") else data["name"]
    return f"{who} added as {AccountTeamMember.Role(data['role']).label}."


@login_required
@require_GET
@vary_on_headers("HX-Request")
def team_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The virtual-team card alone (htmx: "Cancel" on the inline form); else the page."""
    account = _get_account(request, pk)
    if not is_htmx(request):
        return redirect(_detail_url(account, "team"))
    return _team_card(request, account)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def team_member_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get_account(request, pk)
    return _subobject_view(
        request,
        account=account,
        instance=AccountTeamMember(account=account),
        form_class=TeamMemberForm,
        create=lambda data: services.team_member_add(actor=request.user, account=account, **data),
        update=None,
        noun="team member",
        anchor="team",
        fragment=lambda form, **kwargs: _team_card(request, account, form, **kwargs),
        saved_notice=_member_added,
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_member_edit(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    account = _get_account(request, pk)
    member = _get_member(request, account, member_id)
    return _subobject_view(
        request,
        account=account,
        instance=member,
        form_class=TeamMemberForm,
        create=None,
        update=lambda obj, data, version: services.team_member_update(
            actor=request.user, member=obj, data=data, expected_version=version
        ),
        noun="team member",
        anchor="team",
    )


@login_required
@require_POST
def team_member_delete(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    account = _get_account(request, pk)
    member = _get_member(request, account, member_id)
    return _delete_view(
        request,
        account=account,
        delete=lambda: services.team_member_remove(actor=request.user, member=member),
        noun="team member",
        anchor="team",
        fragment=lambda form, **kwargs: _team_card(request, account, form, **kwargs),
        deleted_notice=f"{member.display_name} removed from the virtual team.",
    )
