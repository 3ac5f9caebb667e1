"""Sync under concurrency, on PostgreSQL (SQLite runs one writer at a time):

- a row whose transaction began before a client's read but commits after it still reaches
  that client's next poll, started from `sync_until` (two connections);
- two clients bulk-upserting the same external ids at the same moment end with one row per
  id, never a 500 or a duplicate (threads, each with its own connection).
"""

import datetime
from collections import Counter

import pytest
from django.db import connection, connections
from django.utils import timezone

from opportunities.models import Opportunity, StageChange
from tests.core.test_concurrency import api_clients, posts, rounds, run_parallel
from tests.factories import OpportunityFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: two connections with a transaction open across a read",
    ),
]
URL = "/api/v1/opportunities/"


def second_connection():
    """Another connection to the test database, outside Django's per-thread one."""
    default = connections["default"]
    other = type(default)(dict(default.settings_dict), "default")
    other.ensure_connection()
    return other


def poll(client, since):
    response = client.get(URL, {"updated_since": since, "page_size": 1000})
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    return {row["id"]: row for row in body["results"]}, body["sync_until"]


def test_a_row_committed_after_a_read_reaches_the_next_poll_from_sync_until(api_as, am, account):
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    early, late = OpportunityFactory.create_batch(2, account=account)
    Opportunity.objects.update(updated_at=an_hour_ago)
    client = api_as(am)
    since = (an_hour_ago + datetime.timedelta(seconds=1)).isoformat()
    assert poll(client, since)[0] == {}

    writer = second_connection()
    try:
        writer.set_autocommit(False)
        with writer.cursor() as cursor:
            # As Django writes: updated_at stamped when the write is made, inside a
            # transaction that stays open across the client's read.
            cursor.execute(
                "UPDATE opportunities_opportunity SET name = 'written late', "
                "updated_at = %s, version = version + 1 WHERE id = %s",
                [timezone.now(), late.pk],
            )
        # A write that begins and commits later, during the open transaction.
        Opportunity.objects.filter(pk=early.pk).update(
            name="written early", updated_at=timezone.now(), version=2
        )
        seen, sync_until = poll(client, since)
        assert list(seen) == [early.pk]  # the late row is not committed yet
        late_stamp = timezone.now()
        writer.commit()
    finally:
        writer.close()

    stored = Opportunity.objects.get(pk=late.pk)
    assert stored.name == "written late"
    # A client that resumed from the newest updated_at it saw would miss the late row...
    newest_seen = datetime.datetime.fromisoformat(seen[early.pk]["updated_at"])
    assert stored.updated_at < newest_seen
    # ...one that resumes from sync_until gets it.
    assert datetime.datetime.fromisoformat(sync_until) <= stored.updated_at < late_stamp
    again, _ = poll(client, sync_until)
    assert again[late.pk]["name"] == "written late"


def test_sync_until_is_held_back_by_an_open_write_transaction(api_as, am, account, settings):
    settings.SYNC_CLOCK_MARGIN_SECONDS = 0  # the horizon itself, without the margin
    client = api_as(am)
    writer = second_connection()
    try:
        writer.set_autocommit(False)
        with writer.cursor() as cursor:
            cursor.execute("UPDATE opportunities_opportunity SET name = name")  # takes an xid
            cursor.execute("SELECT txid_current(), now()")
            _, began = cursor.fetchone()
        _, held = poll(client, "2000-01-01T00:00:00Z")
        assert datetime.datetime.fromisoformat(held) <= began  # its xact_start
    finally:
        writer.rollback()
        writer.close()
    _, free = poll(client, "2000-01-01T00:00:00Z")
    assert datetime.datetime.fromisoformat(free) > began


@pytest.mark.parametrize("gated", rounds(3))
def test_concurrent_bulk_upserts_of_the_same_ids_end_with_one_row_each(am, account, gated):
    n = 8
    records = lambda amount: [  # noqa: E731
        {
            "source": "erp",
            "external_id": f"X{i}",
            "account": account.pk,
            "name": f"Deal {i}",
            "stage": "qualify",
            "amount": amount,
            "close_date": "2027-03-31",
        }
        for i in range(50)
    ]
    bodies = [{"records": records(f"{1000 + k % 3}.00")} for k in range(n)]
    result = run_parallel(
        posts(api_clients(am, n), URL + "bulk/", bodies), hold=Opportunity if gated else None
    )
    codes = Counter(response.status_code for response in result.responses)
    assert codes == {200: n}, [r.content[:300] for r in result.responses if r.status_code != 200]
    outcomes = Counter(
        row["status"] for response in result.responses for row in response.json()["results"]
    )
    assert set(outcomes) <= {"created", "updated", "unchanged"}
    assert outcomes["created"] == 50  # each id created once, by one of the clients
    rows = Opportunity.objects.filter(source="erp")
    assert rows.count() == 50
    assert Counter(rows.values_list("external_id", flat=True)) == {f"X{i}": 1 for i in range(50)}
    # One entry into the first stage per row: the creating upload's.
    assert StageChange.objects.filter(field="stage", from_value="").count() == 50
