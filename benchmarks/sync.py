"""Opportunity sync: POST /api/v1/opportunities/bulk/ over HTTP against the raw-SQL floor,
on PostgreSQL.

A sync client upserts --records opportunities (50,000) in batches of --batch (1000) through
a running server (gunicorn, 2 sync workers, DEBUG off: benchmarks/_server.py), one request
at a time, three times:

- creates: every (source, external_id) new;
- updates: the same keys, every amount and close date changed (so each row is written, its
  version moves and two StageChange rows record the change);
- resends: the updates sent again, identical: nothing is written.

In the same run, batch by batch (API, then raw, alternately, so a busy moment of a shared
machine weighs on both), the same rows go through plain psycopg2 `execute_values(INSERT ...
ON CONFLICT (source, external_id) DO UPDATE ... WHERE <a column differs> RETURNING id,
version)`, one transaction a batch, into a scratch table of the same shape (`CREATE TABLE
... (LIKE opportunities_opportunity INCLUDING ALL)`: the same columns, unique key and
indexes; no foreign keys): the floor no application can beat. Prints records/s of each and
the API's share of the raw rate (goal: >= 0.30 on creates and updates, more on resends).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/keyplan_opps_api \\
        .venv/bin/python benchmarks/sync.py [--records 50000] [--batch 1000] [--port 8103]

    .venv/bin/python benchmarks/sync.py --profile   # cProfile of one 1000-record update,
                                                     # in-process, top functions

It migrates the database and adds its own AM, 100 accounts and (source "bench") rows, which
it removes first on every run; it does not touch the rest of the database.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from collections import Counter

import _server as srv

SOURCE = "bench"
ACCOUNTS = 100
STAGES = ["prospect", "qualify", "develop", "propose", "negotiate"]
SCRATCH = "bench_opportunity_raw"


def make_records(n: int, account_ids: list[int], version: int) -> list[dict]:
    """The n records of one pass; `version` 0 for creates, 1 for the changed values."""
    base = datetime.date(2027, 1, 31)
    return [
        {
            "source": SOURCE,
            "external_id": f"OPP-{i:06d}",
            "account": account_ids[i % len(account_ids)],
            "name": f"Bench deal {i}",
            "owner": "bench.am",
            "kind": "new",
            "stage": STAGES[i % len(STAGES)],
            "amount": f"{10000 + i + version * 500}.00",
            "currency": "USD",
            "close_date": (base + datetime.timedelta(days=(i % 300) + 30 * version)).isoformat(),
            "business_value": "Cuts the cost of running branches by 12%.",
            "competitor": "",
        }
        for i in range(n)
    ]


def setup(env) -> tuple[list[int], str, dict[str, int]]:
    """The bench AM, accounts and token; stage ids by slug. Old bench rows removed."""
    srv.manage(env, "migrate", "--noinput", "-v0")
    srv.setup_django(env)
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.models import Account
    from opportunities.models import Opportunity, Stage
    from teams.models import User

    Opportunity.objects.filter(source=SOURCE).delete()
    am, _ = User.objects.get_or_create(username="bench.am", defaults={"role": "am"})
    accounts = list(
        Account.objects.filter(owner=am, name__startswith="Sync bench ").values_list(
            "pk", flat=True
        )
    )
    for i in range(len(accounts), ACCOUNTS):
        accounts.append(
            Account.objects.create(
                name=f"Sync bench {i:03d}", segment="mature", ltp=1_000_000, owner=am
            ).pk
        )
    token, _ = Token.objects.get_or_create(user=am)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cursor.execute(f"CREATE TABLE {SCRATCH} (LIKE opportunities_opportunity INCLUDING ALL)")
    stages = dict(Stage.objects.values_list("slug", "pk"))
    return sorted(accounts)[:ACCOUNTS], token.key, stages


def api_batch(client, records: list[dict]) -> tuple[float, Counter]:
    """One bulk request; its seconds and the count of each result status."""
    body = json.dumps({"records": records}).encode()
    began = time.perf_counter()
    answer = client.post_json("/api/v1/opportunities/bulk/", body)
    seconds = time.perf_counter() - began
    if answer.status != 200:
        raise SystemExit(f"bulk answered {answer.status}: {answer.text[:500]}")
    return seconds, Counter(r["status"] for r in json.loads(answer.body)["results"])


COLUMNS = [
    "source",
    "external_id",
    "account_id",
    "name",
    "owner_id",
    "kind",
    "stage_id",
    "amount",
    "currency",
    "close_date",
    "probability",
    "forecast_category",
    "business_value",
    "licensing_vehicle",
    "agreement_id",
    "competitor",
    "loss_reason",
    "is_deleted",
    "deleted_at",
]
UPDATED = COLUMNS[2:]


def _raw_sql() -> str:
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in UPDATED)
    mine = ", ".join(f"{SCRATCH}.{c}" for c in UPDATED)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in UPDATED)
    return (
        f"INSERT INTO {SCRATCH} ({', '.join(COLUMNS)}, created_at, updated_at, version) "
        f"VALUES %s ON CONFLICT (source, external_id) DO UPDATE SET {assignments}, "
        f"updated_at = EXCLUDED.updated_at, version = {SCRATCH}.version + 1 "
        f"WHERE ({mine}) IS DISTINCT FROM ({theirs}) RETURNING id, version"
    )


RAW_SQL = _raw_sql()


def raw_batch(records: list[dict], owner: int, stages: dict[str, int]) -> tuple[float, int]:
    """The same rows straight to the database: execute_values, one transaction; its
    seconds and the rows the statement wrote."""
    from django.db import connection
    from psycopg2.extras import execute_values

    connection.ensure_connection()
    raw = connection.connection
    now = datetime.datetime.now(datetime.UTC)
    began = time.perf_counter()
    values = [
        (
            r["source"],
            r["external_id"],
            r["account"],
            r["name"],
            owner,
            r["kind"],
            stages[r["stage"]],
            r["amount"],
            r["currency"],
            r["close_date"],
            None,
            None,
            r["business_value"],
            "",
            None,
            r["competitor"],
            "",
            False,
            None,
            now,
            now,
            1,
        )
        for r in records
    ]
    with raw.cursor() as cursor:
        written = len(execute_values(cursor, RAW_SQL, values, page_size=len(records), fetch=True))
    raw.commit()
    return time.perf_counter() - began, written


def run_pass(client, records, batch, owner, stages, expect: str) -> tuple[float, float]:
    """Every batch through the API, then the same batch raw, alternately, so a busy moment
    of the machine weighs on both sides alike. (API seconds, raw seconds)."""
    api_seconds = raw_seconds = 0.0
    statuses: Counter = Counter()
    written = 0
    for start in range(0, len(records), batch):
        part = records[start : start + batch]
        seconds, counts = api_batch(client, part)
        api_seconds += seconds
        statuses.update(counts)
        seconds, rows = raw_batch(part, owner, stages)
        raw_seconds += seconds
        written += rows
    if statuses != {expect: len(records)}:
        raise SystemExit(f"API: expected {len(records)} {expect}, got {dict(statuses)}")
    if written != (0 if expect == "unchanged" else len(records)):
        raise SystemExit(f"raw: wrote {written} rows on a pass of {expect}")
    return api_seconds, raw_seconds


def profile(env, batch: int) -> None:
    """cProfile of one update request of `batch` records, in-process (Django's test client
    through the whole stack), after a create of the same rows."""
    import cProfile
    import pstats

    account_ids, token, _ = setup(env)
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    url = "/api/v1/opportunities/bulk/"
    for version in (0, 1):
        body = json.dumps({"records": make_records(batch, account_ids, version)})
        if version:
            profiler = cProfile.Profile()
            profiler.enable()
        began = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        seconds = time.perf_counter() - began
        assert response.status_code == 200, response.content[:300]
    profiler.disable()
    print(f"one update of {batch} records: {seconds * 1000:.0f} ms in-process")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", srv.DEFAULT_REDIS_URL))
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--port", type=int, default=None, help="gunicorn's (default: a free one)")
    parser.add_argument("--profile", action="store_true", help="cProfile one request instead")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgres"):
        parser.error("set DATABASE_URL (or --database-url) to a PostgreSQL database")

    env = srv.bench_env(args.database_url, args.redis_url)
    env["API_THROTTLE_SYNC"] = "100000000/min"
    if args.profile:
        profile(env, args.batch)
        return
    account_ids, token, stages = setup(env)
    from teams.models import User

    owner = User.objects.get(username="bench.am").pk
    n = args.records
    creates = make_records(n, account_ids, 0)
    updates = make_records(n, account_ids, 1)
    srv.collect_static(env)
    figures: dict[str, tuple[float, float]] = {}
    with srv.gunicorn(env, port=args.port) as port:
        client = srv.Client(port, token=token, timeout=120)
        api_batch(client, creates[: args.batch])  # warm-up: the workers load everything
        from opportunities.models import Opportunity

        Opportunity.objects.filter(source=SOURCE).delete()
        for kind, records, expect in (
            ("creates", creates, "created"),
            ("updates", updates, "updated"),
            ("identical resends", updates, "unchanged"),
        ):
            figures[kind] = run_pass(client, records, args.batch, owner, stages, expect)
            print(f"{kind}: done", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    print(
        f"\nPOST /api/v1/opportunities/bulk/: {n:,} records in batches of {args.batch}, one "
        f"request at a time, gunicorn {srv.WORKERS} workers, against psycopg2 execute_values "
        f"INSERT ... ON CONFLICT into a table of the same shape"
    )
    print(f"  {'pass':<18} {'API rec/s':>10} {'raw rec/s':>10} {'API/raw':>8}")
    for kind, (api, raw) in figures.items():
        print(f"  {kind:<18} {n / api:>10,.0f} {n / raw:>10,.0f} {raw / api:>8.2f}")
    print(f"  (one pass of {n // args.batch} requests each; API and raw alternate batch by batch)")


if __name__ == "__main__":
    main()
