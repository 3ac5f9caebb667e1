"""Reads for opportunities, always scoped by the visibility rule first (an opportunity is
seen by whoever sees its account: accounts.access)."""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from accounts.access import change_q
from teams.models import User

from .models import Escalation, Opportunity, Partner, Stage, StageChange


def opportunity_list(*, user: User, include_deleted: bool = False) -> QuerySet[Opportunity]:
    """The opportunities `user` sees, with `probability_effective` and
    `forecast_category_effective` annotated (the override, else the stage's), the references
    a list shows loaded and the partners prefetched. Soft-deleted rows only when asked (sync
    readers learn of deletions)."""
    qs = Opportunity.objects.visible_to(user)
    if not include_deleted:
        qs = qs.filter(is_deleted=False)
    return (
        qs.with_effective()
        .select_related("account", "owner", "stage", "agreement")
        .prefetch_related("partners")
    )


def opportunity_get(*, user: User, pk: int) -> Opportunity:
    """One visible, not deleted opportunity, or Opportunity.DoesNotExist (404)."""
    return opportunity_list(user=user).get(pk=pk)


def opportunity_history(*, opportunity: Opportunity) -> QuerySet[StageChange]:
    """The stage, amount and close-date changes of one (visible) opportunity, oldest first."""
    return opportunity.changes.select_related("changed_by").order_by("changed_at", "id")


def escalation_list(*, user: User) -> QuerySet[Escalation]:
    return (
        Escalation.objects.visible_to(user)
        .filter(opportunity__is_deleted=False)
        .select_related("opportunity", "raised_by", "decided_by")
    )


def stage_list() -> QuerySet[Stage]:
    """Every stage, in pipeline order (stages are the same for everyone)."""
    return Stage.objects.order_by("order", "id")


def partner_list() -> QuerySet[Partner]:
    """Partners are shared reference data, seen by every signed-in user."""
    return Partner.objects.order_by("name", "id")


# --- the pipeline pages ---------------------------------------------------------------

# A deal whose close date was pushed later this many times or more is "slipped".
SLIP_COUNT = 2


def slips_subquery():
    """How many times the close date of the outer opportunity was pushed later (from the
    StageChange history; ISO dates compare as text)."""
    pushes = (
        StageChange.objects.filter(
            opportunity=OuterRef("pk"),
            field=StageChange.Field.CLOSE_DATE,
            from_value__gt="",
            to_value__gt=F("from_value"),
        )
        .order_by()
        .values("opportunity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(pushes, output_field=IntegerField()), 0)


def slipped_ids():
    """A subquery of the ids of the opportunities whose close date was pushed later
    SLIP_COUNT times or more: one grouped pass over the history, not a count per deal."""
    return (
        StageChange.objects.filter(
            field=StageChange.Field.CLOSE_DATE,
            from_value__gt="",
            to_value__gt=F("from_value"),
        )
        .order_by()
        .values("opportunity_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=SLIP_COUNT)
        .values("opportunity_id")
    )


def with_pipeline_facts(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """Annotate what the pipeline pages show on every row, in the same query: `slips`
    (close-date pushes) and `open_escalation` (an escalation waits for a decision)."""
    return queryset.annotate(
        slips=slips_subquery(),
        open_escalation=Exists(
            Escalation.objects.filter(opportunity=OuterRef("pk"), resolved_at__isnull=True)
        ),
    )


def changeable(user: User):
    """An expression: whether `user` may change the row (accounts.access.change_q)."""
    rule = change_q(user, Opportunity)
    if not rule.children:  # ops: everything
        return Value(True, output_field=BooleanField())
    return Case(When(rule, then=Value(True)), default=Value(False), output_field=BooleanField())


def pipeline_list(*, user: User) -> QuerySet[Opportunity]:
    """The pipeline pages' rows: the visible, live opportunities with the effective
    probability and forecast category, slips and open escalations annotated, and the
    references each row shows loaded (no partners: neither the table nor the board names
    them)."""
    qs = Opportunity.objects.visible_to(user).filter(is_deleted=False)
    return with_pipeline_facts(qs.with_effective()).select_related("account", "owner", "stage")


def with_can_change(queryset: QuerySet[Opportunity], user: User) -> QuerySet[Opportunity]:
    """Annotate `can_change`: whether `user` may change each row (for the rows that offer a
    control; left off totals, whose query it would only slow with its joins)."""
    return queryset.annotate(can_change=changeable(user))


def pipeline_totals(queryset: QuerySet[Opportunity]) -> dict[str, Any]:
    """Count, amount and weighted amount (amount x effective probability) of `queryset`
    (annotated with `probability_effective`), in one query."""
    totals = queryset.order_by().aggregate(
        total_count=Count("pk"),
        total_amount=Sum("amount"),
        total_weighted=Sum(
            F("amount") * F("probability_effective") / 100,
            output_field=DecimalField(max_digits=20, decimal_places=2),
        ),
    )
    return {
        "count": totals["total_count"],
        "amount": totals["total_amount"] or Decimal("0"),
        "weighted": (totals["total_weighted"] or Decimal("0")).quantize(Decimal("0.01")),
    }


def stale_before() -> datetime.datetime:
    """An open deal not changed since this moment is stale."""
    return timezone.now() - datetime.timedelta(days=settings.OPPORTUNITY_STALE_DAYS)


def stage_totals(queryset: QuerySet[Opportunity]) -> dict[int, dict[str, Any]]:
    """Per stage id: the count and amount of `queryset`, in one query."""
    rows = (
        queryset.order_by()
        .values("stage_id")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("stage_id", "n", "total")
    )
    return {stage: {"count": n, "amount": amount or Decimal("0")} for stage, n, amount in rows}


def board_cards(queryset: QuerySet[Opportunity], *, per_stage: int) -> list[Opportunity]:
    """The first `per_stage` cards of each stage column (soonest close date first), in two
    queries whatever the size of the book: the ids, ranked per stage by a window over the
    bare filtered rows (no per-row annotation computed for the thousands left out), then
    those rows with everything `queryset` annotates."""
    ranked = (
        queryset.order_by()
        .values("pk")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("close_date").asc(), F("pk").asc()],
            )
        )
        .filter(rank__lte=per_stage)
        .values_list("pk", flat=True)
    )
    ids = list(ranked)
    if not ids:
        return []
    return list(queryset.filter(pk__in=ids).order_by("stage__order", "close_date", "pk"))


def account_opportunities(*, account) -> QuerySet[Opportunity]:
    """The live opportunities on one (visible) account for its page: open ones first
    (soonest close first), then closed ones (latest first)."""
    return (
        Opportunity.objects.filter(account=account, is_deleted=False)
        .with_effective()
        .select_related("owner", "stage")
        .order_by("stage__is_closed", "close_date", "pk")
    )
