"""What the account views share: loading a visible account, and where its objects live."""

from django.http import Http404, HttpRequest
from django.urls import reverse

from core.pages import Home

from .. import selectors
from ..models import Account


def get_account(request: HttpRequest, pk: int) -> Account:
    """A visible account, or 404 (the same answer as for one that does not exist)."""
    try:
        return selectors.account_get(user=request.user, pk=pk)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


def account_home(account: Account, anchor: str) -> Home:
    """The account page as the home of an object on it (its card is `#anchor`)."""
    return Home(
        url=reverse("accounts:detail", args=[account.pk]),
        anchor=anchor,
        breadcrumbs=[
            ("Accounts", reverse("accounts:list")),
            (account.name, reverse("accounts:detail", args=[account.pk])),
        ],
        nav="accounts",
    )
