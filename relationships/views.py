"""Relationship pages: the account's relationship map (an org chart drawn on the server as
SVG, the coverage strip and a table of the same people), the re-parent form, and add / edit
/ delete a stakeholder with core.pages' kit (stale-save merge on edit).

Every query starts from the visibility-scoped selectors, so an account or a person the user
may not see answers 404; every write goes through relationships.services, which check the
write permission (a refused write answers the 403 page) and the reports_to tree; the pages
only offer the controls accounts.access allows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models.deletion import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can_change, check_change
from accounts.models import Account
from accounts.selectors import account_get
from core.forms import add_service_errors
from core.pages import Home, object_form_view

from . import selectors, services
from .forms import InteractionForm, ReparentForm, StakeholderForm
from .map import build_map, stale_after_days
from .models import STRENGTH_LADDER, Interaction, Stakeholder

# The map page's timeline shows the latest this many interactions.
TIMELINE_ROWS = 20


def get_account(request: HttpRequest, pk: int) -> Account:
    try:
        return account_get(user=request.user, pk=pk)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


def get_stakeholder(request: HttpRequest, pk: int) -> Stakeholder:
    try:
        return selectors.stakeholder_get(user=request.user, pk=pk)
    except Stakeholder.DoesNotExist:
        raise Http404("No such stakeholder.") from None


def require_change(request: HttpRequest, obj) -> None:
    """The service is the guard; a page still never offers a refused form: 403 page."""
    check_change(request.user, obj)


def map_url(account: Account | int) -> str:
    return reverse("relationships:map", args=[getattr(account, "pk", account)])


def map_home(account: Account) -> Home:
    url = map_url(account)
    return Home(
        url=url,
        anchor="map",
        breadcrumbs=[
            ("Accounts", reverse("accounts:list")),
            (account.name, reverse("accounts:detail", args=[account.pk])),
            ("Relationship map", url),
        ],
        nav="accounts",
    )


def new_stakeholder(user, account: Account) -> Stakeholder:
    """An unsaved person on `account` as the form starts it: an AM owns the people they add
    (the service's default too)."""
    return Stakeholder(account=account, internal_owner_id=user.pk if user.is_am else None)


def map_context(request: HttpRequest, account: Account, reparent_form=None) -> dict:
    """What the map (full page and account section) shows, in a constant number of queries:
    the people (one query), coverage (one)."""
    people = selectors.map_stakeholders(user=request.user, account=account)
    names = {p.pk: p.name for p in people}
    for person in people:
        person.manager_name = names.get(person.reports_to_id, "")
    layout = build_map(people, today=timezone.localdate())
    summary = selectors.account_relationship_summary(account=account)
    changeable = [p for p in people if p.can_change]
    if reparent_form is None and changeable:
        reparent_form = ReparentForm(account=account)
    if reparent_form is not None:
        # Offer only the people the user may move; a forged choice is refused by the service.
        reparent_form.fields["person"].choices = [("", "— Choose —")] + [
            (p.pk, p.name + (f" · {p.title}" if p.title else "")) for p in changeable
        ]
        reparent_form.fields["reports_to"].choices = [("", "— Nobody (top of the chart) —")] + [
            (p.pk, p.name + (f" · {p.title}" if p.title else "")) for p in people
        ]
    return {
        "account": account,
        "people": people,
        "layout": layout,
        "summary": summary,
        "coverage": summary.coverage,
        "stale_days": stale_after_days(),
        "ladder": STRENGTH_LADDER.items(),
        "can_add": can_change(request.user, new_stakeholder(request.user, account)),
        "add_url": reverse("relationships:stakeholder_create", args=[account.pk]),
        "reparent_form": reparent_form,
        "reparent_url": reverse("relationships:reparent", args=[account.pk]),
        "map_url": map_url(account),
        "log_url": reverse("relationships:interaction_create", args=[account.pk]),
        "can_log": can_change(request.user, Interaction(account=account, logged_by=request.user)),
    }


@login_required
@require_GET
def relationship_map(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account(request, pk)
    context = map_context(request, account)
    context["nav"] = "accounts"
    context["timeline"] = selectors.account_timeline(account=account, limit=TIMELINE_ROWS)
    return render(request, "relationships/map.html", context)


@login_required
@require_POST
def reparent(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a person under another manager, through the service: a cycle or a refused write
    comes back as a form error (a refused write as the 403 page)."""
    account = get_account(request, pk)
    form = ReparentForm(request.POST, account=account)
    if form.is_valid():
        person = form.cleaned_data["person"]
        manager = form.cleaned_data["reports_to"]
        try:
            services.stakeholder_update(
                actor=request.user, instance=person, data={"reports_to": manager}
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            where = f"now reports to {manager.name}" if manager else "is now at the top"
            messages.success(request, f"{person.name} {where}.")
            return redirect(f"{map_url(account)}#map")
    context = map_context(request, account, reparent_form=form)
    context["nav"] = "accounts"
    return render(request, "relationships/map.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account(request, pk)
    instance = new_stakeholder(request.user, account)
    require_change(request, instance)
    return object_form_view(
        request,
        home=map_home(account),
        instance=instance,
        form_class=StakeholderForm,
        form_kwargs={"actor": request.user},
        save=lambda _obj, data, _version: services.stakeholder_create(
            actor=request.user, account=account, **data
        ),
        noun="stakeholder",
    )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_stakeholder(request, pk)
    require_change(request, person)
    return object_form_view(
        request,
        home=map_home(person.account),
        instance=person,
        form_class=StakeholderForm,
        form_kwargs={"actor": request.user},
        save=lambda obj, data, version: services.stakeholder_update(
            actor=request.user, instance=obj, data=data, expected_version=version
        ),
        noun="stakeholder",
    )


@login_required
@require_POST
def stakeholder_delete(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_stakeholder(request, pk)
    try:
        services.stakeholder_delete(actor=request.user, instance=person)
    except ProtectedError as exc:  # their survey scores count in the account's RM score
        messages.error(request, str(exc.args[0]))
        return redirect(reverse("relationships:stakeholder_edit", args=[person.pk]))
    messages.success(request, f"{person.name} deleted.")
    return redirect(f"{map_url(person.account_id)}#map")


@login_required
@require_http_methods(["GET", "POST"])
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an interaction on the account (date, kind, its people, summary, business value
    discussed): a plain form that works without JavaScript, back to the map's timeline."""
    account = get_account(request, pk)
    instance = Interaction(account=account, logged_by=request.user, date=timezone.localdate())
    require_change(request, instance)
    home = map_home(account)
    return object_form_view(
        request,
        home=Home(url=home.url, anchor="interactions", breadcrumbs=home.breadcrumbs, nav=home.nav),
        instance=instance,
        form_class=InteractionForm,
        save=lambda _obj, data, _version: services.interaction_create(
            actor=request.user, account=account, **data
        ),
        noun="interaction",
    )
