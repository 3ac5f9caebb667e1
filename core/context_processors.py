from .fiscal import current_fiscal_year, selectable_fiscal_years

FISCAL_YEAR_SESSION_KEY = "fiscal_year"


def selected_fiscal_year(request, *, allow_next: bool = False) -> int:
    """The fiscal year the user picked in the top bar (session), else the current one. A
    future year (picked on a page that plans ahead) counts only where `allow_next`: a page
    that reports on what happened shows the current year instead of a year of dashes."""
    session = getattr(request, "session", None)
    value = session.get(FISCAL_YEAR_SESSION_KEY) if session is not None else None
    if isinstance(value, int) and value in selectable_fiscal_years(include_next=allow_next):
        return value
    return current_fiscal_year()


def fiscal_year(request) -> dict:
    """The switcher's years. A page that plans ahead sets `fiscal_year_offers_next` (and
    `current_fiscal_year` from selected_fiscal_year(request, allow_next=True)) in its own
    context; the switcher then offers the next years as well, labelled "next"."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = current_fiscal_year()
    return {
        "current_fiscal_year": selected_fiscal_year(request),
        "fiscal_year_choices": selectable_fiscal_years(),
        "fiscal_year_next_choices": [
            fy for fy in selectable_fiscal_years(include_next=True) if fy > current
        ],
    }
