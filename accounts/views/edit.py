"""Create and edit an account."""

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.pages import save_form

from .. import selectors, services
from ..access import ACCOUNT_RULE, can_change
from ..forms import AccountForm
from ..models import Account
from .common import get_account

DATALISTS = {"industry": "industries", "sector": "sectors", "territory": "territories"}


def _form_page(request: HttpRequest, form: AccountForm, conflicts, **context: Any):
    options = selectors.account_filter_options(user=request.user)
    status = getattr(form, "response_status", 200)
    return render(
        request,
        "accounts/account_form.html",
        {
            "nav": "accounts",
            "form": form,
            "conflicts": conflicts,
            "datalists": {k: options[v] for k, v in DATALISTS.items()},
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
