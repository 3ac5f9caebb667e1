"""The pipeline table's filters and its CSV export: exactly the rows the table shows for its
filters and sort, every page, streamed (`values_list` of the exported columns only); above
settings.EXPORT_ASYNC_ROWS written by a background job (core.jobs, kind
"opportunities-csv", registered in settings.KEYPLAN_JOBS)."""

from collections.abc import Iterable
from decimal import Decimal
from itertools import chain
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from core.pages import filter_query

from . import selectors
from .filters import OpportunityFilter

# The table's parameters in query-string order, with the values left out of its URLs.
PIPELINE_DEFAULTS = {
    "q": "",
    "owner": "",
    "account": "",
    "stage": "",
    "kind": "",
    "forecast_category": "",
    "close_quarter": "",
    "partner": "",
    "slipped": False,
    "status": "open",
    "sort": "close_date",
}

PIPELINE_COLUMNS = [
    "id",
    "name",
    "account",
    "account_external_id",
    "owner_username",
    "stage",
    "kind",
    "amount",
    "currency",
    "probability",
    "weighted_amount",
    "forecast_category",
    "close_date",
    "close_date_pushes",
    "open_escalation",
    "source",
    "external_id",
    "updated_at",
]


def pipeline_filter(user, query: QueryDict, defaults=PIPELINE_DEFAULTS):
    return filter_query(OpportunityFilter, query, selectors.pipeline_list(user=user), defaults)


def pipeline_rows(queryset) -> Iterable[tuple[Any, ...]]:
    rows = queryset.values_list(
        "pk",
        "name",
        "account__name",
        "account__external_id",
        "owner__username",
        "stage__slug",
        "kind",
        "amount",
        "currency",
        "probability_effective",
        "forecast_category_effective",
        "close_date",
        "slips",
        "open_escalation",
        "source",
        "external_id",
        "updated_at",
    )
    for row in rows.iterator(chunk_size=2000):
        pk, name, account, account_ext, owner, stage, kind, amount, currency = row[:9]
        probability, category, close, slips, escalated, source, ext, updated = row[9:]
        weighted = (amount * probability / Decimal(100)).quantize(Decimal("0.01"))
        yield (
            pk,
            name,
            account,
            account_ext or "",
            owner,
            stage,
            kind,
            f"{amount:.2f}",
            currency,
            probability,
            f"{weighted:.2f}",
            category,
            close.isoformat(),
            slips,
            "yes" if escalated else "no",
            source,
            ext or "",
            timezone.localtime(updated).isoformat(timespec="seconds"),
        )


def opportunities_csv_job(job):
    filterset, _ = pipeline_filter(job.owner, QueryDict(job.params.get("query", "")))
    qs = filterset.qs
    stamp = timezone.localdate().isoformat()
    return f"keyplan-pipeline-{stamp}.csv", qs.count(), chain([PIPELINE_COLUMNS], pipeline_rows(qs))
