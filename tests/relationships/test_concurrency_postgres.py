"""reports_to stays a tree when two people make the two halves of a cycle at the same
moment (A reports to B, B reports to A), on PostgreSQL: each edit runs in its own thread
with its own connection, released together by a barrier. In the gated rounds the test holds
the tree lock (core.hierarchy's advisory lock) until both edits wait for it, so both have
passed every check before it; the outcome must still be one edit saved and one refused
with the cycle message. SQLite runs one writer at a time, so this needs PostgreSQL.
"""

import threading
import time
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from relationships import services
from relationships.models import Stakeholder
from tests.relationships.factories import StakeholderFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so nothing races",
    ),
]

WAIT = 60  # seconds before a round counts as hung (a deadlock guard, not a limit)
TREE_LOCK = zlib.crc32(b"keyplan-tree:relationships.stakeholder")


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database() "
            "AND l.pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def run_together(calls, *, gated: bool) -> list:
    """Each call in its own thread, released together; returns "ok" or the error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    done = []

    def worker(index, call):
        try:
            barrier.wait(timeout=WAIT)
            call()
            results[index] = "ok"
        except ValidationError as exc:
            results[index] = exc
        finally:
            done.append(index)
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(calls)
    ]
    if gated:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [TREE_LOCK])
    try:
        for thread in threads:
            thread.start()
        if gated:
            deadline = time.monotonic() + WAIT
            while _waiting_on_locks() + len(done) < len(calls):
                assert time.monotonic() < deadline, "the edits never reached the tree lock"
                time.sleep(0.01)
    finally:
        if gated:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [TREE_LOCK])
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(thread.is_alive() for thread in threads), "an edit hung (deadlock?)"
    return results


def _assert_forest(ids):
    parents = dict(Stakeholder.objects.filter(pk__in=ids).values_list("pk", "reports_to_id"))
    for start in parents:
        seen, node = set(), start
        while node is not None:
            assert node not in seen, f"cycle through stakeholder {node}: {parents}"
            seen.add(node)
            node = parents.get(node)
    return parents


@pytest.mark.parametrize("size", [2, 3], ids=["A<->B", "A->B->C->A"])
def test_parallel_reports_to_edits_never_close_a_cycle(size, am, account):
    people = [StakeholderFactory(account=account, name=f"P{i}") for i in range(size)]
    ids = [p.pk for p in people]

    def edit(child_id, parent_id):
        child = Stakeholder.objects.get(pk=child_id)
        parent = Stakeholder.objects.get(pk=parent_id)
        services.stakeholder_update(actor=am, instance=child, data={"reports_to": parent})

    calls = [(lambda a=ids[i], b=ids[(i + 1) % size]: edit(a, b)) for i in range(size)]
    for round_ in range(10):
        Stakeholder.objects.filter(pk__in=ids).update(reports_to=None, version=1)
        results = run_together(calls, gated=bool(round_ % 2))
        refused = [r for r in results if r != "ok"]
        assert len(refused) == 1, results
        assert refused[0].message_dict == {"reports_to": [services.CYCLE_MESSAGE]}
        parents = _assert_forest(ids)
        assert sum(parents[pk] is not None for pk in ids) == size - 1
