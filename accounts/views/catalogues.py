"""The catalogues page (sales operations only): each controlled vocabulary's values, with
add, edit and deactivate. Writes through accounts.services.catalogue_*, which check the
rule again (ops only)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.pages import Home, object_form_view

from .. import services
from ..access import CATALOGUE_RULE, can_manage_catalogues
from ..catalogues import KINDS, Kind
from ..forms import catalogue_form


def _kind(request: HttpRequest, kind: str) -> Kind:
    if not can_manage_catalogues(request.user):
        raise PermissionDenied(CATALOGUE_RULE)
    try:
        return KINDS[kind]
    except KeyError:
        raise Http404 from None


def _home(kind: Kind) -> Home:
    url = reverse("catalogue", args=[kind.slug])
    return Home(url=url, anchor="values", breadcrumbs=[(kind.title, url)], nav="people")


@login_required
def catalogue_list(request: HttpRequest, kind: str) -> HttpResponse:
    """One catalogue's values with how many rows use each (one query)."""
    entry_kind = _kind(request, kind)
    related = "deployments" if entry_kind.slug == "products" else "accounts"
    entries = entry_kind.model.objects.annotate(uses=Count(related)).order_by(
        "-is_active", "order", "name"
    )
    return render(
        request,
        "accounts/catalogue_list.html",
        {
            "nav": "people",
            "tab": "catalogues",
            "can_manage": True,
            "kind": entry_kind,
            "kinds": KINDS.values(),
            "entries": entries,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_create(request: HttpRequest, kind: str) -> HttpResponse:
    entry_kind = _kind(request, kind)
    return object_form_view(
        request,
        home=_home(entry_kind),
        instance=entry_kind.model(),
        form_class=catalogue_form(entry_kind.model),
        save=lambda _instance, data, _version: services.catalogue_create(
            actor=request.user, model=entry_kind.model, **data
        ),
        noun=entry_kind.noun,
    )


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    entry_kind = _kind(request, kind)
    entry = entry_kind.model.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404
    return object_form_view(
        request,
        home=_home(entry_kind),
        instance=entry,
        form_class=catalogue_form(entry_kind.model),
        save=lambda instance, data, version: services.catalogue_update(
            actor=request.user, instance=instance, data=data, expected_version=version
        ),
        noun=entry_kind.noun,
    )
