import datetime
from decimal import Decimal

import pytest

from accounts.templatetags.account_format import renewal_badge_class, renewal_label, renewal_short
from core.templatetags.keyplan_format import (
    days_until,
    money,
    money_compact,
    money_short,
    percent,
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
    statuses = ["active", "upcoming", "due", "renewed", "lapsed", "x"]
    assert [renewal_badge_class(s) for s in statuses] == [
        "status-ok",
        "status-none",
        "status-warn",
        "status-ok",
        "status-bad",
        "status-none",
    ]
    assert renewal_label("due") == "Due for renewal"
    assert renewal_label("upcoming") == "Upcoming"
    day = datetime.date(2026, 12, 25)
    assert days_until(day, datetime.date(2026, 12, 1)) == 24
    assert days_until(day, datetime.date(2027, 1, 1)) == -7
    assert days_until(None, day) is None


@pytest.mark.parametrize(
    "value, expected",
    [(Decimal("1250000"), "USD 1.25M"), (Decimal("543970"), "USD 543.97K"), (None, "—")],
)
def test_money_short(value, expected):
    assert money_short(value) == expected


def test_renewal_short_labels():
    assert renewal_short("due") == "Due"
    assert renewal_short("upcoming") == "Upcoming"
    assert renewal_short(None) == "—"
