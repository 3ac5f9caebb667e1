"""Template filters for account things: `{% load account_format %}`."""

from django import template

from ..models import Agreement

register = template.Library()

# Colour means one thing everywhere (design.md): green on track, amber at risk, red lapsed,
# grey not started.
RENEWAL_CLASSES = {
    Agreement.RenewalStatus.ACTIVE: "status-ok",
    Agreement.RenewalStatus.UPCOMING: "status-none",
    Agreement.RenewalStatus.DUE: "status-warn",
    Agreement.RenewalStatus.RENEWED: "status-ok",
    Agreement.RenewalStatus.LAPSED: "status-bad",
}


@register.filter
def renewal_badge_class(status) -> str:
    """Agreement renewal status -> status-ok|status-warn|status-bad|status-none."""
    return RENEWAL_CLASSES.get(str(status) if status is not None else "", "status-none")


@register.filter
def renewal_label(status) -> str:
    """Agreement renewal status -> its word: "due" -> "Due for renewal"."""
    try:
        return Agreement.RenewalStatus(str(status)).label
    except ValueError:
        return str(status or "—").capitalize()


@register.filter
def any_without_login(members) -> bool:
    """Whether any virtual-team member is a named person without a Keyplan login."""
    return any(not member.user_id for member in members)


SHORT_LABELS = {
    Agreement.RenewalStatus.ACTIVE: "Active",
    Agreement.RenewalStatus.UPCOMING: "Upcoming",
    Agreement.RenewalStatus.DUE: "Due",
    Agreement.RenewalStatus.RENEWED: "Renewed",
    Agreement.RenewalStatus.LAPSED: "Lapsed",
}


@register.filter
def renewal_short(status) -> str:
    """The status's word for a narrow column: "due" -> "Due" (the full label goes in a title)."""
    return SHORT_LABELS.get(str(status) if status is not None else "", renewal_label(status))
