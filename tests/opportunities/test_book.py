"""The opportunities part of `manage.py generate_book`: deals in every stage on the
generated accounts, that obey the stage rules, with history, partners, escalations and some
slipped and stale deals; the same for a seed."""

from io import StringIO

import pytest
from django.core.management import call_command

from opportunities import selectors
from opportunities.models import Opportunity, Partner, StageChange

pytestmark = pytest.mark.django_db(transaction=True)

TINY = [
    "--accounts", "30", "--ams", "4", "--teams", "2", "--revenue-per-account", "2",
    "--opportunities-per-account", "5",
]  # fmt: skip


def generate(*args) -> None:
    call_command("generate_book", *TINY, *args, stdout=StringIO())


def test_book_has_a_pipeline_in_every_stage():
    generate()
    deals = Opportunity.objects.all()
    assert 100 <= deals.count() <= 200
    assert set(deals.values_list("stage__slug", flat=True)) == {
        "prospect", "qualify", "develop", "propose", "negotiate", "closed_won", "closed_lost",
    }  # fmt: skip
    assert not deals.filter(stage__slug="closed_lost", loss_reason="").exists()
    assert not deals.filter(
        stage__slug__in=["propose", "negotiate", "closed_won"], business_value=""
    ).exists()
    assert StageChange.objects.filter(field="stage").count() == deals.count()
    assert Partner.objects.count() == 200 and deals.filter(partners__isnull=False).exists()
    facts = selectors.with_pipeline_facts(deals)
    assert facts.filter(slips__gte=2).exists()
    assert deals.filter(stage__is_closed=False, updated_at__lt=selectors.stale_before()).exists()
    first = list(deals.order_by("external_id").values_list("external_id", "stage__slug", "amount"))

    generate()
    again = list(deals.order_by("external_id").values_list("external_id", "stage__slug", "amount"))
    assert again == first
