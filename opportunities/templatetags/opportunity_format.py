"""How the pipeline pages spell an opportunity's values."""

import datetime
from decimal import Decimal

from django import template
from django.utils import dateformat

from ..models import ForecastCategory

register = template.Library()

FORECAST_LABELS = dict(ForecastCategory.choices)


@register.filter
def forecast_label(value) -> str:
    """`best_case` -> "Best case"; an unknown value as it is; None -> "—"."""
    if not value:
        return "—"
    return str(FORECAST_LABELS.get(value, value))


@register.filter
def weighted(amount, probability) -> Decimal | None:
    """Amount x probability / 100 (the weighted amount), to the cent."""
    if amount is None or probability is None:
        return None
    return (Decimal(amount) * Decimal(probability) / 100).quantize(Decimal("0.01"))


@register.filter
def iso_date(value) -> str:
    """A StageChange's ISO date ("2027-03-31") as people read it: 31 Mar 2027."""
    try:
        return dateformat.format(datetime.date.fromisoformat(value), "j M Y")
    except (TypeError, ValueError):
        return value or "—"
