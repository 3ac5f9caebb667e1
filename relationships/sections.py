"""The relationships section of the account page (registered in
settings.KEYPLAN_ACCOUNT_SECTIONS; accounts never imports this app): the coverage strip with
its gaps in words, the business-value rate of the interactions and the relationship map,
with a link to the map's own page (re-parent form, table view)."""

from django.http import HttpRequest

from accounts.models import Account
from accounts.sections import AccountSection

from .views import map_context


def account_relationships(request: HttpRequest, account: Account) -> AccountSection:
    return AccountSection(
        template="relationships/partials/account_section.html",
        context=map_context(request, account),
    )
