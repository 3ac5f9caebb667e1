"""One FilterSet per list, shared by the pages and the API."""

import django_filters
from django_filters.rest_framework import BooleanFilter

from core.api.filters import IdFilter, SearchFilter, SortFilter, SyncFilterSet, UsernameFilter

from .models import BuyingRole, Interaction, Level, Stakeholder, SurveyResponse


class StakeholderFilter(SyncFilterSet):
    """GET /api/v1/stakeholders/ (and the relationship pages)."""

    q = SearchFilter(fields=["name", "title", "email", "department", "account__name"])
    account = IdFilter(field_name="account_id")
    reports_to = IdFilter(field_name="reports_to_id")
    internal_owner = UsernameFilter(field_name="internal_owner__username")
    level = django_filters.ChoiceFilter(choices=Level.choices)
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices)
    cpe_survey_recipient = BooleanFilter()
    strength_min = django_filters.NumberFilter(
        field_name="strength",
        lookup_expr="gte",
        min_value=1,
        max_value=5,
        label="Strength at least this (1-5).",
    )
    sort = SortFilter(
        fields=[
            "name",
            "strength",
            "influence",
            "attitude",
            ("level_rank", "level"),
            ("account__name", "account"),
            "last_interaction_at",
            ("updated_at", "updated"),
        ],
        nulls_last=["last_interaction_at"],
    )

    class Meta:
        model = Stakeholder
        fields = []


class InteractionFilter(SyncFilterSet):
    """GET /api/v1/interactions/."""

    q = SearchFilter(fields=["summary", "account__name"])
    account = IdFilter(field_name="account_id")
    stakeholder = IdFilter(field_name="stakeholders")
    logged_by = UsernameFilter(field_name="logged_by__username")
    kind = django_filters.ChoiceFilter(choices=Interaction.Kind.choices)
    business_value_discussed = BooleanFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    sort = SortFilter(fields=["date", ("updated_at", "updated")])

    class Meta:
        model = Interaction
        fields = []


class SurveyFilter(SyncFilterSet):
    """GET /api/v1/surveys/."""

    account = IdFilter(field_name="account_id")
    stakeholder = IdFilter(field_name="stakeholder_id")
    fiscal_year = django_filters.NumberFilter(min_value=2000, max_value=2100)
    sort = SortFilter(fields=["fiscal_year", "score", ("updated_at", "updated")])

    class Meta:
        model = SurveyResponse
        fields = []
