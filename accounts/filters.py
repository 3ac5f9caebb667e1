"""One FilterSet per list, shared by the page and the API (core.api.filters)."""

import django_filters
from django.db.models import Q
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import BooleanFilter  # true/false and 1/0

from core.api.filters import IdFilter, SearchFilter, SortFilter, SyncFilterSet, UsernameFilter

from .catalogues import normalise
from .models import (
    Account,
    AccountTeamMember,
    Agreement,
    ProductDeployment,
    RevenueRecord,
    ltp_below_threshold_q,
)

ACCOUNT_STATUSES = {"active": True, "inactive": False, "all": None}


class CatalogueFilter(django_filters.CharFilter):
    """A catalogue value (accounts.catalogues) by its slug or its name, case-insensitive."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "A value's slug or name (case-insensitive).")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        text = normalise(value)
        name = self.field_name
        by_slug = Q(**{f"{name}__slug": text.lower()})
        return qs.filter(by_slug | Q(**{f"{name}__name__iexact": text}))


class AccountFilter(SyncFilterSet):
    """The accounts list: the page (/accounts/) and GET /api/v1/accounts/."""

    q = SearchFilter(fields=["name", "external_id", "industry__name"])
    segment = django_filters.ChoiceFilter(choices=Account.Segment.choices)
    sector = CatalogueFilter()
    industry = CatalogueFilter()
    territory = CatalogueFilter()
    owner = UsernameFilter(field_name="owner__username")
    # A parent outside the user's view reads as null: filtering by it must not name it.
    parent = IdFilter(field_name="parent_id", visible_model=Account)
    external_id = django_filters.CharFilter()
    below_ltp_threshold = BooleanFilter(method="filter_below_ltp")
    is_active = BooleanFilter()
    status = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ACCOUNT_STATUSES],
        method="filter_status",
        label="active, inactive or all (the page shows active accounts unless told)",
    )
    sort = SortFilter(
        fields=[
            ("name", "name"),
            ("segment", "segment"),
            ("sector__name", "sector"),
            ("territory__name", "territory"),
            ("owner__username", "owner"),
            ("ltp", "ltp"),
            ("updated_at", "updated"),
        ]
    )

    class Meta:
        model = Account
        fields = []

    def filter_below_ltp(self, queryset, name, value):
        condition = ltp_below_threshold_q()
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_status(self, queryset, name, value):
        active = ACCOUNT_STATUSES.get(value)
        return queryset if active is None else queryset.filter(is_active=active)


# The accounts page sorts by the worklist's columns too (accounts.selectors.account_worklist
# annotates them): the API's sort keys plus these, each (annotation, key).
WORKLIST_SORTS = [
    ("ar_fytd", "ar"),
    ("ar_growth", "growth"),
    ("next_end", "renewal"),
]


class AccountWorklistFilter(AccountFilter):
    """The accounts page (and its CSV export): AccountFilter over `account_worklist`, which
    can also sort by AR this fiscal year to date, its growth and the next agreement end (the
    soonest renewal; days to expiry sort the same way). Empty values sort last."""

    sort = SortFilter(
        fields=[
            *((field, key) for key, field in AccountFilter.base_filters["sort"].param_map.items()),
            *WORKLIST_SORTS,
        ],
        nulls_last=["growth", "renewal"],
    )


class AccountTeamMemberFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id")
    user = UsernameFilter(field_name="user__username")
    role = django_filters.ChoiceFilter(choices=AccountTeamMember.Role.choices)

    class Meta:
        model = AccountTeamMember
        fields = []


class AgreementFilter(SyncFilterSet):
    """Agreements: the renewals page (/accounts/renewals/) and GET /api/v1/agreements/. The
    queryset carries the renewal-status annotation (accounts.selectors.agreement_list)."""

    q = SearchFilter(fields=["number", "account__name", "account__external_id"])
    account = IdFilter(field_name="account_id")
    renews = IdFilter(field_name="renews_id")
    kind = django_filters.ChoiceFilter(choices=Agreement.Kind.choices)
    renewal_status = django_filters.ChoiceFilter(choices=Agreement.RenewalStatus.choices)
    owner = UsernameFilter(field_name="account__owner__username")
    number = django_filters.CharFilter()
    end_date_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte")
    end_date_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")
    sort = SortFilter(
        fields=[
            "end_date",
            "start_date",
            "annual_value",
            ("account__name", "account"),
            "kind",
            ("updated_at", "updated"),
        ]
    )

    class Meta:
        model = Agreement
        fields = []


class RevenueFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id")
    source = django_filters.CharFilter()
    period = django_filters.DateFilter()
    period_after = django_filters.DateFilter(field_name="period", lookup_expr="gte")
    period_before = django_filters.DateFilter(field_name="period", lookup_expr="lte")
    sort = SortFilter(fields=["period", "amount", ("updated_at", "updated")])

    class Meta:
        model = RevenueRecord
        fields = []


class DeploymentFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id")
    product = CatalogueFilter()
    is_current_version = BooleanFilter()

    class Meta:
        model = ProductDeployment
        fields = []
