"""People, teams and quotas inside the product, for ops (everyone) and for each manager
(their own team). Reads through teams.selectors (the visibility rule), writes through
teams.services (the write rule: ops edit people and teams; ops and the AM's manager set
quotas). The admin stays for emergencies."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.fiscal import fiscal_year_of
from core.pages import Home, is_htmx, object_form_page, object_form_view, save_form

from . import selectors, services
from .access import (
    PEOPLE_PAGES_RULE,
    PEOPLE_RULE,
    QUOTA_RULE,
    can_manage_people,
    can_set_quota,
    can_view_people,
)
from .forms import PersonForm, QuotaForm, TeamForm
from .models import Quota, Team, User

PAGE_SIZE = 50
FISCAL_YEARS_BACK, FISCAL_YEARS_AHEAD = 3, 1  # the quota page's year choices


def _check_view(request: HttpRequest) -> None:
    if not can_view_people(request.user):
        raise PermissionDenied(PEOPLE_PAGES_RULE)


def _check_manage(request: HttpRequest) -> None:
    if not can_manage_people(request.user):
        raise PermissionDenied(PEOPLE_RULE)


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _context(request: HttpRequest, tab: str, **extra: Any) -> dict[str, Any]:
    return {
        "nav": "people",
        "tab": tab,
        "can_manage": can_manage_people(request.user),
        "capacity": settings.AM_ACCOUNT_CAPACITY,
        **extra,
    }


# --- people -------------------------------------------------------------------------


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    """Everyone the user may see: role, team, active accounts against the capacity."""
    _check_view(request)
    q = request.GET.get("q", "").strip()
    people = selectors.user_list(user=request.user).order_by(
        "-is_active", "first_name", "last_name", "username"
    )
    if q:
        people = people.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    page = _page(request, people)
    for person in page:
        person.over_capacity = person.role == User.Role.AM and selectors.is_over_capacity(
            person.active_account_count
        )
    return render(request, "teams/people_list.html", _context(request, "people", page=page, q=q))


PEOPLE_HOME = Home(
    url="/people/", anchor="people", breadcrumbs=[("People", "/people/")], nav="people"
)


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    _check_manage(request)
    return object_form_view(
        request,
        home=PEOPLE_HOME,
        instance=User(),
        form_class=PersonForm,
        save=lambda _instance, data, _version: services.user_create(actor=request.user, **data),
        noun="person",
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _check_manage(request)
    person = selectors.user_list(user=request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return object_form_view(
        request,
        home=PEOPLE_HOME,
        instance=person,
        form_class=PersonForm,
        save=lambda instance, data, version: services.user_update(
            actor=request.user, instance=instance, data=data, expected_version=version
        ),
        noun="person",
    )


# --- teams --------------------------------------------------------------------------


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    """Teams with their members (two queries however many teams and people)."""
    _check_view(request)
    members = User.objects.order_by("-is_active", "first_name", "last_name").annotate(
        active_account_count=Count("owned_accounts", filter=Q(owned_accounts__is_active=True))
    )
    teams = (
        selectors.team_list(user=request.user)
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("name")
    )
    page = _page(request, teams)
    return render(request, "teams/team_list.html", _context(request, "teams", page=page))


TEAMS_HOME = Home(
    url="/people/teams/", anchor="teams", breadcrumbs=[("Teams", "/people/teams/")], nav="people"
)


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    _check_manage(request)
    return object_form_view(
        request,
        home=TEAMS_HOME,
        instance=Team(),
        form_class=TeamForm,
        save=lambda _instance, data, _version: services.team_create(actor=request.user, **data),
        noun="team",
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _check_manage(request)
    team = selectors.team_list(user=request.user).filter(pk=pk).first()
    if team is None:
        raise Http404
    return object_form_view(
        request,
        home=TEAMS_HOME,
        instance=team,
        form_class=TeamForm,
        save=lambda instance, data, version: services.team_update(
            actor=request.user, instance=instance, data=data, expected_version=version
        ),
        noun="team",
    )


# --- quotas -------------------------------------------------------------------------


def _fiscal_year(request: HttpRequest) -> tuple[int, list[int]]:
    from django.utils import timezone

    current = fiscal_year_of(timezone.localdate())
    choices = list(range(current - FISCAL_YEARS_BACK, current + FISCAL_YEARS_AHEAD + 1))
    try:
        fy = int(request.GET.get("fy") or request.POST.get("fy") or 0)
    except ValueError:
        fy = 0
    return (fy if fy in choices else current), choices


def _quota_ams(user: User):
    return (
        selectors.user_list(user=user)
        .filter(role=User.Role.AM)
        .order_by("-is_active", "first_name", "last_name", "username")
    )


@login_required
def quota_list(request: HttpRequest) -> HttpResponse:
    """Each AM the user may see, with their quota for the fiscal year and its split: three
    queries (count, AMs, that page's quotas) however many AMs."""
    _check_view(request)
    fy, choices = _fiscal_year(request)
    page = _page(request, _quota_ams(request.user).select_related("team"))
    quotas = {
        quota.user_id: quota
        for quota in Quota.objects.filter(fiscal_year=fy, user__in=[am.pk for am in page])
    }
    rows = [_quota_row(request.user, am, quotas.get(am.pk), fy) for am in page]
    return render(
        request,
        "teams/quota_list.html",
        _context(request, "quotas", page=page, rows=rows, fy=fy, fiscal_years=choices),
    )


def _quota_row(actor: User, am: User, quota: Quota | None, fy: int) -> dict[str, Any]:
    return {
        "am": am,
        "quota": quota,
        "fy": fy,
        "can_edit": am.is_active and can_set_quota(actor, am),
        "edit_url": reverse("teams:quota_edit", args=[am.pk, fy]),
    }


@login_required
@require_http_methods(["GET", "POST"])
def quota_edit(request: HttpRequest, user_id: int, fy: int) -> HttpResponse:
    """Set one AM's quota for one fiscal year. htmx swaps the table row for its inline form
    and back; without JavaScript the same URL is a page with the form."""
    _check_view(request)
    am = _quota_ams(request.user).select_related("team").filter(pk=user_id).first()
    _, choices = _fiscal_year(request)
    if am is None or fy not in choices:
        raise Http404
    if not can_set_quota(request.user, am):
        raise PermissionDenied(QUOTA_RULE)
    quota = Quota.objects.filter(user=am, fiscal_year=fy).first()
    instance = quota or Quota(user=am, fiscal_year=fy)
    inline = is_htmx(request)
    conflicts = None
    if request.method == "POST":
        form = QuotaForm(request.POST, instance=Quota(**_fields(instance)))

        def save(data, version):
            if quota is None:
                services.quota_create(actor=request.user, user=am, fiscal_year=fy, **data)
            else:
                services.quota_update(
                    actor=request.user, instance=quota, data=data, expected_version=version
                )

        saved, conflicts = save_form(request, form, save)
        if saved:
            if inline:
                saved_quota = Quota.objects.get(user=am, fiscal_year=fy)
                return render(
                    request,
                    "teams/partials/quota_row.html",
                    {
                        "row": _quota_row(request.user, am, saved_quota, fy),
                        "notice": f"Quota for {am} saved.",
                    },
                )
            messages.success(request, f"Quota for {am} in FY{fy} saved.")
            return redirect(f"{reverse('teams:quotas')}?fy={fy}")
    elif inline and request.GET.get("cancel"):
        row = _quota_row(request.user, am, quota, fy)
        return render(request, "teams/partials/quota_row.html", {"row": row})
    elif request.GET.get("cancel"):
        return redirect(f"{reverse('teams:quotas')}?fy={fy}")
    else:
        form = QuotaForm(instance=instance)
    if inline:
        return render(
            request,
            "teams/partials/quota_form_row.html",
            {"row": _quota_row(request.user, am, quota, fy), "form": form},
            status=422 if form.is_bound else 200,
        )
    return object_form_page(
        request,
        form=form,
        title=f"Quota for {am} · FY{fy}",
        breadcrumbs=[("Quotas", f"{reverse('teams:quotas')}?fy={fy}")],
        submit_label="Save quota",
        cancel_url=f"{reverse('teams:quotas')}?fy={fy}",
        conflicts=conflicts,
        nav="people",
    )


def _fields(quota: Quota) -> dict[str, Any]:
    """A copy of `quota` for the form to validate on (the service compares with the row)."""
    return {f.attname: getattr(quota, f.attname) for f in Quota._meta.concrete_fields}
