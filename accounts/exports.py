"""CSV exports of the account lists: exactly the rows the page shows for its filters and
sort, every page. Streamed as they are read (`values_list` of the exported columns only);
above settings.EXPORT_ASYNC_ROWS they are written by a background job (core.jobs) instead,
whose functions are here and registered in settings.KEYPLAN_JOBS."""

from collections.abc import Iterable
from itertools import chain
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from core.fiscal import current_fiscal_year
from core.pages import filter_query

from . import selectors
from .filters import AccountWorklistFilter, AgreementFilter

ACCOUNT_DEFAULTS = {
    "q": "",
    "segment": "",
    "sector": "",
    "territory": "",
    "owner": "",
    "industry": "",
    "below_ltp_threshold": False,
    "status": "active",
    "sort": "name",
}
RENEWAL_DEFAULTS = {"q": "", "renewal_status": "due", "kind": "", "owner": "", "sort": "end_date"}

ACCOUNT_COLUMNS = [
    "id",
    "name",
    "external_id",
    "segment",
    "sector",
    "industry",
    "territory",
    "owner_username",
    "owner_name",
    "ltp",
    "below_ltp",
    "parent",
    "is_active",
    "updated_at",
    "fiscal_year",
    "ar_fytd",
    "ar_growth",
    "next_agreement_end",
    "next_agreement_status",
    "days_to_expiry",
]
RENEWAL_COLUMNS = [
    "account",
    "account_external_id",
    "owner_username",
    "kind",
    "number",
    "start_date",
    "end_date",
    "days_to_expiry",
    "annual_value",
    "renewal_status",
]


def account_filter(user, query: QueryDict, fy: int | None = None):
    """The accounts page's FilterSet over its worklist, with AR for fiscal year `fy` (the
    one picked in the top bar; the current one by default)."""
    worklist = selectors.account_worklist(
        user=user, fy=fy or current_fiscal_year(), as_of=timezone.localdate()
    )
    return filter_query(AccountWorklistFilter, query, worklist, ACCOUNT_DEFAULTS)


def renewal_filter(user, query: QueryDict):
    return filter_query(
        AgreementFilter, query, selectors.agreement_list(user=user), RENEWAL_DEFAULTS
    )


def account_rows(queryset, fy: int | None = None) -> Iterable[tuple[Any, ...]]:
    minimum = settings.LTP_MINIMUM
    today = timezone.localdate()
    fy_label = f"FY{fy or current_fiscal_year()}"
    rows = queryset.values_list(
        "pk",
        "name",
        "external_id",
        "segment",
        "sector__name",
        "industry__name",
        "territory__name",
        "owner__username",
        "owner__first_name",
        "owner__last_name",
        "ltp",
        "visible_parent_name",
        "is_active",
        "updated_at",
        "ar_fytd",
        "ar_growth",
        "next_end",
        "next_renewal_status",
    )
    for row in rows.iterator(chunk_size=2000):
        pk, name, ext, segment, sector, industry, territory, username, first, last = row[:10]
        ltp, parent, active, updated, ar, growth, next_end, next_status = row[10:]
        growth = selectors.growth_value(growth)
        yield (
            pk,
            name,
            ext or "",
            segment,
            sector or "",
            industry or "",
            territory or "",
            username,
            f"{first} {last}".strip(),
            f"{ltp:.2f}",
            "yes" if ltp < minimum[segment] else "no",
            parent or "",
            "yes" if active else "no",
            timezone.localtime(updated).isoformat(timespec="seconds"),
            fy_label,
            "" if ar is None else f"{ar:.2f}",
            "" if growth is None else f"{growth:.6f}",
            next_end.isoformat() if next_end else "",
            next_status or "",
            (next_end - today).days if next_end else "",
        )


def renewal_rows(queryset) -> Iterable[tuple[Any, ...]]:
    today = timezone.localdate()
    rows = queryset.values_list(
        "account__name",
        "account__external_id",
        "account__owner__username",
        "kind",
        "number",
        "start_date",
        "end_date",
        "annual_value",
        "renewal_status",
    )
    for name, ext, owner, kind, number, start, end, value, status in rows.iterator(chunk_size=2000):
        yield (
            name,
            ext or "",
            owner,
            kind,
            number,
            start.isoformat(),
            end.isoformat(),
            (end - today).days,
            f"{value:.2f}",
            status,
        )


def _stamp() -> str:
    return timezone.localdate().isoformat()


def accounts_csv_job(job):
    fy = job.params.get("fy")
    filterset, _ = account_filter(job.owner, QueryDict(job.params.get("query", "")), fy)
    qs = filterset.qs
    rows = chain([ACCOUNT_COLUMNS], account_rows(qs, fy))
    return f"keyplan-accounts-{_stamp()}.csv", qs.count(), rows


def renewals_csv_job(job):
    filterset, _ = renewal_filter(job.owner, QueryDict(job.params.get("query", "")))
    qs = filterset.qs
    rows = chain([RENEWAL_COLUMNS], renewal_rows(qs))
    return f"keyplan-renewals-{_stamp()}.csv", qs.count(), rows
