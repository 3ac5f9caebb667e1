"""Account pages: home, the account list (and its CSV export), the account page and the
forms for the account and the objects on it.

Every query starts from the visibility-scoped selectors, so an account (or anything on it)
the user may not see answers 404. Views only parse input and call accounts.services.
"""

import copy
import csv
import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, models
from django.db.models.deletion import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.context_processors import selected_fiscal_year
from core.exceptions import StaleVersionError
from core.fiscal import fiscal_year_bounds, fiscal_year_label
from teams.models import User
from teams.selectors import am_account_load, assignable_owners, is_over_capacity

from . import selectors, services
from .forms import (
    AccountForm,
    AgreementForm,
    DeploymentForm,
    TeamMemberForm,
    VersionedModelForm,
    add_service_errors,
    service_data,
)
from .models import Account, AccountTeamMember, Agreement, ProductDeployment
from .templatetags.keyplan_format import money

PAGE_SIZE = 25
STATUS_FILTERS = {"active": True, "inactive": False, "all": None}
SORTABLE_COLUMNS = ["name", "segment", "sector", "territory", "owner", "ltp", "updated"]
STALE_MESSAGE = (
    "This record was changed by someone else since you opened it. Your changes are kept "
    "below, merged with theirs (see the table): check the form and save again."
)
GONE_MESSAGE = "This record was deleted by someone else while you were editing it."
INTEGRITY_MESSAGE = (
    "This clashes with a record saved a moment ago (for example the same number or name). "
    "Check the values and save again."
)


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


def _querystring(params: dict[str, Any], **overrides: Any) -> str:
    """The filters as a query string, defaults left out so URLs stay short."""
    merged = {**params, **overrides}
    pairs = []
    for key in ("q", "segment", "sector", "territory", "owner", "industry"):
        if merged.get(key):
            pairs.append((key, merged[key]))
    if merged.get("below_ltp"):
        pairs.append(("below_ltp", "1"))
    if merged.get("status", "active") != "active":
        pairs.append(("status", merged["status"]))
    if merged.get("sort", "name") != "name":
        pairs.append(("sort", merged["sort"]))
    return urlencode(pairs)


def _sort_headers(params: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Per column: the link that sorts by it (toggling direction) and its aria-sort."""
    current = params["sort"]
    headers = {}
    for column in SORTABLE_COLUMNS:
        if current == column:
            target, state = f"-{column}", "ascending"
        elif current == f"-{column}":
            target, state = column, "descending"
        else:
            # Numbers and dates read best largest / newest first.
            target = f"-{column}" if column in {"ltp", "updated"} else column
            state = ""
        headers[column] = {"href": "?" + _querystring(params, sort=target), "state": state}
    return headers


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    params = _list_params(request)
    if request.GET.get("format") == "csv":
        return _accounts_csv(request, params)
    accounts = _filtered_accounts(request, params)
    page_obj = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    loads = am_account_load(user_ids={a.owner_id for a in rows}) if rows else {}
    for account in rows:
        account.owner_over_capacity = is_over_capacity(loads.get(account.owner_id, 0))
    querystring = _querystring(params)
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
    return render(
        request,
        "accounts/account_list.html",
        {
            "nav": "accounts",
            "rows": rows,
            "page_obj": page_obj,
            "params": params,
            "options": selectors.account_filter_options(user=request.user),
            "segments": Account.Segment.choices,
            "sort_headers": _sort_headers(params),
            "querystring_without_page": querystring,
            "export_url": reverse("accounts:export") + (f"?{querystring}" if querystring else ""),
            "filtered": filtered,
        },
    )


@login_required
@require_GET
def account_export(request: HttpRequest) -> HttpResponse:
    return _accounts_csv(request, _list_params(request))


def _csv_safe(value: Any) -> Any:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="keyplan-accounts-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for a in accounts.iterator(chunk_size=500):
        writer.writerow(
            [
                _csv_safe(v)
                for v in (
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
            ]
        )
    return response


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


# --- shared form handling -----------------------------------------------------------


def _display(value: Any, model_field: models.Field | None, user: User) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Account) and not Account.objects.visible_to(user).filter(pk=value.pk):
        return "(an account outside your view)"
    if isinstance(value, User):
        return value.get_full_name() or value.username
    if model_field is not None and model_field.flatchoices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime.date):
        return dateformat.format(value, "j M Y")
    return str(value)


def _conflicts(form: VersionedModelForm, current: models.Model, user: User) -> list[dict]:
    """Merge the stale edit onto what is saved now; describe each field that differs."""
    rows = []
    for row in form.rebase(current):
        model_field = current._meta.get_field(row["name"])
        rows.append(
            {
                "label": form.fields[row["name"]].label or row["name"],
                "yours": _display(row["yours"], model_field, user),
                "theirs": _display(row["theirs"], model_field, user),
                "kept": row["kept"],
            }
        )
    return rows


def _save_form(
    request: HttpRequest, form: VersionedModelForm, save, model: type[models.Model]
) -> tuple[bool, list[dict] | None]:
    """Validate `form` and call `save(data, expected_version)`; report errors on the form.

    Returns (saved, conflicts). On a stale version the user's input stays in the form, the
    form's version moves to the one now saved (so saving again is a deliberate choice),
    and `conflicts` lists what differs between their input and what is saved now.
    """
    if not form.is_valid():
        return False, None
    try:
        save(service_data(form), form.expected_version if form.instance.pk else None)
    except StaleVersionError as exc:
        form.add_error(None, STALE_MESSAGE)
        current = model._default_manager.filter(pk=form.instance.pk).first()
        if current is None or exc.current_version is None:
            form.add_error(None, GONE_MESSAGE)
            return False, []
        return False, _conflicts(form, current, request.user)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False, None
    except IntegrityError:
        form.add_error(None, INTEGRITY_MESSAGE)
        return False, None
    return True, None


def _form_page(
    request: HttpRequest,
    *,
    account: Account,
    form: VersionedModelForm,
    title: str,
    eyebrow: str,
    submit: str,
    cancel_url: str,
    conflicts: list[dict] | None,
    template: str = "accounts/object_form.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {
        "nav": "accounts",
        "account": account,
        "form": form,
        "title": title,
        "eyebrow": eyebrow,
        "submit_label": submit,
        "cancel_url": cancel_url,
        "conflicts": conflicts,
        **(extra or {}),
    }
    return render(request, template, context)


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

        saved, conflicts = _save_form(request, form, save, Account)
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

        saved, conflicts = _save_form(request, form, save, Account)
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
) -> HttpResponse:
    """Add or edit one object on the account page; the service does the write."""
    is_new = instance.pk is None
    conflicts = None
    if request.method == "POST":
        form = form_class(request.POST, instance=copy.copy(instance))

        def save(data, version):
            if is_new:
                create(data)
            else:
                update(copy.copy(instance), data, version)

        saved, conflicts = _save_form(request, form, save, type(instance))
        if saved:
            messages.success(request, f"{noun.capitalize()} {'added' if is_new else 'saved'}.")
            return redirect(_detail_url(account, anchor))
    else:
        form = form_class(instance=instance)
    return _form_page(
        request,
        account=account,
        form=form,
        title=f"Add {noun}" if is_new else f"Edit {noun}",
        eyebrow=account.name,
        submit=f"Add {noun}" if is_new else "Save",
        cancel_url=_detail_url(account, anchor),
        conflicts=conflicts,
    )


def _delete_view(request: HttpRequest, *, account: Account, delete, noun: str, anchor: str):
    try:
        delete()
    except ProtectedError:
        messages.error(
            request, f"This {noun} is referred to by other records, so it cannot be deleted."
        )
    else:
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


@login_required
@require_http_methods(["GET", "POST"])
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
    )
