"""`manage.py generate_book` at a tiny size: it fills every registered part, is
deterministic for a seed, and refuses a database with real data unless --force."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord
from teams.models import Quota, Team, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TINY = ["--accounts", "30", "--ams", "4", "--teams", "2", "--revenue-per-account", "10"]


def generate(*args) -> str:
    out = StringIO()
    call_command("generate_book", *TINY, *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "accounts": list(
            Account.objects.order_by("external_id").values_list(
                "external_id", "name", "owner__username", "parent__external_id", "ltp"
            )
        ),
        "revenue": RevenueRecord.objects.count(),
        "agreements": list(Agreement.objects.order_by("number").values_list("number", "kind")),
    }


def test_a_tiny_book_has_every_part_and_is_the_same_for_a_seed():
    out = generate()
    assert "Generated the book" in out and "book.ops / keyplan-book" in out
    assert User.objects.filter(role="am").count() == 4
    assert User.objects.filter(role="manager").count() == Team.objects.count() == 2
    assert Account.objects.count() == 30
    assert RevenueRecord.objects.count() == 300  # 10 a month-and-source slot per account
    assert Quota.objects.count() == 8  # two fiscal years per AM
    assert Agreement.objects.exists() and ProductDeployment.objects.exists()
    assert AccountTeamMember.objects.exists()
    assert User.objects.get(username="book.am.001").check_password("keyplan-book")
    first = snapshot()

    generate()  # a generated book is replaced without --force
    assert snapshot() == first
    assert Account.objects.count() == 30

    generate("--seed", "7")
    assert snapshot() != first


def test_it_refuses_a_database_with_real_data_unless_forced():
    UserFactory(username="someone")
    with pytest.raises(CommandError, match="did not make"):
        generate()
    assert User.objects.filter(username="someone").exists()
    generate("--force")
    assert not User.objects.filter(username="someone").exists()
    assert Account.objects.count() == 30
