"""Sections that apps above accounts add to the account page (an account's opportunities,
later its stakeholders and plans), without accounts importing them.

The one registry is settings.KEYPLAN_ACCOUNT_SECTIONS: dotted paths of functions

    def section(request, account) -> AccountSection | None

called in that order when the account page renders (after the visibility check: `account` is
one the user sees). A function returns None to show nothing. Each section renders its own
template with its own context, and answers for its own query count (a constant number per
section, whatever the size of the account).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .models import Account


@dataclass(frozen=True)
class AccountSection:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


SectionProvider = Callable[[HttpRequest, Account], AccountSection | None]


def section_providers() -> list[SectionProvider]:
    return [import_string(path) for path in settings.KEYPLAN_ACCOUNT_SECTIONS]


def account_sections(request: HttpRequest, account: Account) -> list[AccountSection]:
    sections = []
    for provider in section_providers():
        section = provider(request, account)
        if section is not None:
            sections.append(section)
    return sections
