"""Reads for relationships, always scoped by the visibility rule first (a stakeholder, an
interaction or a survey answer is seen by whoever sees its account: accounts.access).

Coverage ("helicoptering", domain.md): for each level from front line up to CXO, is there a
stakeholder with strength >= COVERED_STRENGTH (a credible source or better)? A level without
one is a gap, said in words ("No relationship at CXO level"). `coverage_for_account` reads
one account in one query; `coverage_for_accounts` any number of accounts in one query (for
lists).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.access import change_q
from accounts.models import Account
from teams.models import User

from .models import (
    COVERED_STRENGTH,
    LEVEL_RANK,
    LEVELS_UP,
    Interaction,
    Level,
    Stakeholder,
    SurveyResponse,
)

# --- coverage ---------------------------------------------------------------------------


def gap_message(level: str) -> str:
    return f"No relationship at {Level(level).label} level"


@dataclass(frozen=True)
class LevelCoverage:
    level: str
    label: str
    rank: int
    people: int  # stakeholders at this level
    strong: int  # of them, with strength >= COVERED_STRENGTH

    @property
    def covered(self) -> bool:
        return self.strong > 0

    @property
    def gap(self) -> str:
        return "" if self.covered else gap_message(self.level)


@dataclass(frozen=True)
class Coverage:
    """One account's coverage, front line first (LEVELS_UP)."""

    levels: list[LevelCoverage] = field(default_factory=list)

    @property
    def gaps(self) -> list[str]:
        """The uncovered levels in words, top (CXO) first: the most pressing gap leads."""
        return [level.gap for level in reversed(self.levels) if not level.covered]

    @property
    def covered_count(self) -> int:
        return sum(level.covered for level in self.levels)

    @property
    def is_complete(self) -> bool:
        return self.covered_count == len(self.levels)


def _coverage(counts: dict[str, tuple[int, int]]) -> Coverage:
    return Coverage(
        levels=[
            LevelCoverage(
                level=level,
                label=Level(level).label,
                rank=LEVEL_RANK[level],
                people=counts.get(level, (0, 0))[0],
                strong=counts.get(level, (0, 0))[1],
            )
            for level in LEVELS_UP
        ]
    )


def _level_counts(qs: QuerySet[Stakeholder]) -> QuerySet:
    return (
        qs.order_by()
        .values("account_id", "level")
        .annotate(people=Count("pk"), strong=Count("pk", filter=Q(strength__gte=COVERED_STRENGTH)))
    )


def coverage_for_account(account: Account | int) -> Coverage:
    """One account's coverage per level, in one query."""
    account_id = getattr(account, "pk", account)
    rows = _level_counts(Stakeholder.objects.filter(account_id=account_id))
    return _coverage({row["level"]: (row["people"], row["strong"]) for row in rows})


def coverage_for_accounts(accounts: Iterable[Account | int]) -> dict[int, Coverage]:
    """Coverage of each of these accounts (every id has an entry), in one query."""
    ids = [getattr(account, "pk", account) for account in accounts]
    counts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in _level_counts(Stakeholder.objects.filter(account_id__in=ids)):
        counts[row["account_id"]][row["level"]] = (row["people"], row["strong"])
    return {account_id: _coverage(counts.get(account_id, {})) for account_id in ids}


# --- lists ------------------------------------------------------------------------------


def stakeholder_list(*, user: User) -> QuerySet[Stakeholder]:
    """The stakeholders `user` sees, with `level_rank` (front line 1 … CXO 7),
    `interaction_count`, `can_change` annotated and the references a list shows loaded."""
    return (
        Stakeholder.objects.visible_to(user)
        .with_rank()
        .annotate(
            interaction_count=Count("interactions", distinct=True),
            can_change=Exists(
                Stakeholder.objects.filter(change_q(user, Stakeholder), pk=OuterRef("pk"))
            ),
        )
        .select_related("account", "reports_to", "internal_owner")
    )


def interaction_list(*, user: User) -> QuerySet[Interaction]:
    return (
        Interaction.objects.visible_to(user)
        .select_related("account", "logged_by")
        .prefetch_related("stakeholders")
    )


def survey_list(*, user: User) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.visible_to(user).select_related(
        "account", "stakeholder", "account__owner"
    )


# --- the account's relationship summary -------------------------------------------------


@dataclass(frozen=True)
class RelationshipSummary:
    coverage: Coverage
    stakeholders: int
    interactions: int
    business_value_interactions: int

    @property
    def business_value_rate(self) -> float | None:
        """The share of interactions where business value was discussed (None: none yet)."""
        if not self.interactions:
            return None
        return self.business_value_interactions / self.interactions


def account_relationship_summary(*, account: Account) -> RelationshipSummary:
    """Coverage and the business-value rate of one (visible) account, in two queries."""
    coverage = coverage_for_account(account)
    counts = Interaction.objects.filter(account=account).aggregate(
        total=Count("pk"), with_value=Count("pk", filter=Q(business_value_discussed=True))
    )
    return RelationshipSummary(
        coverage=coverage,
        stakeholders=sum(level.people for level in coverage.levels),
        interactions=counts["total"],
        business_value_interactions=counts["with_value"],
    )


# --- the relationship map ---------------------------------------------------------------


def stakeholder_get(*, user: User, pk: int) -> Stakeholder:
    """One visible stakeholder, or Stakeholder.DoesNotExist (pages answer 404)."""
    return (
        Stakeholder.objects.visible_to(user).select_related("account", "internal_owner").get(pk=pk)
    )


def map_stakeholders(*, user: User, account: Account) -> list[Stakeholder]:
    """An account's stakeholders for the map, in one query: top level first, then by name,
    with `can_change` (may `user` edit this person?) and their internal owner loaded."""
    return list(
        Stakeholder.objects.filter(account=account)
        .with_rank()
        .annotate(
            can_change=Exists(
                Stakeholder.objects.filter(change_q(user, Stakeholder), pk=OuterRef("pk"))
            )
        )
        .select_related("internal_owner")
        .order_by("-level_rank", "name", "pk")
    )


def account_timeline(*, account: Account, limit: int) -> list[Interaction]:
    """An account's latest interactions, newest first, with their people and who logged
    them: two queries whatever the count."""
    return list(
        Interaction.objects.filter(account=account)
        .select_related("logged_by")
        .prefetch_related("stakeholders")
        .order_by("-date", "-pk")[:limit]
    )
