"""Create and edit an account."""

import copy
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.pages import save_form
from teams.models import User
from teams.selectors import am_account_load, ams_at_capacity, is_over_capacity

from .. import services
from ..access import ACCOUNT_RULE, assignable_owners, can_change, can_reassign
from ..forms import AccountForm
from ..models import Account
from .common import get_account


def _capacity_warnings(request: HttpRequest, account: Account | None) -> list[User]:
    """The owners this user may pick who are at capacity already (a warning, not a refusal):
    an AM creating an account, themselves; a manager or ops, the AMs they may assign."""
    user = request.user
    if account is not None and not can_reassign(user, account):
        return []
    candidates = assignable_owners(user=user)
    if account is not None:
        candidates = candidates.exclude(pk=account.owner_id)
    return ams_at_capacity(candidates=candidates)


def _warn_if_over_capacity(request: HttpRequest, owner_id: int) -> None:
    load = am_account_load(user_ids=[owner_id]).get(owner_id, 0)
    if is_over_capacity(load):
        owner = User.objects.get(pk=owner_id)
        messages.warning(
            request,
            f"{owner} now carries {load} active accounts, above the capacity of "
            f"{settings.AM_ACCOUNT_CAPACITY}.",
        )


def _form_page(request: HttpRequest, form: AccountForm, conflicts, **context: Any):
    status = getattr(form, "response_status", 200)
    context["capacity_warnings"] = _capacity_warnings(request, context.get("account"))
    context["capacity"] = settings.AM_ACCOUNT_CAPACITY
    return render(
        request,
        "accounts/account_form.html",
        {
            "nav": "accounts",
            "form": form,
            "conflicts": conflicts,
            **context,
        },
        status=status,
    )


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
            _warn_if_over_capacity(request, created[0].owner_id)
            return redirect("accounts:detail", pk=created[0].pk)
    else:
        form = AccountForm(instance=Account(), user=request.user)
    return _form_page(
        request,
        form,
        conflicts,
        account=None,
        title="New account",
        submit_label="Create account",
        cancel_url=reverse("accounts:list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account(request, pk)
    if not can_change(request.user, account):
        raise PermissionDenied(ACCOUNT_RULE)
    conflicts = None
    if request.method == "POST":
        # The form validates on its own copy: the service compares against the stored row.
        form = AccountForm(request.POST, instance=copy.copy(account), user=request.user)

        def save(data, version):
            services.account_update(
                actor=request.user,
                instance=copy.copy(account),
                data=data,
                expected_version=version,
            )

        saved, conflicts = save_form(request, form, save)
        if saved:
            messages.success(request, f"Account “{form.cleaned_data['name']}” saved.")
            new_owner = form.cleaned_data.get("owner")
            if new_owner is not None and new_owner.pk != account.owner_id:
                _warn_if_over_capacity(request, new_owner.pk)
            return redirect("accounts:detail", pk=account.pk)
    else:
        form = AccountForm(instance=account, user=request.user)
    return _form_page(
        request,
        form,
        conflicts,
        account=account,
        title=f"Edit {account.name}",
        submit_label="Save account",
        cancel_url=reverse("accounts:detail", args=[account.pk]),
    )
