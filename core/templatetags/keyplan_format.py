"""Numbers for people: money with its currency and thousands separators, ratios as
percents with one decimal, growth with a sign and an arrow (design.md, Conventions).

Formatting is locale-independent on purpose: "USD 1,250,000" reads the same for every user
and matches keyplan.js's chart tooltips.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CURRENCY = "USD"
EMPTY = "—"
MINUS = "\u2212"  # a true minus sign, not a hyphen
COMPACT_UNITS = [
    (Decimal("1e12"), "T"),
    (Decimal("1e9"), "B"),
    (Decimal("1e6"), "M"),
    (Decimal("1e3"), "K"),
]


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _strip(d: Decimal) -> str:
    """Two decimals at most, trailing zeros dropped: 1.50 -> "1.5", 2.00 -> "2"."""
    text = f"{d.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def money(value, currency: str = CURRENCY) -> str:
    """Decimal("1250000.40") -> "USD 1,250,000"; None -> "—"."""
    d = _decimal(value)
    if d is None:
        return EMPTY
    whole = d.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if whole == 0:
        whole = Decimal("0")  # no "-0"
    return f"{currency} {whole:,.0f}"


@register.filter
def money_compact(value) -> str:
    """1250000 -> "1.25M", 450000 -> "450K", 950 -> "950"; None -> "—"."""
    d = _decimal(value)
    if d is None:
        return EMPTY
    sign = "-" if d < 0 else ""
    magnitude = abs(d)
    for i, (size, unit) in enumerate(COMPACT_UNITS):
        scaled = (magnitude / size).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if scaled >= 1:
            if scaled >= 1000 and i > 0:  # 999,999 would read "1000K": say "1M"
                bigger, bigger_unit = COMPACT_UNITS[i - 1]
                scaled = (magnitude / bigger).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                return f"{sign}{_strip(scaled)}{bigger_unit}"
            return f"{sign}{_strip(scaled)}{unit}"
    return f"{sign}{_strip(magnitude)}"


@register.filter
def money_short(value, currency: str = CURRENCY) -> str:
    """Money in a dense table: "USD 1.25M" (the full amount goes in a title); None -> "—"."""
    text = money_compact(value)
    return text if text == EMPTY else f"{currency} {text}"


def _percent_points(value) -> Decimal | None:
    """A fraction as percentage points to one decimal (0.125 -> 12.5); -0.0 reads 0.0."""
    d = _decimal(value)
    if d is None:
        return None
    pct = (d * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Decimal("0.0") if pct == 0 else pct


@register.filter
def percent(value) -> str:
    """A fraction as a percent with one decimal: 0.125 -> "12.5%"; None -> "—"."""
    pct = _percent_points(value)
    if pct is None:
        return EMPTY
    return f"{pct:,.1f}%"


@register.filter
def signed_percent(value) -> str:
    """Growth: 0.125 -> "+12.5% ▲", -0.03 -> "−3.0% ▼", 0 -> "0.0%"; None -> "—"."""
    pct = _percent_points(value)
    if pct is None:
        return EMPTY
    if pct > 0:
        return f"+{pct:,.1f}% ▲"
    if pct < 0:
        return f"{MINUS}{abs(pct):,.1f}% ▼"
    return "0.0%"


@register.filter
def delta_class(value) -> str:
    """The CSS class for a growth figure: kp-delta-up|kp-delta-down|kp-delta-flat."""
    d = _decimal(value)
    if d is None:
        return "kp-delta-flat"
    pct = (d * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if pct > 0:
        return "kp-delta-up"
    if pct < 0:
        return "kp-delta-down"
    return "kp-delta-flat"


@register.filter
def progress_value(fraction) -> int:
    """A fraction as a 0-100 integer for <progress value>, clamped."""
    d = _decimal(fraction)
    if d is None:
        return 0
    return int(max(Decimal("0"), min(Decimal("100"), (d * 100).quantize(Decimal("1")))))


@register.filter
def days_until(day, today) -> int | None:
    """Whole days from `today` to `day` (negative once it has passed)."""
    if day is None or today is None:
        return None
    return (day - today).days


@register.filter(expects_localtime=True)
def kp_date(value) -> str:
    """A date as the whole product prints it (settings.KEYPLAN_DATE_FORMAT: 27 Nov 2026)."""
    from core.forms import display_date

    return display_date(value) or EMPTY
