"""Reads for customer accounts, always scoped by the visibility rule first."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from core.fiscal import fiscal_year_of
from teams.models import User

from .models import (
    Account,
    AccountTeamMember,
    Agreement,
    ProductDeployment,
    RevenueRecord,
    ltp_below_threshold_q,
)

ACCOUNT_SORTS = {
    "name": "name",
    "segment": "segment",
    "sector": "sector",
    "territory": "territory",
    "owner": "owner__username",
    "ltp": "ltp",
    "updated": "updated_at",
}


def account_list(
    *,
    user: User,
    q: str = "",
    segment: str = "",
    sector: str = "",
    territory: str = "",
    owner: str = "",
    industry: str = "",
    below_ltp: bool = False,
    active: bool | None = True,
    sort: str = "name",
) -> QuerySet[Account]:
    qs = Account.objects.visible_to(user).select_related("owner", "parent")
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(external_id__icontains=q) | Q(industry__icontains=q)
        )
    if segment:
        qs = qs.filter(segment=segment)
    if sector:
        qs = qs.filter(sector=sector)
    if territory:
        qs = qs.filter(territory=territory)
    if industry:
        qs = qs.filter(industry=industry)
    if owner:
        qs = qs.filter(owner__username=owner)
    if below_ltp:
        qs = qs.filter(ltp_below_threshold_q())
    if active is not None:
        qs = qs.filter(is_active=active)
    descending = sort.startswith("-")
    field = ACCOUNT_SORTS.get(sort.lstrip("-"), "name")
    return qs.order_by(f"-{field}" if descending else field, "pk")


def account_filter_options(*, user: User) -> dict[str, list[str]]:
    """Distinct values for the list filters, drawn from what the user can see."""
    qs = Account.objects.visible_to(user)

    def distinct(field: str) -> list[str]:
        return [v for v in qs.order_by(field).values_list(field, flat=True).distinct() if v]

    owners = (
        User.objects.filter(pk__in=qs.values("owner_id"))
        .order_by("first_name", "last_name")
        .only("username", "first_name", "last_name")
    )
    return {
        "sectors": distinct("sector"),
        "territories": distinct("territory"),
        "industries": distinct("industry"),
        "owners": list(owners),
    }


def account_get(*, user: User, pk: int) -> Account:
    """One visible account, or Account.DoesNotExist (pages and API answer 404)."""
    return (
        Account.objects.visible_to(user).select_related("owner", "parent", "owner__team").get(pk=pk)
    )


def account_downstream(*, user: User, account: Account) -> QuerySet[Account]:
    return Account.objects.visible_to(user).filter(parent=account).select_related("owner")


def account_team(*, account: Account) -> QuerySet[AccountTeamMember]:
    return account.team_members.select_related("user").order_by("role", "name", "pk")


def agreement_list(*, user: User) -> QuerySet[Agreement]:
    return Agreement.objects.visible_to(user).with_renewal_facts().select_related("account")


def account_agreements(*, account: Account) -> QuerySet[Agreement]:
    return (
        account.agreements.with_renewal_facts().select_related("renews").order_by("-end_date", "pk")
    )


def revenue_list(*, user: User) -> QuerySet[RevenueRecord]:
    return RevenueRecord.objects.visible_to(user)


def deployment_list(*, user: User) -> QuerySet[ProductDeployment]:
    return ProductDeployment.objects.visible_to(user)


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


def owner_account_count(*, owner_id: int) -> int:
    return Account.objects.filter(owner_id=owner_id, is_active=True).count()


def agreements_due(*, user: User, today: datetime.date, days: int) -> QuerySet[Agreement]:
    """Agreements ending within `days` and not yet renewed, soonest first."""
    return (
        agreement_list(user=user)
        .filter(end_date__gte=today, end_date__lte=today + datetime.timedelta(days=days))
        .filter(has_successor=False)
        .order_by("end_date")
    )


def account_counts(*, user: User) -> dict[str, int]:
    qs = Account.objects.visible_to(user).filter(is_active=True)
    return qs.aggregate(total=Count("pk"), below_ltp=Count("pk", filter=ltp_below_threshold_q()))


def account_deployments(*, account: Account) -> QuerySet[ProductDeployment]:
    return account.deployments.order_by("product", "pk")


def account_visible_parent(*, user: User, account: Account) -> Account | None:
    """The account's parent when `user` may see it, else None (never leak its name)."""
    if not account.parent_id:
        return None
    return Account.objects.visible_to(user).filter(pk=account.parent_id).first()


def account_parent_choices(*, user: User, account: Account | None = None) -> QuerySet[Account]:
    """Accounts `user` may pick as a parent: the visible ones, never the account itself."""
    qs = Account.objects.visible_to(user).order_by("name", "pk")
    if account is not None and account.pk:
        qs = qs.exclude(pk=account.pk)
    return qs
