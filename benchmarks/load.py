"""Many users at once on a large book: throughput and latency of a mixed workload, against
the same users hammering /healthz on the same server in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/keyplan_bench10k \\
        .venv/bin/python benchmarks/load.py [--users 50] [--seconds 60] [--json out.json]

The database must hold a book made by `manage.py generate_book` (or pass `--generate N`).
The script starts gunicorn as pages.py does (benchmarks/_server.py), signs every user in
through /login/ and gives each a DRF token, then runs --users threads for --seconds, each a
user with no think time: 80% AMs, 16% managers, 4% ops (at least one ops; book users are
reused when the book has fewer). Each picks, from its own seeded random generator:

    page: home              /
    page: account list      /accounts/ with a search, a segment, a sort and a page, each
                            now and then
    page: account           /accounts/<id>/ of an account the user sees
    api: accounts           /api/v1/accounts/ searched, sorted, paged
    api: agreements         /api/v1/agreements/ of one account, or a page of all
    api: revenue            /api/v1/revenue/ of one account (100), or a page of 200
    api: revenue bulk       AMs only: POST /api/v1/revenue/bulk/ of 100 records to an
                            account they own, with an Idempotency-Key

Before that, the baseline: the same users request /healthz for --baseline-seconds. Prints
requests, errors by status, requests per second and p50/p95/p99, overall and per kind.
The load generator runs on the same 2 cores as gunicorn and PostgreSQL: read the figures
against the baseline, not as absolute capacity. The uploaded records (source
`bench-load`, months before the book's) are deleted at the end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _server as srv

UPLOAD_SOURCE = "bench-load"
# gunicorn's access log: the request's kind (our header), status, microseconds served.
ACCESS_FORMAT = "%({x-bench-kind}i)s|%(s)s|%(D)s"
UPLOAD_RECORDS = 100
# Kind -> weight; the bulk upload only for AMs (others draw among the rest).
KINDS = {
    "page: home": 10,
    "page: account list": 25,
    "page: account": 20,
    "api: accounts": 15,
    "api: agreements": 10,
    "api: revenue": 15,
    "api: revenue bulk": 5,
}
SEARCHES = ["bank", "lagoon", "energy", "ltd", "zenith", "telecom", "eko", "university"]
PAGE_SORTS = ["name", "segment", "sector", "territory", "owner", "ltp", "updated"]
SEGMENTS = ["mature", "emerging"]
# The months uploads write: 100 months before any the book holds, one source of their own.
UPLOAD_MONTHS = [datetime.date(2000 + m // 12, m % 12 + 1, 1) for m in range(UPLOAD_RECORDS)]


@dataclass
class User:
    role: str
    username: str
    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    visible: list[int] = field(default_factory=list)  # account ids to visit
    owned: list[int] = field(default_factory=list)  # account ids to upload to (AMs)


@dataclass
class Sample:
    kind: str
    status: str
    seconds: float


# --- who --------------------------------------------------------------------------------


def make_users(count: int) -> list[User]:
    """`count` users by role (80/16/4 %, at least one ops), cycling through the book's
    AMs and managers, with the accounts each may visit and (AMs) upload to."""
    from accounts.selectors import account_list
    from teams.models import User as Person

    people = Person.objects.filter(username__startswith="book.").order_by("username")
    by_role = {
        "am": [p for p in people if p.username.startswith("book.am.")],
        "manager": [p for p in people if p.username.startswith("book.manager.")],
        "ops": [p for p in people if p.username == "book.ops"],
    }
    ops = max(1, round(count * 0.04))
    managers = round(count * 0.16)
    roles = ["ops"] * ops + ["manager"] * managers + ["am"] * (count - ops - managers)
    seen: dict[str, tuple[list[int], list[int]]] = {}
    users = []
    for n, role in enumerate(roles):
        pool = by_role[role]
        person = pool[n % len(pool)]
        if person.username not in seen:
            rng = random.Random(person.username)
            ids = list(account_list(user=person).order_by("pk").values_list("pk", flat=True))
            owned = (
                list(
                    account_list(user=person)
                    .filter(owner=person)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                if role == "am"
                else []
            )
            seen[person.username] = (rng.sample(ids, min(len(ids), 500)), owned)
        visible, owned = seen[person.username]
        users.append(User(role=role, username=person.username, visible=visible, owned=owned))
    return users


def sign_in(users: list[User], port: int) -> None:
    """One login and one token per distinct user name, shared by the threads that play it."""
    from rest_framework.authtoken.models import Token

    from teams.models import User as Person

    sessions: dict[str, tuple[dict[str, str], str]] = {}
    for user in users:
        if user.username not in sessions:
            client = srv.Client(port)
            client.login(user.username)
            # What `manage.py drf_create_token` does, in-process: one command per user would
            # start Django 50 times.
            token, _ = Token.objects.get_or_create(user=Person.objects.get(username=user.username))
            sessions[user.username] = (dict(client.cookies), token.key)
        user.cookies, user.token = dict(sessions[user.username][0]), sessions[user.username][1]


# --- what a user does -------------------------------------------------------------------


def next_request(user: User, rng: random.Random) -> tuple[str, str, str, bytes | None]:
    """(kind, method, path, body) of the user's next request."""
    kinds = [k for k in KINDS if user.owned or k != "api: revenue bulk"]
    kind = rng.choices(kinds, weights=[KINDS[k] for k in kinds])[0]
    account = rng.choice(user.visible)
    if kind == "page: home":
        return kind, "GET", "/", None
    if kind == "page: account list":
        params = []
        if rng.random() < 0.3:
            params.append(f"q={rng.choice(SEARCHES)}")
        if rng.random() < 0.3:
            params.append(f"segment={rng.choice(SEGMENTS)}")
        if rng.random() < 0.5:
            params.append(f"sort={rng.choice(['', '-'])}{rng.choice(PAGE_SORTS)}")
        if rng.random() < 0.4:
            params.append(f"page={rng.randint(2, 5)}")
        return kind, "GET", "/accounts/" + ("?" + "&".join(params) if params else ""), None
    if kind == "page: account":
        return kind, "GET", f"/accounts/{account}/", None
    if kind == "api: accounts":
        # Every user sees at least 100 accounts: two pages of 50 (the API answers 404 past
        # the last page, unlike the list page). A search stays on its first page.
        params = [f"sort={rng.choice(['name', '-ltp', 'updated'])}"]
        if rng.random() < 0.3:
            params.append(f"q={rng.choice(SEARCHES)}")
        else:
            params.append(f"page={rng.randint(1, 2)}")
        return kind, "GET", "/api/v1/accounts/?" + "&".join(params), None
    if kind == "api: agreements":
        if rng.random() < 0.5:
            return kind, "GET", f"/api/v1/agreements/?account={account}", None
        return kind, "GET", f"/api/v1/agreements/?page={rng.randint(1, 2)}", None
    if kind == "api: revenue":
        if rng.random() < 0.6:
            return kind, "GET", f"/api/v1/revenue/?account={account}&page_size=100", None
        return kind, "GET", f"/api/v1/revenue/?page_size=200&page={rng.randint(1, 3)}", None
    target = rng.choice(user.owned)
    records = [
        {
            "account": target,
            "period": month.isoformat(),
            "amount": f"{rng.uniform(1_000, 500_000):.2f}",
            "source": UPLOAD_SOURCE,
        }
        for month in UPLOAD_MONTHS
    ]
    return kind, "POST", "/api/v1/revenue/bulk/", json.dumps({"records": records}).encode()


def play(
    user: User,
    port: int,
    seed: int,
    deadline: float,
    out: list[Sample],
    baseline: bool,
    think: float,
):
    """One user's loop until the deadline (a request started before it is awaited)."""
    rng = random.Random(seed)
    client = srv.Client(port, token=user.token)
    client.cookies = dict(user.cookies)
    while time.monotonic() < deadline:
        if baseline:
            kind, method, path, body = "baseline: /healthz", "GET", "/healthz", None
        else:
            kind, method, path, body = next_request(user, rng)
        api = path.startswith("/api/")
        # Names the request in gunicorn's access log, which gives the time spent serving it.
        headers = {"X-Bench-Kind": kind}
        if body:
            # A fresh key each time: a key used by an earlier run would replay its answer.
            headers["Idempotency-Key"] = str(uuid.uuid4())
            headers["Content-Type"] = "application/json"
        began = time.perf_counter()
        try:
            answer = client.request(method, path, body=body, headers=headers, api=api)
        except OSError as exc:
            out.append(Sample(kind, type(exc).__name__, time.perf_counter() - began))
            continue
        status = str(answer.status)
        if body and answer.status == 200:
            try:
                results = json.loads(answer.body)["results"]
            except (ValueError, KeyError, TypeError):
                results = [{"status": "error"}]
            failed = sum(r.get("status") == "error" for r in results)
            if failed:
                status = f"200 with {failed} bad records"
        out.append(Sample(kind, status, answer.seconds))
        if think:
            time.sleep(min(rng.expovariate(1 / think), deadline - time.monotonic(), 10 * think))
    client.close()


def run_phase(
    users: list[User], port: int, seconds: float, seed: int, baseline: bool, think: float = 0
):
    samples: list[Sample] = []
    began = time.monotonic()
    deadline = began + seconds
    threads = [
        threading.Thread(
            target=play, args=(user, port, seed * 1000 + n, deadline, samples, baseline, think)
        )
        for n, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, time.monotonic() - began


# --- figures ----------------------------------------------------------------------------


def server_times(access_log: str) -> dict[str, list[float]]:
    """Seconds gunicorn's workers spent on each request, by kind, from the access log
    (ACCESS_FORMAT); the rest of what the client waited is the queue in front of them."""
    times: dict[str, list[float]] = defaultdict(list)
    for line in Path(access_log).read_text().splitlines():
        kind, _status, micros = line.rsplit("|", 2)
        if kind != "-":  # "-": no X-Bench-Kind (the start-up probe, sign-ins)
            times[kind].append(int(micros) / 1e6)
    return times


def summarise(
    samples: list[Sample], elapsed: float, served: dict[str, list[float]]
) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        groups["all"].append(sample)
        groups[sample.kind].append(sample)
    summary = {}
    for kind, group in groups.items():
        times = [s.seconds for s in group]
        errors = Counter(s.status for s in group if s.status != "200")
        summary[kind] = {
            "requests": len(group),
            "errors": dict(errors),
            "rps": len(group) / elapsed,
            "p50_ms": srv.percentile(times, 50) * 1000,
            "p95_ms": srv.percentile(times, 95) * 1000,
            "p99_ms": srv.percentile(times, 99) * 1000,
        }
    for kind in summary:
        spent = (
            [t for k in summary if k != "all" for t in served.get(k, [])]
            if kind == "all"
            else served.get(kind, [])
        )
        summary[kind]["server_p50_ms"] = srv.percentile(spent, 50) * 1000
        summary[kind]["server_p95_ms"] = srv.percentile(spent, 95) * 1000
    return summary


def print_summary(title: str, summary: dict[str, dict[str, Any]], elapsed: float) -> None:
    print(f"\n{title} ({elapsed:.1f} s)")
    print(
        f"{'kind':<22} {'requests':>8} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'served p50':>10} {'p95':>7}  errors by status"
    )
    order = ["all"] + sorted(k for k in summary if k != "all")
    for kind in order:
        s = summary[kind]
        errors = sum(s["errors"].values())
        detail = ", ".join(f"{code} x{n}" for code, n in sorted(s["errors"].items()))
        print(
            f"{kind:<22} {s['requests']:>8,} {errors:>7,} {s['rps']:>7.1f} {s['p50_ms']:>8.1f} "
            f"{s['p95_ms']:>8.1f} {s['p99_ms']:>8.1f} {s['server_p50_ms']:>10.1f} "
            f"{s['server_p95_ms']:>7.1f}  {'!! ' + detail if detail else ''}"
        )


def remove_uploads() -> int:
    """Delete what the uploads wrote, so the book stays the generated one. Straight through
    the ORM, like generate_book's loading: fixture housekeeping, not a business write."""
    from accounts.models import RevenueRecord

    deleted, _ = RevenueRecord.objects.filter(source=UPLOAD_SOURCE).delete()
    return deleted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--generate", type=int, metavar="N", help="first make a book of N")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="mean pause between a user's requests (exponential; default none)",
    )
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--json", metavar="PATH", help="also write the figures here as JSON")
    parser.add_argument("--redis-url", default=srv.DEFAULT_REDIS_URL)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")

    env = srv.bench_env(args.database_url, args.redis_url)
    if args.generate:
        srv.generate_book(env, args.generate)
    srv.collect_static(env)
    srv.setup_django(env)
    from accounts.models import Account

    accounts = Account.objects.count()
    if not accounts:
        raise SystemExit("No accounts here: run generate_book first, or pass --generate N.")
    users = make_users(args.users)
    mix = Counter(u.role for u in users)
    distinct = len({u.username for u in users})
    result: dict[str, Any] = {
        "database": srv.masked(args.database_url),
        "accounts": accounts,
        "users": args.users,
        "mix": dict(mix),
        "distinct_logins": distinct,
        "seconds": args.seconds,
        "think": args.think,
        "workers": srv.WORKERS,
        "when": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    handle, access_log = tempfile.mkstemp(prefix="keyplan-bench-access-", suffix=".log")
    os.close(handle)
    try:
        with srv.gunicorn(env, access_log=access_log, access_format=ACCESS_FORMAT) as port:
            print(f"signing in {distinct} distinct users...", flush=True)
            sign_in(users, port)
            print(f"baseline: {args.users} users on /healthz for {args.baseline_seconds:g} s")
            samples, elapsed = run_phase(users, port, args.baseline_seconds, args.seed, True)
            baseline = (samples, elapsed)
            print(f"load: {args.users} users, mixed workload, for {args.seconds:g} s", flush=True)
            samples, elapsed = run_phase(
                users, port, args.seconds, args.seed, False, think=args.think
            )
        # gunicorn has stopped: its access log is complete.
        served = server_times(access_log)
        result["baseline"] = summarise(*baseline, served)
        result["baseline_elapsed"] = baseline[1]
        result["load"] = summarise(samples, elapsed, served)
        result["load_elapsed"] = elapsed
    finally:
        result["uploaded_rows_removed"] = remove_uploads()
        os.unlink(access_log)

    think = f"think time {args.think:g} s" if args.think else "no think time"
    print(
        f"\nKeyplan load on {result['database']}: {accounts:,} accounts; {args.users} users "
        f"({', '.join(f'{n} {role}' for role, n in sorted(mix.items()))}; {distinct} distinct "
        f"logins), {think}; gunicorn {srv.WORKERS} workers; {result['when']}"
    )
    print("served = time gunicorn's worker spent on the request (its access log); the rest of")
    print("a request's time is the wait for a free worker")
    print_summary(
        f"baseline: {args.users} users on /healthz", result["baseline"], result["baseline_elapsed"]
    )
    print_summary(f"load: {args.users} users, mixed", result["load"], result["load_elapsed"])
    print(f"\n(removed {result['uploaded_rows_removed']:,} uploaded revenue rows)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
