"""One FilterSet per list, shared by the pages (branch opps-pages) and the API."""

import django_filters
from django_filters.rest_framework import BooleanFilter

from core.api.filters import IdFilter, SearchFilter, SortFilter, SyncFilterSet, UsernameFilter

from .models import ForecastCategory, Opportunity, Partner, Stage


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
