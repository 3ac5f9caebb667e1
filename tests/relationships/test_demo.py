"""The relationships part of the demo: 8-25 stakeholders per demo account across every
level, reports_to trees inside each account, interactions over the past year with
last_interaction_at derived from them, survey recipients on most accounts with two fiscal
years of scores, some accounts with clear gaps at the top; the same on every run, and
nothing added on a second run."""

import datetime
from collections import Counter

import pytest
from django.db.models import F

from core.demo import run_demo
from core.fiscal import fiscal_year_of
from relationships.models import Interaction, Level, Stakeholder, SurveyResponse
from relationships.selectors import coverage_for_accounts

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)


def test_demo_relationships_have_what_the_map_shows():
    ctx = run_demo(today=TODAY)
    per_account = Counter(Stakeholder.objects.values_list("account_id", flat=True))
    assert len(per_account) == len(ctx.accounts)
    assert min(per_account.values()) >= 8 and max(per_account.values()) <= 25
    assert set(Stakeholder.objects.values_list("level", flat=True)) == set(Level.values)
    assert Stakeholder.objects.filter(title="Executive Assistant to the MD").count() == len(
        ctx.accounts
    )
    # Every manager is on the same account; every account has one top (the MD).
    crossed = Stakeholder.objects.exclude(reports_to=None).exclude(
        reports_to__account_id=F("account_id")
    )
    assert not crossed.exists()
    assert Stakeholder.objects.filter(reports_to=None).count() == len(ctx.accounts)

    # Interactions over the past year, and last_interaction_at derived from them.
    dates = Interaction.objects.values_list("date", flat=True)
    assert min(dates) >= TODAY - datetime.timedelta(days=365) and max(dates) <= TODAY
    sample = Stakeholder.objects.exclude(last_interaction_at=None).first()
    assert sample.last_interaction_at == max(i.date for i in sample.interactions.all())
    value = Interaction.objects.filter(business_value_discussed=True).count()
    assert 0.3 < value / Interaction.objects.count() < 0.8

    # Recipients on most accounts, each scored in two fiscal years.
    with_recipient = set(
        Stakeholder.objects.filter(cpe_survey_recipient=True).values_list("account_id", flat=True)
    )
    assert len(with_recipient) >= len(ctx.accounts) * 0.6
    years = set(SurveyResponse.objects.values_list("fiscal_year", flat=True))
    assert years == {fiscal_year_of(TODAY) - 1, fiscal_year_of(TODAY)}
    assert (
        SurveyResponse.objects.count()
        == 2 * Stakeholder.objects.filter(cpe_survey_recipient=True).count()
    )

    # Some accounts with a clear gap at the top, most without.
    coverage = coverage_for_accounts(per_account)
    cxo_gaps = [c for c in coverage.values() if "No relationship at CXO level" in c.gaps]
    assert len(ctx.accounts) // 5 <= len(cxo_gaps) < len(ctx.accounts) // 2

    # The same again: nothing added on a second run.
    before = list(Stakeholder.objects.order_by("pk").values_list("pk", "name", "strength"))
    assert "stakeholders" not in run_demo(today=TODAY).created
    assert list(Stakeholder.objects.order_by("pk").values_list("pk", "name", "strength")) == before
