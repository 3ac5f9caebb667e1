"""The accounts' part of the global search (core.search, settings.KEYPLAN_SEARCH_PROVIDERS):
the accounts the user sees, matched exactly as the accounts list's own `q` filter matches
(AccountFilter's SearchFilter), so "See all" opens /accounts/?q=… with the same rows."""

from urllib.parse import urlencode

from django.urls import reverse

from core.search import SearchGroup, SearchHit

from .filters import AccountFilter
from .models import Account


def _hit(account: Account) -> SearchHit:
    owner = account.owner.get_full_name() or account.owner.username
    territory = account.territory.name if account.territory else ""
    detail = " · ".join(part for part in [account.external_id, owner, territory] if part)
    return SearchHit(
        title=account.name,
        url=reverse("accounts:detail", args=[account.pk]),
        detail=detail,
        badge="" if account.is_active else "Inactive",
    )


class AccountSearch:
    key = "accounts"
    label = "Accounts"

    def search(self, *, user, q: str, limit: int) -> SearchGroup:
        # Inactive accounts are found too (someone may look for a dormant one by name), and
        # "See all" says so with status=all; active ones come first.
        visible = Account.objects.visible_to(user).select_related("owner", "territory")
        matches = AccountFilter.base_filters["q"].filter(visible, q)
        return SearchGroup.from_queryset(
            self,
            matches.order_by("-is_active", "name", "pk"),
            limit=limit,
            hit=_hit,
            see_all_url=reverse("accounts:list") + "?" + urlencode({"q": q, "status": "all"}),
        )
