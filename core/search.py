"""Global search: the top bar's one box, across every kind of record, grouped by kind.

Each app that has records worth finding contributes a *provider*, listed by dotted path in
settings.KEYPLAN_SEARCH_PROVIDERS in the order its group shows (core never imports an app;
nothing is found by file name). A provider is a class or object with:

    key: str                       a short slug ("accounts"), unique among providers
    label: str                     the group's heading ("Accounts")
    def search(self, *, user, q: str, limit: int) -> SearchGroup | None

`search` answers what `user` may see, by the same visibility rule as the app's own pages
(start from `Model.objects.visible_to(user)`), matching `q` the way that app's list matches
its own `q` filter, so "See all" lands on a list with exactly the rows counted. It returns
at most `limit` hits, the total count and the URL of the full list, or None to stay out of
this search (e.g. nothing to say to this kind of user).

    # opportunities/search.py
    class OpportunitySearch:
        key, label = "opportunities", "Opportunities"
        def search(self, *, user, q, limit):
            qs = OpportunityFilter.base_filters["q"].filter(
                Opportunity.objects.visible_to(user), q)
            return SearchGroup.from_queryset(self, qs, limit=limit, hit=..., see_all=...)

    # config/settings.py
    KEYPLAN_SEARCH_PROVIDERS = [..., "opportunities.search.OpportunitySearch"]
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

# Longer queries are cut: nobody types more, and every provider runs an icontains per field.
MAX_QUERY_LENGTH = 100
# Hits per group: in the top bar's live results, and on the results page.
LIVE_LIMIT = 5
PAGE_LIMIT = 20


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    detail: str = ""  # a muted second line: who owns it, where it is
    badge: str = ""  # a short word ("Inactive")


@dataclass
class SearchGroup:
    key: str
    label: str
    hits: list[SearchHit]
    count: int
    see_all_url: str = ""

    @classmethod
    def from_queryset(
        cls,
        provider: "SearchProvider",
        queryset,
        *,
        limit: int,
        hit: Callable[[Any], SearchHit],
        see_all_url: str = "",
    ) -> "SearchGroup":
        """Two queries: the first `limit` rows (in the queryset's order) and, only when
        there may be more, the count."""
        rows = list(queryset[: limit + 1])
        count = len(rows) if len(rows) <= limit else queryset.count()
        return cls(
            key=provider.key,
            label=provider.label,
            hits=[hit(row) for row in rows[:limit]],
            count=count,
            see_all_url=see_all_url,
        )


class SearchProvider(Protocol):
    key: str
    label: str

    def search(self, *, user, q: str, limit: int) -> SearchGroup | None: ...


@cache
def _load(paths: tuple[str, ...]) -> tuple[SearchProvider, ...]:
    providers = []
    for path in paths:
        obj = import_string(path)
        providers.append(obj() if isinstance(obj, type) else obj)
    keys = [p.key for p in providers]
    if len(set(keys)) != len(keys):
        raise ValueError(f"KEYPLAN_SEARCH_PROVIDERS: two providers share a key: {keys}")
    return tuple(providers)


def search_providers() -> tuple[SearchProvider, ...]:
    """The registered providers, in settings.KEYPLAN_SEARCH_PROVIDERS order."""
    return _load(tuple(getattr(settings, "KEYPLAN_SEARCH_PROVIDERS", ())))


def clean_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def global_search(
    *, user, q: str, limit: int, providers: Iterable[SearchProvider] | None = None
) -> list[SearchGroup]:
    """Every provider's group for `q` (those with no hit left out), in registry order. An
    empty query searches nothing."""
    q = clean_query(q)
    if not q:
        return []
    groups = []
    for provider in search_providers() if providers is None else providers:
        group = provider.search(user=user, q=q, limit=limit)
        if group is not None and group.count:
            groups.append(group)
    return groups
