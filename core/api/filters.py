"""FilterSet base: every list filters by `updated_since` (ISO time) for sync clients."""

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field


class LenientIsoDateTimeField(forms.DateTimeField):
    """ISO 8601; a '+' offset that arrived unencoded (as a space) is put back."""

    def to_python(self, value):
        if isinstance(value, str) and " " in value.strip() and "T" in value:
            value = value.strip().replace(" ", "+")
        return super().to_python(value)


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
