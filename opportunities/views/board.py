"""The pipeline board: a column per stage with its count and amount, a card per deal.

A card moves by drag and drop (static/js/pipeline.js posts to `stage_move`, asking for
JSON), by the card's stage menu (the same form, keyboard only) or, without JavaScript, by
that menu as a plain form POST. All three call services.stage_move, so the stage rules and
the write permission hold, and a refusal names the rule.

Fast on a large book: the columns' counts and amounts come from one aggregate query, the
cards from two (the first BOARD_CARDS_PER_STAGE ids of each column, soonest close first,
then those rows), whatever the number of deals.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import StaleVersionError
from core.pages import querystring

from .. import exports, selectors, services
from ..forms import StageMoveForm
from .common import get_opportunity
from .lists import filter_options

BOARD_CARDS_PER_STAGE = 25
# Closed columns show the deals closed in the last this many days (and those closing later).
BOARD_CLOSED_DAYS = 90
BOARD_DEFAULTS = {
    key: value
    for key, value in exports.PIPELINE_DEFAULTS.items()
    if key not in ("stage", "status", "sort")
}
FILTER_KEYS = list(BOARD_DEFAULTS)
STALE_MESSAGE = (
    "Someone else changed this deal since the board loaded. Reload the board and try again."
)


def board_queryset(request: HttpRequest):
    filterset, params = exports.pipeline_filter(request.user, request.GET, BOARD_DEFAULTS)
    since = timezone.localdate() - datetime.timedelta(days=BOARD_CLOSED_DAYS)
    queryset = filterset.qs.filter(Q(stage__is_closed=False) | Q(close_date__gte=since))
    return filterset, params, queryset


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    filterset, params, queryset = board_queryset(request)
    totals = selectors.stage_totals(queryset)
    cards = selectors.board_cards(
        selectors.with_can_change(queryset, request.user), per_stage=BOARD_CARDS_PER_STAGE
    )
    by_stage: dict[int, list] = {}
    for card in cards:
        by_stage.setdefault(card.stage_id, []).append(card)
    stages = list(selectors.stage_list())
    columns = []
    for stage in stages:
        total = totals.get(stage.pk, {"count": 0, "amount": 0})
        shown = by_stage.get(stage.pk, [])
        for card in shown:  # built here once, not by a template tag per card
            card.detail_url = reverse("opportunities:detail", args=[card.pk])
            card.move_url = reverse("opportunities:move", args=[card.pk])
        columns.append(
            {
                "stage": stage,
                "cards": shown,
                "more": total["count"] - len(shown),
                # The cards' stage menu, the column's own stage selected (the same for every
                # card of the column).
                "options": format_html_join(
                    "",
                    '<option value="{}"{}>{}</option>',
                    ((s.slug, " selected" if s.pk == stage.pk else "", s.name) for s in stages),
                ),
                **total,
            }
        )
    query = querystring(params, BOARD_DEFAULTS)
    table_query = querystring(params, exports.PIPELINE_DEFAULTS)
    return render(
        request,
        "opportunities/board.html",
        {
            "nav": "pipeline",
            "columns": columns,
            "params": params,
            "ignored": filterset.ignored,
            "options": filter_options(request, params),
            "stale_before": selectors.stale_before(),
            "slip_count": selectors.SLIP_COUNT,
            "closed_days": BOARD_CLOSED_DAYS,
            "board_path": reverse("opportunities:board") + (f"?{query}" if query else ""),
            "table_url": reverse("opportunities:list") + (f"?{table_query}" if table_query else ""),
            "filtered": any(params[key] != BOARD_DEFAULTS[key] for key in FILTER_KEYS),
            "active_filters": sum(params[key] != BOARD_DEFAULTS[key] for key in FILTER_KEYS),
        },
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest, opportunity) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("opportunities:board")


def _refused(request: HttpRequest, opportunity, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        edit = reverse("opportunities:edit", args=[opportunity.pk])
        return JsonResponse({"ok": False, "message": message, "edit_url": edit}, status=status)
    messages.error(request, f"“{opportunity.name}” was not moved: {message}")
    return redirect(_back(request, opportunity))


@login_required
@require_POST
def stage_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move one deal to another stage. JSON for the board's script (200 with the new
    version, or 400/403/409 with the message); without it, back to the board with the
    outcome as a message (a refused write: the 403 page)."""
    opportunity = get_opportunity(request, pk)
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _refused(request, opportunity, message, 400)
    stage = form.cleaned_data["stage"]
    try:
        moved = services.stage_move(
            actor=request.user,
            instance=opportunity,
            stage=stage,
            expected_version=form.cleaned_data["version"],
        )
    except PermissionDenied as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": str(exc)}, status=403)
        raise
    except StaleVersionError:
        return _refused(request, opportunity, STALE_MESSAGE, 409)
    except ValidationError as exc:
        return _refused(request, opportunity, " ".join(exc.messages), 400)
    message = f"“{moved.name}” moved to {stage.name}."
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "message": message,
                "stage": stage.slug,
                "version": moved.version,
                "probability": moved.effective_probability,
            }
        )
    messages.success(request, message)
    return redirect(_back(request, opportunity))
