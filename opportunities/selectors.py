"""Reads for opportunities, always scoped by the visibility rule first (an opportunity is
seen by whoever sees its account: accounts.access)."""

from django.db.models import QuerySet

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
