"""FilterSet base: every list filters by `updated_since` (ISO time) for sync clients."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
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
