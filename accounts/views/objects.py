"""The objects on the account page: agreements, deployments and the virtual team. Adding,
editing and deleting them is core.pages' generic add/edit/delete, with the account page as
their home; the virtual team also answers htmx with its card (inline add and remove)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from core.pages import is_htmx, object_delete_view, object_form_view

from .. import selectors, services
from ..access import ACCOUNT_RULE, can_change
from ..forms import AgreementForm, DeploymentForm, TeamMemberForm
from ..models import Account, AccountTeamMember, Agreement, ProductDeployment
from .common import account_home, get_account


def _require_change(request: HttpRequest, obj: models.Model) -> None:
    """The form is never the guard (the service is), but a page never offers a refused one."""
    if not can_change(request.user, obj):
        raise PermissionDenied(ACCOUNT_RULE)


def _get_on_account(request: HttpRequest, model, account: Account, pk: int):
    return get_object_or_404(model.objects.visible_to(request.user), pk=pk, account=account)


# --- agreements ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account(request, pk)
    instance = Agreement(account=account)
    _require_change(request, instance)
    return object_form_view(
        request,
        home=account_home(account, "agreements"),
        instance=instance,
        form_class=AgreementForm,
        save=lambda _obj, data, _version: services.agreement_create(
            actor=request.user, account=account, **data
        ),
        noun="agreement",
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int, agreement_id: int) -> HttpResponse:
    account = get_account(request, pk)
    agreement = _get_on_account(request, Agreement, account, agreement_id)
    _require_change(request, agreement)
    return object_form_view(
        request,
        home=account_home(account, "agreements"),
        instance=agreement,
        form_class=AgreementForm,
        save=lambda obj, data, version: services.agreement_update(
            actor=request.user, instance=obj, data=data, expected_version=version
        ),
        noun="agreement",
    )


@login_required
@require_POST
def agreement_delete(request: HttpRequest, pk: int, agreement_id: int) -> HttpResponse:
    account = get_account(request, pk)
    agreement = _get_on_account(request, Agreement, account, agreement_id)
    return object_delete_view(
        request,
        home=account_home(account, "agreements"),
        delete=lambda: services.agreement_delete(actor=request.user, instance=agreement),
        noun="agreement",
    )


# --- deployments --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def deployment_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account(request, pk)
    instance = ProductDeployment(account=account)
    _require_change(request, instance)
    return object_form_view(
        request,
        home=account_home(account, "deployments"),
        instance=instance,
        form_class=DeploymentForm,
        save=lambda _obj, data, _version: services.deployment_create(
            actor=request.user, account=account, **data
        ),
        noun="deployment",
    )


@login_required
@require_http_methods(["GET", "POST"])
def deployment_edit(request: HttpRequest, pk: int, deployment_id: int) -> HttpResponse:
    account = get_account(request, pk)
    deployment = _get_on_account(request, ProductDeployment, account, deployment_id)
    _require_change(request, deployment)
    return object_form_view(
        request,
        home=account_home(account, "deployments"),
        instance=deployment,
        form_class=DeploymentForm,
        save=lambda obj, data, version: services.deployment_update(
            actor=request.user, instance=obj, data=data, expected_version=version
        ),
        noun="deployment",
    )


@login_required
@require_POST
def deployment_delete(request: HttpRequest, pk: int, deployment_id: int) -> HttpResponse:
    account = get_account(request, pk)
    deployment = _get_on_account(request, ProductDeployment, account, deployment_id)
    return object_delete_view(
        request,
        home=account_home(account, "deployments"),
        delete=lambda: services.deployment_delete(actor=request.user, instance=deployment),
        noun="deployment",
    )


# --- virtual team -------------------------------------------------------------------


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
            "can_edit": can_change(request.user, account),
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
    account = get_account(request, pk)
    if not is_htmx(request):
        return redirect(account_home(account, "team").back_url)
    return _team_card(request, account)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def team_member_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account(request, pk)
    _require_change(request, account)  # adding a person is a change of the account
    return object_form_view(
        request,
        home=account_home(account, "team"),
        instance=AccountTeamMember(account=account),
        form_class=TeamMemberForm,
        form_kwargs={"actor": request.user},
        save=lambda _obj, data, _version: services.team_member_create(
            actor=request.user, account=account, **data
        ),
        noun="team member",
        fragment=lambda form, **kwargs: _team_card(request, account, form, **kwargs),
        saved_notice=_member_added,
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_member_edit(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    account = get_account(request, pk)
    member = _get_on_account(request, AccountTeamMember, account, member_id)
    _require_change(request, member)
    return object_form_view(
        request,
        home=account_home(account, "team"),
        instance=member,
        form_class=TeamMemberForm,
        form_kwargs={"actor": request.user},
        save=lambda obj, data, version: services.team_member_update(
            actor=request.user, instance=obj, data=data, expected_version=version
        ),
        noun="team member",
    )


@login_required
@require_POST
def team_member_delete(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    account = get_account(request, pk)
    member = _get_on_account(request, AccountTeamMember, account, member_id)
    return object_delete_view(
        request,
        home=account_home(account, "team"),
        delete=lambda: services.team_member_delete(actor=request.user, instance=member),
        noun="team member",
        fragment=lambda form, **kwargs: _team_card(request, account, form, **kwargs),
        deleted_notice=f"{member.display_name} removed from the virtual team.",
    )
