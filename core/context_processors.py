from .fiscal import current_fiscal_year, selectable_fiscal_years

FISCAL_YEAR_SESSION_KEY = "fiscal_year"


def selected_fiscal_year(request) -> int:
    """The fiscal year the user picked in the top bar (session), else the current one."""
    session = getattr(request, "session", None)
    value = session.get(FISCAL_YEAR_SESSION_KEY) if session is not None else None
    if isinstance(value, int) and value in selectable_fiscal_years():
        return value
    return current_fiscal_year()


def fiscal_year(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "current_fiscal_year": selected_fiscal_year(request),
        "fiscal_year_choices": selectable_fiscal_years(),
    }
