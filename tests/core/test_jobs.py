"""Background jobs (core.jobs): a long export runs as a job with a progress page, and only
its owner sees it or downloads the file."""

import csv
import io

import pytest
from django.urls import reverse

from core.jobs import run_job
from core.models import Job
from tests.factories import AccountFactory, AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def read(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_a_long_export_becomes_a_job_the_owner_downloads(
    client, am, other_am, settings, media, django_capture_on_commit_callbacks
):
    settings.EXPORT_ASYNC_ROWS = 3
    for i in range(5):
        AccountFactory(owner=am, name=f"Bank {i}", sector="Public")
    AccountFactory(owner=other_am, name="Hidden Bank", sector="Public")
    client.force_login(am)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("accounts:export"), {"sector": "Public", "sort": "-name"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job", args=[job.pk])
    assert (job.owner, job.kind, job.status, job.total) == (am, "accounts-csv", "done", 5)

    page = client.get(reverse("job", args=[job.pk]))
    assert "Download keyplan-accounts-" in page.content.decode()
    assert 'hx-trigger="every' not in page.content.decode()  # finished: no more polling
    rows = read(client.get(reverse("job_download", args=[job.pk])))
    assert rows[0][:3] == ["id", "name", "external_id"]
    assert [row[1] for row in rows[1:]] == [f"Bank {i}" for i in (4, 3, 2, 1, 0)]

    client.force_login(other_am)
    assert client.get(reverse("job", args=[job.pk])).status_code == 404
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 404


def test_a_short_export_streams_at_once(client, am, settings, media):
    settings.EXPORT_ASYNC_ROWS = 100
    AgreementFactory(account=AccountFactory(owner=am))
    client.force_login(am)
    response = client.get(reverse("accounts:renewals_export"), {"renewal_status": "active"})
    assert response.streaming and len(read(response)) == 2
    assert not Job.objects.exists()


def test_a_running_job_polls_and_a_failed_one_says_so(client, am, media, settings):
    job = Job.objects.create(kind="accounts-csv", owner=am, title="Accounts export", total=10)
    client.force_login(am)
    html = client.get(reverse("job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "0 of 10 rows" in html
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 404

    settings.KEYPLAN_JOBS = {**settings.KEYPLAN_JOBS, "accounts-csv": f"{__name__}.boom"}
    assert run_job(job.pk).status == "failed"
    job.refresh_from_db()
    assert job.error == "The database went away."
    html = client.get(reverse("job", args=[job.pk])).content.decode()
    assert "Failed" in html and "The database went away." in html
    # A finished job is never run again (a retried task).
    assert run_job(job.pk).status == "failed"


def boom(job):
    raise RuntimeError("The database went away.")
