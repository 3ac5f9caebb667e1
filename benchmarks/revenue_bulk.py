"""How long a 1000-record revenue upload takes set-based, against one record at a time.

Prints the median of several rounds for each, and the ratio. Runs on a throwaway test
database on the configured DATABASE_URL.
"""

import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

ROUNDS = 5
ACCOUNTS = 50
MONTHS = 20  # 50 x 20 = 1000 records


def rows_for(accounts, amount):
    from accounts.services import RevenueRow

    start = datetime.date(2025, 1, 1)
    periods = [
        datetime.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
        for m in range(MONTHS)
    ]
    return [
        RevenueRow(account=a, period=p, amount=amount, source="bench")
        for a in accounts
        for p in periods
    ]


def timed(fn, expect: str | None = None) -> float:
    """Seconds `fn` took; with `expect`, check every result of the upload has that status
    (a benchmark that silently wrote nothing would look fast)."""
    began = time.perf_counter()
    results = fn()
    seconds = time.perf_counter() - began
    if expect is not None:
        statuses = {result.status for result in results}
        assert statuses == {expect}, f"expected every record {expect}, got {statuses}"
        assert all(result.pk for result in results)
    return seconds


def main() -> None:
    from accounts.models import Account, RevenueRecord
    from accounts.services import revenue_bulk_upsert, revenue_record_upsert
    from teams.models import User

    am = User.objects.create(username="bench-am", role="am")
    accounts = [
        Account.objects.create(name=f"Bench {i}", segment="mature", ltp=Decimal("1"), owner=am)
        for i in range(ACCOUNTS)
    ]

    def one_by_one(rows):
        for row in rows:
            revenue_record_upsert(
                actor=am, account=row.account, period=row.period, amount=row.amount, source="bench"
            )

    figures = {"bulk insert": [], "loop insert": [], "bulk update": [], "loop update": []}
    for round_no in range(ROUNDS):
        amount = Decimal(100 + round_no)
        RevenueRecord.objects.all().delete()
        figures["bulk insert"].append(
            timed(
                lambda a=amount: revenue_bulk_upsert(actor=am, rows=rows_for(accounts, a)),
                expect="created",
            )
        )
        figures["bulk update"].append(
            timed(
                lambda a=amount: revenue_bulk_upsert(actor=am, rows=rows_for(accounts, a + 1)),
                expect="updated",
            )
        )
        RevenueRecord.objects.all().delete()
        figures["loop insert"].append(timed(lambda a=amount: one_by_one(rows_for(accounts, a))))
        figures["loop update"].append(timed(lambda a=amount: one_by_one(rows_for(accounts, a + 1))))
        assert RevenueRecord.objects.count() == ACCOUNTS * MONTHS

    vendor = connection.vendor
    print(f"revenue upload of {ACCOUNTS * MONTHS} records on {vendor}, median of {ROUNDS} rounds")
    for kind in ("insert", "update"):
        bulk = statistics.median(figures[f"bulk {kind}"])
        loop = statistics.median(figures[f"loop {kind}"])
        print(
            f"  {kind}: set-based {bulk * 1000:8.1f} ms   baseline one-by-one {loop * 1000:8.1f} ms"
            f"   ({loop / bulk:.1f}x faster)"
        )


if __name__ == "__main__":
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
