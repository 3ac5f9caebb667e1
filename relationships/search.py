"""The stakeholders' part of the global search (core.search, settings.KEYPLAN_SEARCH_PROVIDERS):
the customer's people the user sees (through their accounts), matched by name, title or
email; each hit opens the relationship map of their account, where the table lists them."""

from django.db.models import Q
from django.urls import reverse

from core.search import SearchGroup, SearchHit

from .models import Stakeholder


def _hit(person: Stakeholder) -> SearchHit:
    return SearchHit(
        title=person.name,
        url=reverse("relationships:map", args=[person.account_id]) + "#people",
        detail=" · ".join(part for part in [person.title, person.account.name] if part),
        badge=person.get_level_display(),
    )


class StakeholderSearch:
    key = "stakeholders"
    label = "Stakeholders"

    def search(self, *, user, q: str, limit: int) -> SearchGroup:
        matches = (
            Stakeholder.objects.visible_to(user)
            .filter(Q(name__icontains=q) | Q(title__icontains=q) | Q(email__icontains=q))
            .select_related("account")
            .order_by("name", "pk")
        )
        return SearchGroup.from_queryset(self, matches, limit=limit, hit=_hit)
