"""Fiscal years: FY N runs from the 1st of FISCAL_YEAR_START_MONTH in N-1 (N if January)."""

import datetime

from django.conf import settings
from django.utils import timezone


def _start_month() -> int:
    return settings.FISCAL_YEAR_START_MONTH


def fiscal_year_of(day: datetime.date) -> int:
    start = _start_month()
    if start == 1:
        return day.year
    return day.year + 1 if day.month >= start else day.year


def fiscal_year_bounds(fy: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of fiscal year `fy`."""
    start = _start_month()
    first = datetime.date(fy if start == 1 else fy - 1, start, 1)
    next_first = datetime.date(first.year + 1, first.month, 1)
    return first, next_first - datetime.timedelta(days=1)


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


# The fiscal years people pick from in the top bar: this one and three back, plus next year
# on the pages where a year that has not started means something (a plan for next year).
# The one range: the switcher offers it and accepts nothing else.
SELECTABLE_YEARS_AHEAD = 1
SELECTABLE_YEARS_BACK = 3


def selectable_fiscal_years(*, include_next: bool = False) -> list[int]:
    """The years the fiscal-year switcher offers and accepts, newest first: the current one
    and SELECTABLE_YEARS_BACK before it; with `include_next`, the SELECTABLE_YEARS_AHEAD
    after it too (only pages that plan ahead offer those, labelled "next")."""
    current = current_fiscal_year()
    ahead = SELECTABLE_YEARS_AHEAD if include_next else 0
    return list(range(current + ahead, current - SELECTABLE_YEARS_BACK - 1, -1))


def fiscal_year_label(fy: int) -> str:
    return f"FY{fy}"


def shift_years(day: datetime.date, years: int) -> datetime.date:
    """The same date `years` later (earlier when negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def ytd_window(fy: int, as_of: datetime.date | None = None) -> "Window":
    """W(F) of domain.md: [start(F), min(end(F), as_of)]. For a fiscal year that starts after
    `as_of` the window is empty (its end is before its start)."""
    start, end = fiscal_year_bounds(fy)
    return start, min(end, as_of or timezone.localdate())


Window = tuple[datetime.date, datetime.date]


def prior_window(window: Window) -> Window:
    """The prior-year twin W(F-1): the same dates one year earlier."""
    start, end = window
    return shift_years(start, -1), shift_years(end, -1)
