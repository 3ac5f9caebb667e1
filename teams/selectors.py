"""Reads for people, teams and quotas, scoped by the visibility rule (teams.access)."""

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from .access import owner_visibility_q, team_visibility_q, user_visibility_q
from .models import Quota, Team, User


def user_list(*, user: User) -> QuerySet[User]:
    """Visible users, each annotated with `active_account_count` (accounts they own)."""
    return (
        User.objects.filter(user_visibility_q(user))
        .select_related("team")
        .annotate(
            active_account_count=Count(
                "owned_accounts", filter=Q(owned_accounts__is_active=True), distinct=True
            )
        )
    )


def team_list(*, user: User) -> QuerySet[Team]:
    return Team.objects.filter(team_visibility_q(user)).select_related("manager")


def quota_list(*, user: User) -> QuerySet[Quota]:
    return Quota.objects.filter(owner_visibility_q(user, "user")).select_related("user")


def am_account_load(*, user_ids=None) -> dict[int, int]:
    """Active accounts owned per AM, for the capacity flag."""
    qs = User.objects.filter(role=User.Role.AM)
    if user_ids is not None:
        qs = qs.filter(pk__in=user_ids)
    rows = qs.annotate(n=Count("owned_accounts", filter=Q(owned_accounts__is_active=True)))
    return {row.pk: row.n for row in rows}


def is_over_capacity(load: int) -> bool:
    return load > settings.AM_ACCOUNT_CAPACITY


def ams_at_capacity(*, candidates: QuerySet[User]) -> list[User]:
    """The AMs among `candidates` who carry the capacity or more (one more account would put
    them above it), each with `active_account_count`; one query."""
    return list(
        User.objects.filter(pk__in=candidates.values("pk"))
        .annotate(
            active_account_count=Count("owned_accounts", filter=Q(owned_accounts__is_active=True))
        )
        .filter(active_account_count__gte=settings.AM_ACCOUNT_CAPACITY)
        .order_by("first_name", "last_name", "username")
    )
