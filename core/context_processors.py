from .fiscal import current_fiscal_year

FISCAL_YEAR_SESSION_KEY = "fiscal_year"


def selected_fiscal_year(request) -> int:
    """The fiscal year the user picked in the top bar (session), else the current one."""
    current = current_fiscal_year()
    session = getattr(request, "session", None)
    value = session.get(FISCAL_YEAR_SESSION_KEY) if session is not None else None
    return value if isinstance(value, int) else current


def fiscal_year(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = current_fiscal_year()
    return {
        "current_fiscal_year": selected_fiscal_year(request),
        "fiscal_year_choices": list(range(current + 1, current - 4, -1)),
    }
