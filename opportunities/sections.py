"""The opportunities section of the account page (registered in
settings.KEYPLAN_ACCOUNT_SECTIONS; accounts never imports this app): the account's live
deals, open first, with an "Add opportunity" action when the user may add one there."""

from django.http import HttpRequest
from django.urls import reverse

from accounts.access import can_change
from accounts.models import Account
from accounts.sections import AccountSection

from . import selectors
from .models import Opportunity

# The card lists this many deals; the pipeline table (filtered by the account) has them all.
ACCOUNT_SECTION_ROWS = 25


def account_opportunities(request: HttpRequest, account: Account) -> AccountSection:
    user = request.user
    # Whether the user may add a deal here: as its owner when an AM (an AM on the virtual
    # team adds deals they own), else for the account's owner. The service decides again.
    draft = Opportunity(account=account, owner_id=user.pk if user.is_am else account.owner_id)
    queryset = selectors.account_opportunities(account=account)
    rows = list(queryset[: ACCOUNT_SECTION_ROWS + 1])
    return AccountSection(
        template="opportunities/partials/account_section.html",
        context={
            "account": account,
            "rows": rows[:ACCOUNT_SECTION_ROWS],
            "more": len(rows) > ACCOUNT_SECTION_ROWS,
            "open_total": selectors.pipeline_totals(queryset.filter(stage__is_closed=False)),
            "can_add": can_change(user, draft),
            "add_url": reverse("opportunities:create") + f"?account={account.pk}",
            "list_url": reverse("opportunities:list") + f"?account={account.pk}&status=all",
        },
    )
