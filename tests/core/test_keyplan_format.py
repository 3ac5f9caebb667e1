from decimal import Decimal

from core.templatetags.keyplan_format import (
    money,
    money_compact,
    percent,
    renewal_badge_class,
    signed_percent,
)


def test_format_filters():
    assert money(Decimal("1250000.40")) == "USD 1,250,000"
    assert money(None) == "—"
    assert money(Decimal("-0.2")) == "USD 0"
    assert money_compact(Decimal("1250000")) == "1.25M"
    assert money_compact(450000) == "450K"
    assert money_compact(999999) == "1M"
    assert money_compact(950) == "950"
    assert percent(Decimal("0.125")) == "12.5%"
    assert percent(None) == "—"
    assert signed_percent(Decimal("0.125")) == "+12.5% ▲"
    assert signed_percent(Decimal("-0.03")) == "−3.0% ▼"
    assert signed_percent(0) == "0.0%"
    assert signed_percent(None) == "—"
    assert [renewal_badge_class(s) for s in ["active", "due", "renewed", "lapsed", "x"]] == [
        "status-ok",
        "status-warn",
        "status-ok",
        "status-bad",
        "status-none",
    ]
