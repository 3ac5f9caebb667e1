"""The opportunity page: its fields, partners and business value, the stage / amount /
close-date history (StageChange), the escalation thread with the manager's decision; and the
escalation forms (raise: whoever may change the deal; resolve: the owning team's manager or
ops, as the service enforces)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import APPROVE_RULE, can_approve, can_change
from core.exceptions import StaleVersionError

from .. import selectors, services
from ..forms import EscalationForm, ResolveForm, StageMoveForm
from ..models import Escalation, Opportunity, StageChange
from .common import get_opportunity, require_change

STALE_DECISION = (
    "Someone else answered this escalation since you opened the page; their decision is shown."
)


def _history(opportunity: Opportunity) -> list[dict]:
    """The timeline, newest first; stage slugs read as the stages' names."""
    names = {stage.slug: stage.name for stage in selectors.stage_list()}
    rows = []
    for change in selectors.opportunity_history(opportunity=opportunity).reverse():
        row = {"change": change, "from": change.from_value, "to": change.to_value}
        if change.field == StageChange.Field.STAGE:
            row["from"] = names.get(change.from_value, change.from_value)
            row["to"] = names.get(change.to_value, change.to_value)
        rows.append(row)
    return rows


def render_detail(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    escalation_form: EscalationForm | None = None,
    resolve_forms: dict[int, ResolveForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    escalations = list(
        opportunity.escalations.select_related("raised_by", "decided_by").order_by(
            "-created_at", "-pk"
        )
    )
    may_resolve = can_approve(user, opportunity)
    resolve_forms = resolve_forms or {}
    for escalation in escalations:
        if escalation.is_open and may_resolve:
            escalation.form = resolve_forms.get(escalation.pk) or ResolveForm(
                initial={"version": escalation.version}, prefix=f"e{escalation.pk}"
            )
    may_change = can_change(user, opportunity)
    return render(
        request,
        "opportunities/opportunity_detail.html",
        {
            "nav": "pipeline",
            "opportunity": opportunity,
            "partners": list(opportunity.partners.all()),
            "history": _history(opportunity),
            "escalations": escalations,
            "can_edit": may_change,
            "can_resolve": may_resolve,
            "escalation_form": escalation_form or (EscalationForm() if may_change else None),
            "stages": list(selectors.stage_list()),
            "move_form": StageMoveForm(initial={"stage": opportunity.stage.slug}),
            "slips": selectors.with_pipeline_facts(
                Opportunity.objects.filter(pk=opportunity.pk)
            ).values_list("slips", flat=True)[0],
            "slip_count": selectors.SLIP_COUNT,
        },
        status=status,
    )


@login_required
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, get_opportunity(request, pk))


@login_required
@require_POST
def escalation_raise(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_opportunity(request, pk)
    require_change(request, opportunity)
    form = EscalationForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_raise(
                actor=request.user, opportunity=opportunity, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error("note", exc.messages)
        else:
            messages.success(request, "Escalated to the manager.")
            return redirect(f"{opportunity_url(opportunity)}#escalations")
    return render_detail(request, opportunity, escalation_form=form, status=422)


@login_required
@require_POST
def escalation_resolve(request: HttpRequest, pk: int, escalation_id: int) -> HttpResponse:
    opportunity = get_opportunity(request, pk)
    escalation = Escalation.objects.filter(pk=escalation_id, opportunity=opportunity).first()
    if escalation is None:
        raise Http404("No such escalation.")
    if not can_approve(request.user, escalation):
        raise PermissionDenied(APPROVE_RULE)
    form = ResolveForm(request.POST, prefix=f"e{escalation.pk}")
    back = f"{opportunity_url(opportunity)}#escalations"
    if not escalation.is_open:
        messages.error(request, STALE_DECISION)
        return redirect(back)
    if form.is_valid():
        try:
            services.escalation_resolve(
                actor=request.user,
                instance=escalation,
                decision=form.cleaned_data["decision"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersionError:
            messages.error(request, STALE_DECISION)
            return redirect(back)
        except ValidationError as exc:
            form.add_error("decision", exc.messages)
        else:
            messages.success(request, "Decision recorded.")
            return redirect(back)
    return render_detail(request, opportunity, resolve_forms={escalation.pk: form}, status=422)


def opportunity_url(opportunity: Opportunity) -> str:
    return reverse("opportunities:detail", args=[opportunity.pk])
