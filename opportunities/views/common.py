"""What the opportunity views share: loading a visible opportunity, where it lives, and the
guard that a page never offers (nor accepts) a write the policy refuses."""

from django.http import Http404, HttpRequest
from django.urls import reverse

from accounts.access import check_change
from core.pages import Home

from .. import selectors
from ..models import Opportunity


def get_opportunity(request: HttpRequest, pk: int) -> Opportunity:
    """A visible, live opportunity, or 404 (the same answer as for one that does not
    exist or was deleted)."""
    try:
        return selectors.opportunity_get(user=request.user, pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity.") from None


def require_change(request: HttpRequest, obj) -> None:
    """The service is the guard; a page still never offers a refused form: 403 page."""
    check_change(request.user, obj)


def opportunity_home(opportunity: Opportunity, anchor: str = "top") -> Home:
    url = reverse("opportunities:detail", args=[opportunity.pk])
    return Home(
        url=url,
        anchor=anchor,
        breadcrumbs=[
            ("Pipeline", reverse("opportunities:list")),
            (opportunity.account.name, reverse("accounts:detail", args=[opportunity.account_id])),
            (opportunity.name, url),
        ],
        nav="pipeline",
    )
