"""Concurrent writes on PostgreSQL: the issue's reproductions, as threaded tests.

Each scenario sends N parallel requests through the real endpoints (the in-process WSGI
handler, each thread with its own client and its own database connection), released
together by a threading.Barrier, for several rounds. Two kinds of round:

- a storm: the threads are released together and race as they will;
- a gated round: the test holds a SHARE lock on the table the requests write, so every
  request runs its checks, then waits at its first write; once all of them wait (seen in
  pg_locks), the lock is released and they all write at the same moment. This is the worst
  case the issue describes (every request passed the check before any committed), made
  certain rather than likely, so each gated round has an exact expected outcome.

Every answer must be in the allowed set (never 500), and the final rows must be consistent.
SQLite runs one writer at a time, so these tests need PostgreSQL.
"""

import datetime
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection, models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import (
    Account,
    AccountTeamMember,
    Agreement,
    Product,
    ProductDeployment,
    RevenueRecord,
)
from accounts.services import CYCLE_MESSAGE
from core import idempotency
from core.exceptions import INTEGRITY_MESSAGE
from core.models import IdempotencyRecord
from tests.factories import AccountFactory, UserFactory, catalogue_entry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so nothing races",
    ),
]

N = 20  # parallel requests a round
ROUNDS = 5  # storm rounds a scenario (plus one gated round)
WAIT = 60  # seconds a round may take before it counts as hung (a deadlock guard, not a limit)


# --- running requests in parallel ----------------------------------------------------


@dataclass
class Round:
    responses: list
    peak: int  # the most requests that were in flight at one moment


def _blocked_backends() -> int:
    """Other sessions of this database that wait for a lock right now."""
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction unless the snapshot is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database() "
            "AND a.backend_type = 'client backend' AND l.pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def run_parallel(
    calls: Sequence[Callable[[], object]], *, hold: type[models.Model] | None = None
) -> Round:
    """Run each call in its own thread, all released together; return their results in
    order. With `hold`, writes to that model's table wait until every call is either
    waiting for a lock or done, then all go at once (a gated round)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []
    lock = threading.Lock()
    state = {"in_flight": 0, "peak": 0, "finished": 0}

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=WAIT)
            with lock:
                state["in_flight"] += 1
                state["peak"] = max(state["peak"], state["in_flight"])
            try:
                results[index] = call()
            finally:
                with lock:
                    state["in_flight"] -= 1
                    state["finished"] += 1
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection: leave none open

    threads = [
        threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    if hold is None:
        for thread in threads:
            thread.start()
    else:
        with transaction.atomic():
            table = connection.ops.quote_name(hold._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")  # reads go on, writes wait
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + WAIT
            while True:
                finished = state["finished"]  # first: a request counted here waits no more
                if _blocked_backends() + finished >= len(calls):
                    break
                assert time.monotonic() < deadline, "the requests never reached their write"
                time.sleep(0.01)
        # Committed: the lock is gone and every waiting request writes at once.
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    if errors:
        raise errors[0]
    return Round(results, state["peak"])


def api_clients(user, count: int = N) -> list[APIClient]:
    token, _ = Token.objects.get_or_create(user=user)
    clients = []
    for _ in range(count):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        clients.append(client)
    return clients


def posts(clients, url: str, bodies: Sequence[dict], **extra) -> list[Callable[[], object]]:
    return [
        (lambda c=client, b=body: c.post(url, b, format="json", **extra))
        for client, body in zip(clients, bodies, strict=True)
    ]


def patches(clients, url: str, bodies: Sequence[dict]) -> list[Callable[[], object]]:
    return [
        (lambda c=client, b=body: c.patch(url, b, format="json"))
        for client, body in zip(clients, bodies, strict=True)
    ]


def rounds(count: int = ROUNDS) -> list[bool]:
    """`count` storm rounds, then one gated round (True)."""
    return [False] * count + [True]


def statuses(result: Round) -> Counter:
    return Counter(response.status_code for response in result.responses)


# --- 1, 2: the same unique key created N times at once ---------------------------------


@dataclass(frozen=True)
class UniqueCase:
    url: str
    model: type[models.Model]
    body: Callable[[int, dict], dict]  # (round, fixtures) -> request body
    rows: Callable[[int, dict], models.QuerySet]  # (round, fixtures) -> rows with that key
    field: str  # where a 400 from validation names the clash
    storms: int = 3  # the same mechanism as the account case: fewer rounds keep CI quick


UNIQUE_CASES = {
    "account external_id": UniqueCase(
        url="/api/v1/accounts/",
        model=Account,
        body=lambda r, f: {"name": f"Race {r} Plc", "external_id": f"EXT-{r}", "ltp": "1.00"},
        rows=lambda r, f: Account.objects.filter(external_id=f"EXT-{r}"),
        field="external_id",
        storms=ROUNDS,
    ),
    "agreement kind+number": UniqueCase(
        url="/api/v1/agreements/",
        model=Agreement,
        body=lambda r, f: {
            "account": f["account"].pk,
            "kind": "EA",
            "number": f"EA-RACE-{r}",
            "start_date": "2026-07-01",
            "end_date": "2029-06-30",
            "annual_value": "100.00",
        },
        rows=lambda r, f: Agreement.objects.filter(kind="EA", number=f"EA-RACE-{r}"),
        field="non_field_errors",
    ),
    "deployment account+product": UniqueCase(
        url="/api/v1/deployments/",
        model=ProductDeployment,
        # The product is a catalogue value, made before the storm (in this thread).
        body=lambda r, f: {
            "account": f["account"].pk,
            "product": catalogue_entry(Product, f"Product {r}").name,
        },
        rows=lambda r, f: ProductDeployment.objects.filter(product__name=f"Product {r}"),
        field="non_field_errors",
    ),
    "team member account+user+role": UniqueCase(
        url="/api/v1/account-team-members/",
        model=AccountTeamMember,
        body=lambda r, f: {
            "account": f["account"].pk,
            "user": f["colleague"].username,
            "role": AccountTeamMember.Role.values[r],
        },
        rows=lambda r, f: AccountTeamMember.objects.filter(role=AccountTeamMember.Role.values[r]),
        field="non_field_errors",
    ),
}


@pytest.mark.parametrize("case", UNIQUE_CASES.values(), ids=UNIQUE_CASES.keys())
def test_one_unique_key_created_at_once_has_one_winner_and_409s(case, am, account, team):
    fixtures = {"account": account, "colleague": UserFactory(username="colleague", team=team)}
    clients = api_clients(am)
    peaks = []
    for r, gated in enumerate(rounds(case.storms)):
        body = case.body(r, fixtures)
        result = run_parallel(
            posts(clients, case.url, [body] * N), hold=case.model if gated else None
        )
        codes = statuses(result)
        assert set(codes) <= {201, 400, 409}, codes
        assert codes[201] == 1, codes
        for response in result.responses:
            if response.status_code == 409:
                assert response.json() == {"detail": INTEGRITY_MESSAGE}
            elif response.status_code == 400:
                assert case.field in response.json(), response.json()
        assert case.rows(r, fixtures).count() == 1
        if gated:
            # Every request passed validation before any wrote: the database decided.
            assert (codes, result.peak) == (Counter({201: 1, 409: N - 1}), N)
        else:
            peaks.append(result.peak)
    assert max(peaks) >= 2  # the storms overlapped


def test_two_accounts_given_one_external_id_at_once_answer_200_and_409(am):
    """The same race on an update: two accounts PATCHed to one external_id."""
    clients = api_clients(am, 2)
    for r, gated in enumerate(rounds(3)):
        pair = [AccountFactory(owner=am), AccountFactory(owner=am)]
        result = run_parallel(
            [
                (
                    lambda c=client, pk=account.pk, x=f"SAME-{r}": c.patch(
                        f"/api/v1/accounts/{pk}/", {"external_id": x}, format="json"
                    )
                )
                for client, account in zip(clients, pair, strict=True)
            ],
            hold=Account if gated else None,
        )
        codes = statuses(result)
        assert codes[200] == 1 and set(codes) <= {200, 400, 409}, codes
        (loser,) = [x for x in result.responses if x.status_code != 200]
        if loser.status_code == 409:
            assert loser.json() == {"detail": INTEGRITY_MESSAGE}
        else:
            assert list(loser.json()) == ["external_id"]
        assert Account.objects.filter(external_id=f"SAME-{r}").count() == 1
        if gated:
            assert (loser.status_code, result.peak) == (409, 2)


# --- 3: POST /revenue/ of one key with N amounts at once -----------------------------


def test_revenue_post_of_one_key_at_once_upserts_and_versions_have_no_gaps(am, account):
    clients = api_clients(am)
    peaks = []
    for r, gated in enumerate(rounds()):
        period = datetime.date(2026, 1 + r, 1)
        bodies = [
            {"account": account.pk, "period": str(period), "amount": f"{r + 1}{i:03d}.00"}
            for i in range(N)
        ]
        result = run_parallel(
            posts(clients, "/api/v1/revenue/", bodies), hold=RevenueRecord if gated else None
        )
        codes = statuses(result)
        # Never the old 400 "record exists": the loser of the insert updates.
        assert (codes[201], codes[200]) == (1, N - 1), codes
        answered = {x.json()["version"]: x.json() for x in result.responses}
        # Every amount differs, so each request wrote once, one after the other: versions
        # 1..N, each answered once, the creator's first.
        assert sorted(answered) == list(range(1, N + 1))
        created = next(x for x in result.responses if x.status_code == 201)
        assert created.json()["version"] == 1
        record = RevenueRecord.objects.get(account=account, period=period, source="manual")
        assert (record.version, str(record.amount)) == (N, answered[N]["amount"])
        assert len({response.json()["id"] for response in result.responses}) == 1
        if gated:
            assert result.peak == N
        else:
            peaks.append(result.peak)
    assert RevenueRecord.objects.count() == len(rounds())
    assert max(peaks) >= 2


# --- 4: overlapping /revenue/bulk/ uploads -------------------------------------------


def test_overlapping_revenue_bulk_uploads_never_deadlock_or_fail(am):
    accounts = [AccountFactory(owner=am) for _ in range(4)]
    keys = [
        (account.pk, datetime.date(2026, month, 1), source)
        for account in accounts
        for month in range(1, 13)
        for source in ("manual", "erp", "crm")
    ]  # 144 keys; each upload sends 100 of them, in its own order
    clients = api_clients(am)
    rng = random.Random(20260701)
    sent: dict[tuple, set[Decimal]] = {key: set() for key in keys}
    peaks = []
    for r, gated in enumerate(rounds(3)):
        bodies = []
        for i in range(N):
            chosen = rng.sample(keys, 100)  # a random subset in a random order
            records = []
            for pk, period, source in chosen:
                amount = Decimal(f"{r}{i:02d}{rng.randrange(1000):03d}.00")
                sent[(pk, period, source)].add(amount)
                records.append(
                    {"account": pk, "period": str(period), "source": source, "amount": str(amount)}
                )
            bodies.append({"records": records})
        result = run_parallel(
            posts(clients, "/api/v1/revenue/bulk/", bodies), hold=RevenueRecord if gated else None
        )
        assert statuses(result) == Counter({200: N})
        for response, body in zip(result.responses, bodies, strict=True):
            results = response.json()["results"]
            assert len(results) == len(body["records"])
            assert {row["status"] for row in results} <= {"created", "updated", "unchanged"}
            assert all(row["id"] is not None for row in results)
        if gated:
            assert result.peak == N
        else:
            peaks.append(result.peak)

    stored = {(row.account_id, row.period, row.source): row for row in RevenueRecord.objects.all()}
    touched = {key for key, amounts in sent.items() if amounts}
    assert set(stored) == touched  # one row per distinct key sent
    for key, row in stored.items():
        assert row.amount in sent[key]
        assert 1 <= row.version <= len(sent[key])  # it moved only on a write that changed it
    assert max(peaks) >= 2


# --- 6: parent cycles -----------------------------------------------------------------


def _parents() -> dict[int, int | None]:
    return dict(Account.objects.values_list("pk", "parent_id"))


def _assert_forest(parents: dict[int, int | None]) -> None:
    for start in parents:
        seen, node = set(), start
        while node is not None:
            assert node not in seen, f"cycle through account {node}: {parents}"
            seen.add(node)
            node = parents[node]


@pytest.mark.parametrize("size", [2, 3], ids=["A<->B", "A->B->C->A"])
def test_parallel_parent_edits_never_close_a_cycle(size, am):
    nodes = [AccountFactory(owner=am, name=f"Node {i}") for i in range(size)]
    ids = [node.pk for node in nodes]
    clients = api_clients(am, size)
    calls = [
        (
            lambda c=client, a=ids[i], b=ids[(i + 1) % size]: c.patch(
                f"/api/v1/accounts/{a}/", {"parent": b}, format="json"
            )
        )
        for i, client in enumerate(clients)
    ]
    overlapped = 0
    for r in range(20):
        Account.objects.filter(pk__in=ids).update(parent=None)
        result = run_parallel(calls, hold=Account if r % 2 else None)
        codes = statuses(result)
        # All but the last edit of the ring go through; the last would close the cycle.
        assert codes == Counter({200: size - 1, 400: 1}), codes
        refused = next(x for x in result.responses if x.status_code == 400)
        assert refused.json() == {"parent": [CYCLE_MESSAGE]}
        parents = _parents()
        _assert_forest(parents)
        assert sum(parents[pk] is not None for pk in ids) == size - 1
        overlapped += result.peak >= 2
    assert overlapped >= 10  # at least the gated rounds ran every edit at once

    # Both ends stay editable, the parent included.
    client = clients[0]
    for node in nodes:
        response = client.patch(f"/api/v1/accounts/{node.pk}/", {"name": f"{node.name} (ok)"})
        assert response.status_code == 200, response.json()
    child = next(pk for pk in ids if _parents()[pk] is not None)
    response = client.patch(f"/api/v1/accounts/{child}/", {"parent": None}, format="json")
    assert (response.status_code, response.json()["parent"]) == (200, None)


# --- 7: N edits of the same version -----------------------------------------------------


def test_same_version_edits_at_once_have_exactly_one_winner(am):
    clients = api_clients(am)
    peaks = []
    for gated in rounds():
        account = AccountFactory(owner=am)
        bodies = [{"name": f"Edit {i}", "version": 1} for i in range(N)]
        result = run_parallel(
            patches(clients, f"/api/v1/accounts/{account.pk}/", bodies),
            hold=Account if gated else None,
        )
        assert statuses(result) == Counter({200: 1, 409: N - 1})
        (winner,) = [x.json() for x in result.responses if x.status_code == 200]
        for response in result.responses:
            if response.status_code == 409:
                assert response.json()["current_version"] == 2
        account.refresh_from_db()
        assert (account.version, account.name, winner["version"]) == (2, winner["name"], 2)
        assert account.history.count() == 2  # created, then the one edit that won
        if gated:
            assert result.peak == N
        else:
            peaks.append(result.peak)
    assert max(peaks) >= 2


def test_same_if_match_edits_at_once_have_one_winner_and_412s(am):
    """If-Match instead of `version`: the losers' precondition failed while they ran, so
    they answer 412, exactly as the same request sent a moment later would."""
    clients = api_clients(am)
    for gated in rounds(2):
        account = AccountFactory(owner=am)
        calls = [
            (
                lambda c=client, i=i, pk=account.pk: c.patch(
                    f"/api/v1/accounts/{pk}/",
                    {"name": f"Edit {i}"},
                    format="json",
                    HTTP_IF_MATCH=f'"{pk}-1"',
                )
            )
            for i, client in enumerate(clients)
        ]
        result = run_parallel(calls, hold=Account if gated else None)
        assert statuses(result) == Counter({200: 1, 412: N - 1})
        account.refresh_from_db()
        assert account.version == 2


def test_delete_with_if_match_never_removes_a_row_changed_meanwhile(am, account):
    """A DELETE whose If-Match held when it was read, racing an edit: either the edit lands
    first and the DELETE answers 412 (the row stays, edited), or the DELETE lands first and
    the edit answers 409 (or 404, when it looked the row up after). Never both 2xx: that
    would delete a row its client never saw."""
    clients = api_clients(am, 2)
    for r, gated in enumerate(rounds(7)):
        deployment = ProductDeployment.objects.create(
            account=account, product=catalogue_entry(Product, f"P{r}")
        )
        url = f"/api/v1/deployments/{deployment.pk}/"
        calls = [
            lambda c=clients[0], u=url: c.patch(
                u, {"active_seats": 9, "version": 1}, format="json"
            ),
            lambda c=clients[1], u=url, pk=deployment.pk: c.delete(u, HTTP_IF_MATCH=f'"{pk}-1"'),
        ]
        result = run_parallel(calls, hold=ProductDeployment if gated else None)
        edit, delete = (response.status_code for response in result.responses)
        assert (edit, delete) in {(200, 412), (409, 204), (404, 204)}, (edit, delete)
        stored = ProductDeployment.objects.filter(pk=deployment.pk).first()
        if delete == 204:
            assert stored is None
        else:
            assert (stored.active_seats, stored.version) == (9, 2)


# --- 8: Idempotency-Key ---------------------------------------------------------------


def test_same_idempotency_key_at_once_creates_one_row(am):
    """The body has no unique key: only the Idempotency-Key stops a second row. Storms, then
    two gated rounds: every request inserting the key at once, and the key's owner held at
    its write while the others arrive (all of them "still being processed")."""
    clients = api_clients(am)
    peaks = []
    for r, hold in enumerate([None] * 3 + [IdempotencyRecord, Account]):
        body = {"name": f"Idempotent {r} Plc", "ltp": "1.00"}
        result = run_parallel(
            posts(clients, "/api/v1/accounts/", [body] * N, HTTP_IDEMPOTENCY_KEY=f"key-{r}"),
            hold=hold,
        )
        codes = statuses(result)
        assert set(codes) <= {201, 409}, codes
        (row,) = Account.objects.filter(name=body["name"])
        first = [
            x for x in result.responses if x.status_code == 201 and "Idempotent-Replayed" not in x
        ]
        assert len(first) == 1
        for response in result.responses:
            if response.status_code == 201:
                assert response.json()["id"] == row.pk
            else:
                assert "still being processed" in response.json()["detail"]
        record = IdempotencyRecord.objects.get(key=f"key-{r}")
        assert (record.status_code, bytes(record.response_body)) == (201, first[0].content)
        if hold is None:
            peaks.append(result.peak)
        elif hold is IdempotencyRecord:
            assert result.peak == N  # all of them waited at the key
        else:
            assert codes == Counter({201: 1, 409: N - 1})
    assert max(peaks) >= 2


def test_a_stale_lease_is_taken_over_by_exactly_one_of_the_repeats(am, monkeypatch):
    """A worker died holding the key: of N repeats at once, one takes it over and runs."""
    monkeypatch.setattr(idempotency, "_request_hash", lambda request: "same")
    clients = api_clients(am)
    for r, gated in enumerate(rounds(2)):
        key = f"stuck-{r}"
        IdempotencyRecord.objects.create(
            principal=f"user:{am.pk}",
            key=key,
            request_hash="same",
            leased_until=timezone.now() - datetime.timedelta(seconds=1),
        )
        body = {"name": f"Taken over {r} Plc", "ltp": "1.00"}
        result = run_parallel(
            posts(clients, "/api/v1/accounts/", [body] * N, HTTP_IDEMPOTENCY_KEY=key),
            hold=IdempotencyRecord if gated else None,
        )
        codes = statuses(result)
        assert set(codes) <= {201, 409}, codes
        runs = [
            x for x in result.responses if x.status_code == 201 and "Idempotent-Replayed" not in x
        ]
        assert len(runs) == 1
        assert Account.objects.filter(name=body["name"]).count() == 1
        record = IdempotencyRecord.objects.get(key=key)
        assert (record.status_code, record.leased_until > timezone.now()) == (201, True)


# --- 9: the account form, posted twice at once ----------------------------------------


def test_account_form_posted_twice_at_once_redirects_once_and_explains_the_clash(am):
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(am)
        clients.append(client)
    url = reverse("accounts:create")
    for r, gated in enumerate(rounds(3)):
        form = {
            "name": f"Form {r} Plc",
            "external_id": f"FORM-{r}",
            "segment": "mature",
            "ltp": "1",
        }
        result = run_parallel(
            [(lambda c=client, f=form: c.post(url, f)) for client in clients],
            hold=Account if gated else None,
        )
        codes = statuses(result)
        assert codes[302] == 1, codes
        (other,) = [x for x in result.responses if x.status_code != 302]
        if other.status_code == 409:
            assert INTEGRITY_MESSAGE in other.content.decode()
        else:  # the form's own check saw the row first
            assert other.status_code == 200
            assert "external_id" in other.context["form"].errors
        assert Account.objects.filter(external_id=f"FORM-{r}").count() == 1
        if gated:
            assert (other.status_code, result.peak) == (409, 2)
