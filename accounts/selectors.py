"""Reads for customer accounts, always scoped by the visibility rule first."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf

from core.cache import cached
from core.fiscal import fiscal_year_bounds, fiscal_year_of, prior_window, ytd_window
from teams.models import User

from .access import visible_account_ids
from .models import (
    MONEY,
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


def _ar_in(start: datetime.date, end: datetime.date) -> Coalesce:
    """AR of the outer account with period in [start, end], 0 when none (a subquery)."""
    total = (
        RevenueRecord.objects.filter(account=OuterRef("pk"), period__gte=start, period__lte=end)
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(**MONEY)
    return Coalesce(Subquery(total, output_field=money), Value(Decimal("0")), output_field=money)


# Agreements that still ask something of the AM: not renewed and not lapsed.
OPEN_RENEWAL_STATUSES = (
    Agreement.RenewalStatus.DUE,
    Agreement.RenewalStatus.ACTIVE,
    Agreement.RenewalStatus.UPCOMING,
)


def _growth_in(window: "tuple[datetime.date, datetime.date]") -> Subquery:
    """(AR over `window` - AR over its prior-year twin) / the latter, for the outer account,
    as a float; NULL when the twin's AR is 0. One subquery reads both windows' rows once (so
    sorting 10,000 accounts by growth is one index scan per account, not four)."""
    start, end = window
    prior_start, prior_end = prior_window(window)
    as_float = FloatField()
    now = Coalesce(Sum("amount", filter=Q(period__gte=start, period__lte=end)), Decimal("0"))
    before = Sum("amount", filter=Q(period__gte=prior_start, period__lte=prior_end))
    ratio = (
        RevenueRecord.objects.filter(
            account=OuterRef("pk"), period__gte=prior_start, period__lte=end
        )
        .order_by()
        .values("account")
        .annotate(
            growth=Cast(now, as_float) / NullIf(Cast(before, as_float), Value(0.0)) - Value(1.0)
        )
        .values("growth")
    )
    return Subquery(ratio, output_field=as_float)


def with_ar_facts(qs: QuerySet[Account], *, fy: int, as_of: datetime.date) -> QuerySet[Account]:
    """THE AR and growth of an account for a fiscal year, as annotations (one formula for the
    account page and the accounts list, and sortable in SQL):

    - `ar_fytd`: AR over W(F) = [start(F), min(end(F), as_of)] (domain.md); None for a fiscal
      year that has not started;
    - `ar_prior`: AR over W(F-1), the same dates one year earlier;
    - `ar_growth`: (ar_fytd - ar_prior) / ar_prior, None when ar_prior is 0 (a float; the
      pages read it through `growth_value`).
    """
    window = ytd_window(fy, as_of)
    start, end = window
    if end < start:
        nothing = Value(None, output_field=DecimalField(**MONEY))
        return qs.annotate(
            ar_fytd=nothing, ar_prior=nothing, ar_growth=Value(None, output_field=FloatField())
        )
    prior_start, prior_end = prior_window(window)
    return qs.annotate(
        ar_fytd=_ar_in(start, end),
        ar_prior=_ar_in(prior_start, prior_end),
        ar_growth=_growth_in(window),
    )


def growth_value(growth: float | None) -> Decimal | None:
    """The growth annotation as a ratio to 6 decimal places (domain.md), None stays None."""
    return None if growth is None else round(Decimal(repr(growth)), 6)


def with_next_agreement(qs: QuerySet[Account], *, today: datetime.date) -> QuerySet[Account]:
    """Annotate the account's next agreement end that still needs action (`next_end`, the
    soonest end date among agreements due, active or upcoming by the renewal-status rule) and
    that agreement's `next_renewal_status`; None when the account has none."""
    upcoming = (
        Agreement.objects.filter(account=OuterRef("pk"))
        .with_renewal_status(today)
        .filter(renewal_status__in=OPEN_RENEWAL_STATUSES)
        .order_by("end_date", "pk")
    )
    return qs.annotate(
        next_end=Subquery(upcoming.values("end_date")[:1], output_field=DateField()),
        next_renewal_status=Subquery(
            upcoming.values("renewal_status")[:1], output_field=CharField()
        ),
    )


def account_worklist(*, user: User, fy: int, as_of: datetime.date) -> QuerySet[Account]:
    """The accounts list as the AM works from it: `account_list` with AR for the fiscal
    year to date, its growth, and the next agreement to renew, all annotated in SQL (one
    query for a page of rows, and sortable)."""
    qs = with_ar_facts(account_list(user=user), fy=fy, as_of=as_of)
    return with_next_agreement(qs, today=as_of)


def account_ar_facts(*, account: Account, fy: int, as_of: datetime.date) -> dict:
    """AR over the fiscal year's YTD window W(F) and its growth against W(F-1), the same
    dates a year earlier (domain.md): {"ar", "prior_ar", "growth", "window": (start, end),
    "ytd"}; ar and growth are None for a fiscal year that has not started. The numbers come
    from `with_ar_facts`, as on the accounts list."""
    window = ytd_window(fy, as_of)
    start, end = window
    _, fy_end = fiscal_year_bounds(fy)
    if end < start:
        return {"ar": None, "prior_ar": None, "growth": None, "window": window, "ytd": False}
    facts = (
        with_ar_facts(Account.objects.filter(pk=account.pk), fy=fy, as_of=as_of)
        .values("ar_fytd", "ar_prior", "ar_growth")
        .get()
    )
    return {
        "ar": facts["ar_fytd"],
        "prior_ar": facts["ar_prior"],
        "growth": growth_value(facts["ar_growth"]),
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
