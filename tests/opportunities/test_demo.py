"""The opportunities part of the demo: about 400 deals in every stage, renewals on the due
agreements, partners on most big wins, open escalations, slipped and stale deals; the same
on every run, and nothing added on a second run or another day."""

import datetime
from collections import Counter

import pytest

from accounts.models import Agreement
from core.demo import run_demo
from opportunities import selectors
from opportunities.models import Escalation, Opportunity, StageChange

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)


def summary() -> dict:
    deals = Opportunity.objects.all()
    facts = selectors.with_pipeline_facts(deals)
    due = Agreement.objects.with_renewal_status().filter(renewal_status="due")
    big = deals.filter(stage__is_won=True, amount__gte=100_000)
    return {
        "stages": dict(Counter(deals.values_list("stage__slug", flat=True))),
        "renewals on due agreements": deals.filter(kind="renewal", agreement__in=due).count(),
        "renewals won": deals.filter(kind="renewal", stage__is_won=True).count(),
        "big wins": big.count(),
        "big wins with partners": big.filter(partners__isnull=False).distinct().count(),
        "open escalations": Escalation.objects.filter(resolved_at__isnull=True).count(),
        "decided escalations": Escalation.objects.filter(resolved_at__isnull=False).count(),
        "slipped": facts.filter(slips__gte=selectors.SLIP_COUNT).count(),
        "stale": deals.filter(
            stage__is_closed=False, updated_at__lt=selectors.stale_before()
        ).count(),
    }


def test_demo_pipeline_has_what_the_pages_show(settings):
    settings.AGREEMENT_DUE_DAYS = 180
    settings.OPPORTUNITY_STALE_DAYS = 60
    ctx = run_demo(today=TODAY)
    assert (ctx.created["opportunities"], ctx.created["partners"]) == (380, 12)
    facts = summary()
    assert facts["stages"] == {
        "prospect": 48,
        "qualify": 57,
        "develop": 62,
        "propose": 55,
        "negotiate": 56,
        "closed_won": 75,
        "closed_lost": 27,
    }
    assert facts["renewals on due agreements"] == 15
    assert facts["renewals won"] == 12
    assert (facts["big wins"], facts["big wins with partners"]) == (52, 45)
    assert (facts["open escalations"], facts["decided escalations"]) == (5, 4)
    assert facts["slipped"] == 38
    assert facts["stale"] == 41
    # Every deal the stage rules apply to obeys them (they were written through the services).
    assert not Opportunity.objects.filter(stage__slug="closed_lost", loss_reason="").exists()
    assert not Opportunity.objects.filter(
        stage__slug__in=["propose", "negotiate", "closed_won"], business_value=""
    ).exists()
    # The history reaches back: every deal opened in the past, its changes since.
    oldest = StageChange.objects.order_by("changed_at").first().changed_at.date()
    assert oldest < TODAY - datetime.timedelta(days=60)

    # A second run, and a run on another day, add no deal.
    before = list(Opportunity.objects.order_by("pk").values_list("external_id", "version"))
    assert "opportunities" not in run_demo(today=TODAY).created
    assert "opportunities" not in run_demo(today=TODAY + datetime.timedelta(days=40)).created
    assert list(Opportunity.objects.order_by("pk").values_list("external_id", "version")) == (
        before
    )
