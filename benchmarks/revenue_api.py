"""POST /api/v1/revenue/bulk/ against the raw-SQL floor, on PostgreSQL.

Each round uploads 1000 records through the whole API stack in-process (Django's test client:
middleware, token auth, idempotency, JSON parsing, validation, the write-permission check,
the upsert and the JSON answer) and, in the same run, the same rows through plain psycopg2
`execute_values(INSERT ... ON CONFLICT (account, period, source) DO UPDATE ... WHERE changed)`
into the same table: the floor no application can beat. Three kinds of upload:

- creates: 1000 new (account, period, source) keys;
- updates: the same 1000 keys, every amount changed;
- sparse corrections: the same 1000 keys resent, 50 amounts changed.

Prints the median records/s of each and the API's share of the raw rate (goal: >= 0.30).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/keyplan \
        .venv/bin/python benchmarks/revenue_api.py

Runs on a throwaway test database (created and dropped here).
"""

import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("API_THROTTLE_USER", "100000000/min")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

ROUNDS = 7
ACCOUNTS = 50
MONTHS = 20  # 50 x 20 = 1000 records
SPARSE = 50  # records changed in a sparse correction


def periods() -> list[datetime.date]:
    return [datetime.date(2020 + m // 12, m % 12 + 1, 1) for m in range(MONTHS)]


def records(account_ids, amount_for) -> list[dict]:
    return [
        {"account": a, "period": p.isoformat(), "amount": amount_for(i), "source": "bench"}
        for i, (a, p) in enumerate((a, p) for a in account_ids for p in periods())
    ]


def api_upload(client, rows, expect: dict[str, int]) -> float:
    body = json.dumps({"records": rows})
    began = time.perf_counter()
    response = client.post("/api/v1/revenue/bulk/", body, content_type="application/json")
    seconds = time.perf_counter() - began
    assert response.status_code == 200, response.content[:300]
    counts: dict[str, int] = {}
    for result in response.json()["results"]:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    assert counts == expect, f"expected {expect}, got {counts}"
    return seconds


RAW_SQL = """
    INSERT INTO accounts_revenuerecord
        (account_id, period, amount, source, created_at, updated_at, version)
    VALUES %s
    ON CONFLICT (account_id, period, source) DO UPDATE
        SET amount = EXCLUDED.amount, updated_at = EXCLUDED.updated_at,
            version = accounts_revenuerecord.version + 1
        WHERE accounts_revenuerecord.amount IS DISTINCT FROM EXCLUDED.amount
    RETURNING id, version
"""


def raw_upload(rows) -> float:
    from psycopg2.extras import execute_values

    now = datetime.datetime.now(datetime.UTC)
    values = [(r["account"], r["period"], r["amount"], r["source"], now, now, 1) for r in rows]
    began = time.perf_counter()
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, RAW_SQL, values, page_size=1000, fetch=True)
    connection.commit() if not connection.get_autocommit() else None
    return time.perf_counter() - began


def main() -> None:
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import Account, RevenueRecord
    from teams.models import User

    am = User.objects.create(username="bench-am", role="am")
    account_ids = [
        Account.objects.create(name=f"Bench {i}", segment="mature", ltp=1, owner=am).pk
        for i in range(ACCOUNTS)
    ]
    token = Token.objects.create(user=am)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="localhost")
    n = ACCOUNTS * MONTHS

    def money(value: float) -> str:
        return f"{value:.2f}"

    figures: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)

    for round_no in range(ROUNDS):
        base = 1000 + round_no * 10
        first = records(account_ids, lambda i, b=base: money(b + i))
        changed = records(account_ids, lambda i, b=base: money(b + i + 0.5))
        sparse = records(
            account_ids, lambda i, b=base: money(b + i + (0.75 if i < SPARSE else 0.5))
        )
        for side, upload in (("api", None), ("raw", raw_upload)):
            RevenueRecord.objects.all().delete()
            if side == "api":
                record("api creates", api_upload(client, first, {"created": n}))
                record("api updates", api_upload(client, changed, {"updated": n}))
                record(
                    "api sparse",
                    api_upload(client, sparse, {"updated": SPARSE, "unchanged": n - SPARSE}),
                )
            else:
                record("raw creates", upload(first))
                record("raw updates", upload(changed))
                record("raw sparse", upload(sparse))
            assert RevenueRecord.objects.count() == n

    print(
        f"POST /api/v1/revenue/bulk/ ({n} records an upload, in-process through the whole "
        f"stack) against raw psycopg2 execute_values ON CONFLICT on {connection.vendor}; "
        f"median of {ROUNDS} rounds"
    )
    print(f"  {'upload':<20} {'API rec/s':>10} {'raw rec/s':>10} {'API/raw':>8}")
    for kind, label in (
        ("creates", "creates"),
        ("updates", "updates"),
        ("sparse", "sparse corrections"),
    ):
        api = n / statistics.median(figures[f"api {kind}"])
        raw = n / statistics.median(figures[f"raw {kind}"])
        print(f"  {label:<20} {api:>10,.0f} {raw:>10,.0f} {api / raw:>8.2f}")


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        sys.exit(
            "revenue_api.py compares against psycopg2's execute_values: "
            "set DATABASE_URL to PostgreSQL."
        )
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
