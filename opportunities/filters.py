"""One FilterSet per list, shared by the pages (branch opps-pages) and the API."""

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.rest_framework import BooleanFilter
from drf_spectacular.utils import extend_schema_field

from core.api.filters import IdFilter, SearchFilter, SortFilter, SyncFilterSet, UsernameFilter
from core.fiscal import fiscal_year_bounds

from .models import ForecastCategory, Opportunity, Partner, Stage
from .selectors import SLIP_COUNT, slipped_ids

STATUSES = {
    "open": {"stage__is_closed": False},
    "won": {"stage__is_won": True},
    "lost": {"stage__is_closed": True, "stage__is_won": False},
    "closed": {"stage__is_closed": True},
    "all": {},
}
QUARTER_PATTERN = re.compile(r"^FY(\d{4})-Q([1-4])$")


def fiscal_quarter_bounds(fy: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of fiscal quarter `quarter` (1-4) of fiscal year `fy`
    (core.fiscal: FY starts on the 1st of FISCAL_YEAR_START_MONTH)."""
    first, _ = fiscal_year_bounds(fy)
    month = first.month - 1 + 3 * (quarter - 1)
    start = datetime.date(first.year + month // 12, month % 12 + 1, 1)
    month += 3
    after = datetime.date(first.year + month // 12, month % 12 + 1, 1)
    return start, after - datetime.timedelta(days=1)


def fiscal_quarter_label(fy: int, quarter: int) -> str:
    return f"FY{fy}-Q{quarter}"


class FiscalQuarterField(forms.CharField):
    """A fiscal quarter spelled FY2027-Q3, cleaned to (fiscal year, quarter)."""

    def to_python(self, value):
        value = super().to_python(value).strip().upper()
        if not value:
            return None
        match = QUARTER_PATTERN.match(value)
        if match is None or not 1970 <= int(match.group(1)) <= 2200:
            raise ValidationError(
                "Give a fiscal quarter as FY2027-Q3 (fiscal year, then quarter 1-4).",
                code="invalid",
            )
        return int(match.group(1)), int(match.group(2))


@extend_schema_field(str)
class FiscalQuarterFilter(django_filters.Filter):
    """`?close_quarter=FY2027-Q3`: close dates within that fiscal quarter."""

    field_class = FiscalQuarterField

    def filter(self, qs, value):
        if not value:
            return qs
        start, end = fiscal_quarter_bounds(*value)
        return qs.filter(close_date__gte=start, close_date__lte=end)


class OpportunityFilter(SyncFilterSet):
    """The opportunities list: GET /api/v1/opportunities/ (and the pipeline pages). The
    queryset carries `forecast_category_effective` (opportunities.selectors)."""

    q = SearchFilter(fields=["name", "external_id", "account__name", "competitor"])
    account = IdFilter(field_name="account_id")
    owner = UsernameFilter(field_name="owner__username")
    stage = django_filters.CharFilter(field_name="stage__slug", label="A stage slug.")
    kind = django_filters.ChoiceFilter(choices=Opportunity.Kind.choices)
    forecast_category = django_filters.ChoiceFilter(
        field_name="forecast_category_effective",
        choices=ForecastCategory.choices,
        label="The effective forecast category (the override, else the stage's).",
    )
    partner = IdFilter(field_name="partners")
    agreement = IdFilter(field_name="agreement_id")
    source = django_filters.CharFilter()
    external_id = django_filters.CharFilter()
    is_open = BooleanFilter(method="filter_open", label="Not in a closed stage.")
    close_date_after = django_filters.DateFilter(field_name="close_date", lookup_expr="gte")
    close_date_before = django_filters.DateFilter(field_name="close_date", lookup_expr="lte")
    status = django_filters.ChoiceFilter(
        choices=[(key, key) for key in STATUSES],
        method="filter_status",
        label="open, won, lost, closed or all (the pipeline pages show open deals unless told)",
    )
    close_quarter = FiscalQuarterFilter(
        label="The fiscal quarter the deal closes in, e.g. FY2027-Q3 (FISCAL_YEAR_START_MONTH)."
    )
    slipped = BooleanFilter(
        method="filter_slipped",
        label=f"Close date pushed later {SLIP_COUNT} or more times (the StageChange history).",
    )
    sort = SortFilter(
        fields=[
            "close_date",
            "amount",
            "name",
            ("stage__order", "stage"),
            ("account__name", "account"),
            ("owner__username", "owner"),
            ("probability_effective", "probability"),
            ("updated_at", "updated"),
        ]
    )

    class Meta:
        model = Opportunity
        fields = []

    def filter_open(self, queryset, name, value):
        return queryset.filter(stage__is_closed=not value)

    def filter_status(self, queryset, name, value):
        return queryset.filter(**STATUSES.get(value, {}))

    def filter_slipped(self, queryset, name, value):
        if value:
            return queryset.filter(pk__in=slipped_ids())
        return queryset.exclude(pk__in=slipped_ids())


class StageFilter(SyncFilterSet):
    is_closed = BooleanFilter()

    class Meta:
        model = Stage
        fields = []


class PartnerFilter(SyncFilterSet):
    q = SearchFilter(fields=["name", "external_id"])
    kind = django_filters.ChoiceFilter(choices=Partner.Kind.choices)
    external_id = django_filters.CharFilter()

    class Meta:
        model = Partner
        fields = []
