"""The opportunities' part of the global search (core.search, settings.KEYPLAN_SEARCH_PROVIDERS):
the live deals the user sees, matched exactly as the pipeline table's own `q` filter matches
(OpportunityFilter's SearchFilter: name, external id, account, competitor), so "See all"
opens /opportunities/?q=… (every status) with the same rows. Open deals first."""

from urllib.parse import urlencode

from django.urls import reverse

from core.search import SearchGroup, SearchHit
from core.templatetags.keyplan_format import money_compact

from .filters import OpportunityFilter
from .models import Opportunity


def _hit(opportunity: Opportunity) -> SearchHit:
    stage = opportunity.stage
    amount = f"{opportunity.currency} {money_compact(opportunity.amount)}"
    return SearchHit(
        title=opportunity.name,
        url=reverse("opportunities:detail", args=[opportunity.pk]),
        detail=" · ".join([opportunity.account.name, stage.name, amount]),
        badge=("Won" if stage.is_won else "Lost") if stage.is_closed else "",
    )


class OpportunitySearch:
    key = "opportunities"
    label = "Opportunities"

    def search(self, *, user, q: str, limit: int) -> SearchGroup:
        visible = (
            Opportunity.objects.visible_to(user)
            .filter(is_deleted=False)
            .select_related("account", "stage")
        )
        matches = OpportunityFilter.base_filters["q"].filter(visible, q)
        return SearchGroup.from_queryset(
            self,
            matches.order_by("stage__is_closed", "close_date", "pk"),
            limit=limit,
            hit=_hit,
            see_all_url=reverse("opportunities:list") + "?" + urlencode({"q": q, "status": "all"}),
        )
