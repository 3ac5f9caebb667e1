"""Reads for customer accounts, always scoped by the visibility rule first."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Sum, When

from core.cache import cached
from core.fiscal import fiscal_year_bounds, fiscal_year_of, prior_window, ytd_window
from teams.models import User

from .access import visible_account_ids
from .models import (
    Account,
    AccountTeamMember,
    Agreement,
    Industry,
    ProductDeployment,
    RevenueRecord,
    Sector,
    Territory,
    ltp_below_threshold_q,
)

# The kinds of data (core.cache) the account lists' cached reads are built on.
ACCOUNT_DATA = ("accounts", "people")
# The catalogue values an account names, read with it (one join each, no query per row).
CATALOGUE_RELATED = ("sector", "industry", "territory")


def account_list(*, user: User) -> QuerySet[Account]:
    """The accounts `user` sees, with owner loaded and the parent named only when the user
    may see it too (`visible_parent_id`, `visible_parent_name`: None otherwise)."""
    qs = Account.objects.visible_to(user).select_related(*CATALOGUE_RELATED, "owner")
    ids = visible_account_ids(user)
    if ids is None:
        return qs.annotate(visible_parent_id=F("parent_id"), visible_parent_name=F("parent__name"))
    shown = Q(parent_id__in=ids)
    return qs.annotate(
        visible_parent_id=Case(When(shown, then=F("parent_id")), output_field=IntegerField()),
        visible_parent_name=Case(When(shown, then=F("parent__name")), output_field=CharField()),
    )


def accounts_by_reference(*, user: User, ids, external_ids) -> list[Account]:
    """The visible accounts among these ids and external ids (a bulk upload's references)."""
    return list(
        Account.objects.visible_to(user).filter(Q(pk__in=ids) | Q(external_id__in=external_ids))
    )


def account_filter_options(*, user: User) -> dict[str, list]:
    """Options for the list filters: the catalogues' active values as (slug, name), and the
    owners the user can see. Cached per user until an account, a catalogue or a person
    changes (core.cache)."""

    def compute() -> dict[str, list]:
        qs = Account.objects.visible_to(user)

        def catalogue(model) -> list[tuple[str, str]]:
            return list(model.objects.active().values_list("slug", "name"))

        owners = (
            User.objects.filter(pk__in=qs.values("owner_id"))
            .order_by("first_name", "last_name")
            .values_list("username", "first_name", "last_name")
        )
        return {
            "sectors": catalogue(Sector),
            "territories": catalogue(Territory),
            "industries": catalogue(Industry),
            "owners": [
                {"username": u, "name": f"{first} {last}".strip() or u} for u, first, last in owners
            ],
        }

    return cached(ACCOUNT_DATA, f"account-options:{user.pk}", compute)


def account_get(*, user: User, pk: int) -> Account:
    """One visible account, or Account.DoesNotExist (pages and API answer 404)."""
    return (
        Account.objects.visible_to(user)
        .select_related(*CATALOGUE_RELATED, "owner", "parent", "owner__team")
        .get(pk=pk)
    )


def account_downstream(*, user: User, account: Account) -> QuerySet[Account]:
    return Account.objects.visible_to(user).filter(parent=account).select_related("owner")


def account_team(*, account: Account) -> QuerySet[AccountTeamMember]:
    return account.team_members.select_related("user").order_by("role", "name", "pk")


def agreement_list(*, user: User) -> QuerySet[Agreement]:
    return Agreement.objects.visible_to(user).with_renewal_status().select_related("account")


def account_agreements(*, account: Account) -> QuerySet[Agreement]:
    return (
        account.agreements.with_renewal_status()
        .select_related("renews")
        .order_by("-end_date", "pk")
    )


def revenue_list(*, user: User) -> QuerySet[RevenueRecord]:
    return RevenueRecord.objects.visible_to(user)


def deployment_list(*, user: User) -> QuerySet[ProductDeployment]:
    return ProductDeployment.objects.visible_to(user).select_related("product")


def account_revenue_by_fiscal_year(*, account: Account) -> list[tuple[int, Decimal]]:
    """AR per fiscal year, oldest first: [(2025, Decimal(...)), ...]."""
    monthly = (
        RevenueRecord.objects.filter(account=account)
        .values("period")
        .annotate(total=Sum("amount"))
        .order_by("period")
    )
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for row in monthly:
        totals[fiscal_year_of(row["period"])] += row["total"]
    return sorted(totals.items())


def account_ar_for_window(*, account: Account, start: datetime.date, end: datetime.date) -> Decimal:
    total = RevenueRecord.objects.filter(
        account=account, period__gte=start, period__lte=end
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")


def account_ar_facts(*, account: Account, fy: int, as_of: datetime.date) -> dict:
    """AR over the fiscal year's YTD window W(F) and its growth against W(F-1), the same
    dates a year earlier (domain.md): {"ar", "prior_ar", "growth", "window": (start, end),
    "ytd"}; ar and growth are None for a fiscal year that has not started."""
    window = ytd_window(fy, as_of)
    start, end = window
    _, fy_end = fiscal_year_bounds(fy)
    if end < start:
        return {"ar": None, "prior_ar": None, "growth": None, "window": window, "ytd": False}
    ar = account_ar_for_window(account=account, start=start, end=end)
    prior_start, prior_end = prior_window(window)
    prior = account_ar_for_window(account=account, start=prior_start, end=prior_end)
    return {
        "ar": ar,
        "prior_ar": prior,
        "growth": (ar - prior) / prior if prior else None,
        "window": window,
        "ytd": end < fy_end,
    }


def agreements_due(*, user: User) -> QuerySet[Agreement]:
    """Agreements due for renewal (the renewal-status rule), soonest first."""
    return (
        agreement_list(user=user)
        .filter(renewal_status=Agreement.RenewalStatus.DUE)
        .order_by("end_date", "pk")
    )


def account_counts(*, user: User) -> dict[str, int]:
    qs = Account.objects.visible_to(user).filter(is_active=True)
    return qs.aggregate(total=Count("pk"), below_ltp=Count("pk", filter=ltp_below_threshold_q()))


def account_deployments(*, account: Account) -> QuerySet[ProductDeployment]:
    return account.deployments.select_related("product").order_by("product", "pk")


def account_visible_parent(*, user: User, account: Account) -> Account | None:
    """The account's parent when `user` may see it, else None (never leak its name)."""
    if not account.parent_id:
        return None
    return Account.objects.visible_to(user).filter(pk=account.parent_id).first()


def account_parent_choices(*, user: User, account: Account | None = None) -> QuerySet[Account]:
    """Accounts `user` may pick as a parent: the visible ones, never the account itself."""
    qs = Account.objects.visible_to(user).order_by("name", "pk").select_related("owner")
    if account is not None and account.pk:
        qs = qs.exclude(pk=account.pk)
    return qs
