"""Filters every list shares. One django-filter FilterSet per resource serves both its page
list and its API list (`<app>/filters.py`), built from these parts:

- SyncFilterSet: `updated_since` (ISO time) for sync clients;
- SearchFilter (`q`), SortFilter (`sort`), IdFilter (references by id), UsernameFilter.
"""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import extend_schema_field

# A sync time outside these is a client bug, and near datetime's limits it overflows.
UPDATED_SINCE_MIN_YEAR = 1970
UPDATED_SINCE_MAX_YEAR = 2200
# Real UTC offsets run from -12:00 to +14:00.
MAX_UTC_OFFSET = datetime.timedelta(hours=14)


class LenientIsoDateTimeField(forms.DateTimeField):
    """ISO 8601 within sane bounds (years UPDATED_SINCE_MIN_YEAR..UPDATED_SINCE_MAX_YEAR, UTC
    offsets up to ±14:00), answered in UTC; a '+' offset that arrived unencoded (as a space)
    is put back."""

    def to_python(self, value):
        if isinstance(value, str) and " " in value.strip() and "T" in value:
            value = value.strip().replace(" ", "+")
        try:
            result = super().to_python(value)
        except (OverflowError, ValueError):  # near datetime's limits
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(
                "The UTC offset must be between -14:00 and +14:00.", code="offset_out_of_range"
            )
        if not UPDATED_SINCE_MIN_YEAR <= result.year <= UPDATED_SINCE_MAX_YEAR:
            raise ValidationError(
                f"The year must be between {UPDATED_SINCE_MIN_YEAR} and {UPDATED_SINCE_MAX_YEAR}.",
                code="year_out_of_range",
            )
        return result.astimezone(datetime.UTC)


class UpdatedSinceFilter(django_filters.Filter):
    field_class = LenientIsoDateTimeField


class SyncFilterSet(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Rows updated at or after this ISO 8601 time; ordered by (updated_at, id).",
    )


@extend_schema_field(str)
class UsernameFilter(django_filters.CharFilter):
    """Filter by a user given as username (api.md: users travel as usernames)."""


class SearchFilter(django_filters.CharFilter):
    """`?q=` text search: rows where any of `fields` contains the text (case-insensitive)."""

    def __init__(self, *, fields: list[str], **kwargs):
        self.search_fields = fields
        kwargs.setdefault("label", f"Search in {', '.join(fields)}.")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return qs.filter(condition)


class SortFilter(django_filters.OrderingFilter):
    """`?sort=` a column (`-column` for descending), ties broken by id so paging is stable.
    Without it the list keeps the order its view gives. Columns named in `nulls_last` sort
    their empty values last in both directions (an account with no agreement is never the
    "soonest renewal")."""

    def __init__(self, *args, nulls_last=(), **kwargs):
        self.nulls_last = set(nulls_last)
        super().__init__(*args, **kwargs)

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        name = param[1:] if descending else param
        if name not in self.nulls_last:
            return super().get_ordering_value(param)
        field = F(self.param_map.get(name, name))
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs, value):
        if not value:
            return qs
        # `?sort=,` splits into empty names: skipped, as django-filter's own filter does.
        ordering = [self.get_ordering_value(param) for param in value if param]
        return qs.order_by(*ordering, "pk")


@extend_schema_field(int)
class IdFilter(django_filters.Filter):
    """A reference by id (`?account=12`). An id the user may not see lists nothing, exactly
    like an id that does not exist: the two are indistinguishable.

    Where a row the user sees may point at one they do not (an account's parent, which the
    API reads as null), give `visible_model`, the model referred to: the id then counts only
    when that row is visible to the requester too, so listing its children cannot name it.
    """

    field_class = forms.IntegerField

    def __init__(self, *, visible_model=None, **kwargs):
        self.visible_model = visible_model
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        qs = super().filter(qs, value)
        if self.visible_model is None:
            return qs
        user = getattr(getattr(self.parent, "request", None), "user", None)
        visible = self.visible_model._default_manager.visible_to(user).values("pk")
        return qs.filter(**{f"{self.field_name}__in": visible})
