"""How fast each page and list endpoint answers on a large book, per role, against the
cheapest requests the same server answers (/healthz and a static file), in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/keyplan_bench10k \\
        .venv/bin/python benchmarks/pages.py [--generate 10000] [--compare OTHER] [--json out.json]

The database must hold a book made by `manage.py generate_book` (or pass `--generate N` to
migrate it and make one of N accounts first: it replaces the database's contents). The
script starts gunicorn on it (benchmarks/_server.py: 2 workers, DEBUG off, WhiteNoise, the
cache in Redis db 9, throttling out of reach), signs in through /login/ as ops
(`book.ops`), a manager (`book.manager.01`) and an AM (`book.am.001`), makes each a DRF
token with `manage.py drf_create_token`, and requests every URL below for every role, one
request at a time, in rounds: each round asks for every URL of the role once, then for the
baseline URLs, so a busy moment of the machine falls on all of them alike. --warmup rounds
(3) are not timed, --requests rounds (30) are. It prints p50 and p95 in ms and as a ratio
to the p50 of /healthz (so figures from a noisy machine can be read), the size of the answer
and its status; anything but 200 is flagged.

SQL queries per request can't be read from gunicorn: they are counted in this process with
Django's test Client and CaptureQueriesContext against the same database (one uncounted
request per URL per role to fill caches, then one counted).

`--compare OTHER` runs a second book too (OTHER is a database URL, or the --json file of an
earlier run, e.g. before a change) and prints, per URL and role, how p50 and the query
count grow from the smaller book to the larger.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import _server as srv

# Who signs in: (role, username) of the generated book (core/book.py, teams/book.py).
ROLES = [("ops", "book.ops"), ("manager", "book.manager.01"), ("am", "book.am.001")]

# Pages, signed in with the session. `{account}` is an account the role can see and change:
# ops and the manager the lowest-id one they may change, the AM the lowest-id one they own.
# A page that answers 404 is reported as missing and not timed, so pages of later apps can
# be listed here before they exist.
PAGES = [
    "/",
    "/accounts/",
    "/accounts/?sort=-ltp&page=3",
    "/accounts/?q=bank",
    "/accounts/export/",
    "/accounts/{account}/",
    "/accounts/{account}/edit/",
    "/accounts/new/",
    "/opportunities/",
    "/opportunities/?close_quarter=FY2027-Q3&sort=-amount",
    "/opportunities/board/",
]

# API lists, with the role's DRF token.
API = [
    "/api/v1/accounts/",
    "/api/v1/revenue/?page_size=1000",
    "/api/v1/revenue/?updated_since=2000-01-01T00:00:00Z&page_size=1000",
    "/api/v1/agreements/",
    "/api/v1/deployments/",
    "/api/v1/account-team-members/",
    "/api/v1/users/",
]

# The baseline, anonymous: the cheapest answer through Django (one SELECT 1 and a Redis
# ping), and a static file served by WhiteNoise before Django's URL routing.
BASELINE = ["/healthz", "/static/css/keyplan.css"]


# --- what only the ORM can tell ------------------------------------------------------------


def book_facts() -> dict[str, Any]:
    from accounts.models import Account, RevenueRecord
    from teams.models import User

    return {
        "accounts": Account.objects.count(),
        "revenue_rows": RevenueRecord.objects.count(),
        "users": User.objects.count(),
    }


def pick_accounts() -> dict[str, int]:
    """For each role, the account its account pages show: one it may change (see PAGES)."""
    from accounts.access import can_change
    from accounts.selectors import account_list
    from teams.models import User

    picked = {}
    for role, username in ROLES:
        user = User.objects.get(username=username)
        accounts = account_list(user=user).order_by("pk")
        if role == "am":
            accounts = accounts.filter(owner=user)
        account = next((a for a in accounts[:200] if can_change(user, a)), None)
        if account is None:
            raise SystemExit(f"{username} may change none of the accounts they see")
        picked[role] = account.pk
    return picked


def count_queries(urls: dict[str, list[tuple[str, bool]]], tokens: dict[str, str]):
    """SQL queries of one request per URL per role, in this process: {(role, url): n}."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from teams.models import User

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404s are reported below
    counts: dict[tuple[str, str], int | None] = {}
    for role, username in ROLES:
        session = Client(SERVER_NAME=srv.HOST, raise_request_exception=False)
        session.force_login(User.objects.get(username=username))
        api = Client(SERVER_NAME=srv.HOST, raise_request_exception=False)
        auth = {"Authorization": f"Token {tokens[role]}"}
        for url, is_api in urls[role]:
            client, headers = (api, auth) if is_api else (session, {})
            if _read(client.get(url, headers=headers)).status_code == 404:
                counts[(role, url)] = None
                continue
            with CaptureQueriesContext(connection) as queries:
                _read(client.get(url, headers=headers))
            counts[(role, url)] = len(queries.captured_queries)
    return counts


def _read(response):
    """A streamed answer runs its queries while it is read: read it."""
    if response.streaming:
        b"".join(response.streaming_content)
    return response


# --- timing through gunicorn ---------------------------------------------------------------


def _new_figures() -> dict[str, Any]:
    return {"missing": False, "status": Counter(), "seconds": [], "bytes": 0}


def time_role(
    client: srv.Client,
    anonymous: srv.Client,
    urls: list[tuple[str, bool]],
    baseline: dict[str, dict[str, Any]],
    *,
    requests: int,
    warmup: int,
) -> dict[str, dict[str, Any]]:
    """Time one role's URLs in rounds: each round requests every URL once, then the baseline
    URLs (anonymous, adding to `baseline`), so that a busy moment of the machine falls on all
    of them alike. The first `warmup` rounds are not timed; a URL whose first answer is 404
    is marked missing and left out after it."""
    figures = {url: _new_figures() for url, _ in urls}
    plan = [(url, api, client, figures[url]) for url, api in urls] + [
        (url, False, anonymous, baseline[url]) for url in BASELINE
    ]
    for n in range(warmup + requests):
        for url, api, who, f in plan:
            if f["missing"]:
                continue
            try:
                answer = who.get(url, api=api)
            except OSError as exc:
                f["status"][type(exc).__name__] += 1
                continue
            f["status"][str(answer.status)] += 1
            f["bytes"] = len(answer.body)
            if n == 0 and answer.status == 404 and url not in BASELINE:
                f["missing"] = True
            elif n >= warmup:
                f["seconds"].append(answer.seconds)
    return figures


def _finish(f: dict[str, Any]) -> dict[str, Any]:
    """Percentiles in place of the samples."""
    seconds = f.pop("seconds")
    f["status"] = dict(f["status"])
    if not f["missing"]:
        f["p50_ms"] = srv.percentile(seconds, 50) * 1000
        f["p95_ms"] = srv.percentile(seconds, 95) * 1000
    return f


def run(args: argparse.Namespace) -> dict[str, Any]:
    """One book: everything this script measures, as a dict (what --json writes)."""
    env = srv.bench_env(args.database_url, args.redis_url)
    if args.generate:
        srv.generate_book(env, args.generate)
    srv.collect_static(env)
    srv.setup_django(env)
    facts = book_facts()
    if not facts["accounts"]:
        raise SystemExit("No accounts here: run generate_book first, or pass --generate N.")
    picked = pick_accounts()
    urls = {
        role: [(url.format(account=picked[role]), False) for url in PAGES]
        + [(url, True) for url in API]
        for role, _ in ROLES
    }
    tokens = {role: srv.api_token(env, username) for role, username in ROLES}
    print("counting SQL queries in-process...", flush=True)
    queries = count_queries(urls, tokens)

    result: dict[str, Any] = {
        "database": srv.masked(args.database_url),
        **facts,
        "git": _git_commit(),
        "when": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "requests": args.requests,
        "warmup": args.warmup,
        "workers": srv.WORKERS,
        "accounts_shown": picked,
        "baseline": {},
        "rows": [],
    }
    baseline = {url: _new_figures() for url in BASELINE}
    with srv.gunicorn(env) as port:
        anonymous = srv.Client(port)
        for role, username in ROLES:
            client = srv.Client(port, token=tokens[role])
            client.login(username)
            print(f"timing as {username}...", flush=True)
            figures = time_role(
                client,
                anonymous,
                urls[role],
                baseline,
                requests=args.requests,
                warmup=args.warmup,
            )
            for url, is_api in urls[role]:
                result["rows"].append(
                    {"role": role, "username": username, "url": url, "api": is_api}
                    | _finish(figures[url])
                    | {"queries": queries[(role, url)]}
                )
    result["baseline"] = {url: _finish(f) for url, f in baseline.items()}
    healthz = result["baseline"]["/healthz"]["p50_ms"]
    for figures in [*result["baseline"].values(), *result["rows"]]:
        if not figures["missing"]:
            figures["p50_x"] = figures["p50_ms"] / healthz
            figures["p95_x"] = figures["p95_ms"] / healthz
    return result


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=srv.ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


# --- printing ------------------------------------------------------------------------------


def _status(figures: dict[str, Any]) -> str:
    codes = sorted(figures["status"].items())
    return codes[0][0] if len(codes) == 1 else " ".join(f"{code}x{n}" for code, n in codes)


def _flagged(figures: dict[str, Any]) -> bool:
    return set(figures["status"]) != {"200"}


def print_result(result: dict[str, Any]) -> None:
    print()
    print(
        f"Keyplan pages on {result['database']}: {result['accounts']:,} accounts, "
        f"{result['revenue_rows']:,} revenue rows; commit {result['git']}, {result['when']}"
    )
    print(
        f"gunicorn {result['workers']} workers; {result['warmup']} warm-up + "
        f"{result['requests']} timed requests per URL, one at a time, in rounds over the "
        "URLs; x hz = ratio to the /healthz p50"
    )
    rows = [("baseline", "anonymous", url, f) for url, f in result["baseline"].items()] + [
        (r["role"], r["username"], r["url"], r) for r in result["rows"]
    ]
    width = max(len(url) for _, _, url, _ in rows)
    header = (
        f"{'url':<{width}}  {'status':>7} {'p50 ms':>8} {'p95 ms':>8} {'p50 x hz':>9} "
        f"{'p95 x hz':>9} {'bytes':>11} {'queries':>7}"
    )
    last = None
    for role, username, url, f in rows:
        if role != last:
            shown = result["accounts_shown"].get(role)
            print(f"\n== {role} ({username})" + (f", account {shown}" if shown else "") + " ==")
            print(header)
            last = role
        flag = "  !! NOT 200" if _flagged(f) else ""
        if f["missing"]:
            print(f"{url:<{width}}  {'404':>7}   (missing: not timed){flag}")
            continue
        queries = f.get("queries")
        print(
            f"{url:<{width}}  {_status(f):>7} {f['p50_ms']:8.1f} {f['p95_ms']:8.1f} "
            f"{f['p50_x']:9.1f} {f['p95_x']:9.1f} {f['bytes']:11,} "
            f"{'' if queries is None else queries:>7}{flag}"
        )
    flagged = [(role, url, f) for role, _, url, f in rows if _flagged(f)]
    if flagged:
        print("\n!! Answers other than 200:")
        for role, url, f in flagged:
            what = "missing (404)" if f["missing"] else _status(f)
            print(f"!!   {role:8} {url}: {what}")
    print()


def print_growth(small: dict[str, Any], large: dict[str, Any]) -> None:
    """p50 and queries of the larger book over the smaller, per URL and role."""

    def label(result):
        if small["accounts"] == large["accounts"]:  # the same book, before and after a change
            return "before" if result is small else "after"
        n = result["accounts"]
        return f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"

    a, b = label(small), label(large)
    print(
        f"Growth from {small['accounts']:,} accounts ({small['database']}, commit "
        f"{small['git']}) to {large['accounts']:,} ({large['database']}, commit {large['git']})"
    )
    print(
        f"growth = p50 {b} / p50 {a}; x hz: the same on the ratios to /healthz, which a busy "
        "machine moves less"
    )
    before = {(r["role"], _template(r["url"], small, r["role"])): r for r in small["rows"]}
    width = max(len(_template(r["url"], large, r["role"])) for r in large["rows"])
    print(
        f"{'role':8} {'url':<{width}}  {'p50 ' + a:>10} {'p50 ' + b:>10} {'growth':>7} "
        f"{'x hz':>6}  queries {a} -> {b}"
    )
    for key in BASELINE:
        s, lg = small["baseline"].get(key), large["baseline"].get(key)
        if s and lg and not s["missing"] and not lg["missing"]:
            print(
                f"{'baseline':8} {key:<{width}}  {s['p50_ms']:10.1f} {lg['p50_ms']:10.1f} "
                f"{lg['p50_ms'] / s['p50_ms']:7.2f} {lg['p50_x'] / s['p50_x']:6.2f}"
            )
    for r in large["rows"]:
        url = _template(r["url"], large, r["role"])
        s = before.get((r["role"], url))
        if s is None or s["missing"] or r["missing"]:
            where = {(True, True): "both runs", (True, False): a, (False, True): b}
            gone = (s is None or s["missing"], r["missing"])
            print(f"{r['role']:8} {url:<{width}}  (missing in {where[gone]})")
            continue
        change = f"{s['queries']} -> {r['queries']}" + (
            "" if s["queries"] == r["queries"] else "  !! query count changed"
        )
        print(
            f"{r['role']:8} {url:<{width}}  {s['p50_ms']:10.1f} {r['p50_ms']:10.1f} "
            f"{r['p50_ms'] / s['p50_ms']:7.2f} {r['p50_x'] / s['p50_x']:6.2f}  {change}"
        )
    print()


def _template(url: str, result: dict[str, Any], role: str) -> str:
    """The URL with the role's account id put back as {account}, to match runs."""
    shown = result["accounts_shown"].get(role)
    return url.replace(f"/accounts/{shown}/", "/accounts/{account}/") if shown else url


# --- command line --------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="the database holding the book (default: $DATABASE_URL)",
    )
    parser.add_argument(
        "--generate",
        type=int,
        metavar="N",
        help="first migrate and replace the database's contents with a book of N accounts",
    )
    parser.add_argument(
        "--compare",
        metavar="OTHER",
        help="a second database URL to run too, or the --json file of an earlier run",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures here as JSON")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per URL")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--redis-url", default=srv.DEFAULT_REDIS_URL)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    return args


def _run_child(args: argparse.Namespace, database_url: str, generate: int | None):
    """Run one book in a child process (Django is configured once per process)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [
            sys.executable,
            __file__,
            f"--database-url={database_url}",
            f"--json={out.name}",
            f"--requests={args.requests}",
            f"--warmup={args.warmup}",
            f"--redis-url={args.redis_url}",
        ] + ([f"--generate={generate}"] if generate else [])
        subprocess.run(command, check=True)
        return json.loads(Path(out.name).read_text())


def main() -> None:
    args = parse_args()
    if not args.compare:
        result = run(args)
        print_result(result)
    else:
        first = _run_child(args, args.database_url, args.generate)
        if args.compare.endswith(".json"):
            other = json.loads(Path(args.compare).read_text())
            if "runs" in other:  # the file of a --compare run: its run of the same size
                same = [r for r in other["runs"] if r["accounts"] == first["accounts"]]
                other = (same or other["runs"])[-1]
            print_result(other)
        else:
            other = _run_child(args, args.compare, None)
        small, large = sorted([first, other], key=lambda r: r["accounts"])
        if small["accounts"] == large["accounts"]:
            # Same size (e.g. before and after a change): the earlier run is the baseline.
            small, large = other, first
        print_growth(small, large)
        result = {"runs": [small, large]}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
