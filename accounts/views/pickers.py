"""Suggestions for the reference pickers on the account forms (core.pickers): each over the
rows the user may pick there, never more."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from core.forms import person_label
from core.pickers import picker_view

from .. import selectors
from ..access import assignable_owners, member_candidates
from ..forms import PERSON_SEARCH, account_label
from .common import get_account


@login_required
@require_GET
def pick_account(request: HttpRequest) -> HttpResponse:
    queryset = selectors.account_parent_choices(user=request.user).select_related("owner")
    exclude = request.GET.get("exclude", "")
    if exclude.isdigit():
        queryset = queryset.exclude(pk=int(exclude))
    return picker_view(
        request,
        queryset=queryset,
        search=["name", "external_id"],
        display=account_label,
        detail=lambda a: a.owner.get_full_name() or a.owner.username,
    )


def _person_detail(user) -> str:
    return user.title or user.get_role_display()


@login_required
@require_GET
def pick_owner(request: HttpRequest) -> HttpResponse:
    return picker_view(
        request,
        queryset=assignable_owners(user=request.user).order_by("first_name", "last_name"),
        search=PERSON_SEARCH,
        display=person_label,
        detail=_person_detail,
    )


@login_required
@require_GET
def pick_member(request: HttpRequest, pk: int) -> HttpResponse:
    get_account(request, pk)  # 404 for an account outside the user's view
    return picker_view(
        request,
        queryset=member_candidates(request.user).order_by("first_name", "last_name"),
        search=PERSON_SEARCH,
        display=person_label,
        detail=_person_detail,
    )
