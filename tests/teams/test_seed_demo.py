from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord
from core.fiscal import fiscal_year_of
from teams.models import Quota, Team, User
from teams.selectors import am_account_load, is_over_capacity
from tests.factories import UserFactory

LOGINS = [
    "Demo logins (password for all: keyplan-demo):",
    "am / keyplan-demo",
    "manager / keyplan-demo",
    "ops / keyplan-demo",
]


def run(*args) -> list[str]:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue().splitlines()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Team,
            Quota,
            Account,
            AccountTeamMember,
            Agreement,
            ProductDeployment,
            RevenueRecord,
        )
    }


@pytest.fixture
def no_demo_password(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


@pytest.mark.django_db
def test_seed_demo_builds_the_territory_once(no_demo_password):
    lines = run()

    assert lines[0].startswith("Seeded the Lagos demo territory")
    assert lines[-4:] == LOGINS

    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles == {"ops": 1, "manager": 2, "am": 6}
    ops = User.objects.get(username="ops")
    assert ops.is_staff and not ops.is_superuser
    assert ops.check_password("keyplan-demo")
    assert User.objects.get(username="am").check_password("keyplan-demo")
    emails = User.objects.values_list("email", flat=True)
    assert all(email.endswith("@keyplan.example") for email in emails)
    assert User.objects.get(username="chioma.okeke").get_full_name() == "Chioma Okeke"
    for team in Team.objects.all():
        assert team.manager.role == "manager"
        assert team.members.filter(role="am").count() == 3

    assert 55 <= Account.objects.count() <= 65
    assert Account.objects.filter(parent__isnull=False).count() >= 5
    assert Account.objects.below_ltp().exists()
    assert set(Account.objects.values_list("sector", flat=True)) == {
        "Commercial",
        "Public",
        "Academic",
    }
    load = am_account_load()
    over = [pk for pk, n in load.items() if is_over_capacity(n)]
    assert len(over) == 1
    assert 13 <= load[over[0]] <= 14
    assert AccountTeamMember.objects.filter(role="downstream_am", user__isnull=False).exists()
    with_team = Account.objects.filter(team_members__isnull=False).distinct().count()
    assert with_team > Account.objects.count() * 0.8

    statuses = Counter(a.renewal_status for a in Agreement.objects.with_renewal_status())
    assert statuses["due"] >= 5
    assert statuses["lapsed"] >= 3
    assert statuses["renewed"] >= 5
    assert statuses["active"] >= 10
    assert Agreement.objects.filter(renews__isnull=False).count() == statuses["renewed"]

    current = fiscal_year_of(timezone.localdate())
    years = {fiscal_year_of(p) for p in RevenueRecord.objects.values_list("period", flat=True)}
    assert years == {current - 2, current - 1, current}
    assert set(RevenueRecord.objects.values_list("source", flat=True)) == {"licensing"}

    adoption = [d.adoption for d in ProductDeployment.objects.all()]
    assert min(adoption) >= 0.3 and max(adoption) <= 0.98

    quotas = Quota.objects.all()
    assert {q.fiscal_year for q in quotas} == {current - 1, current}
    assert quotas.count() == 12
    assert all(q.q1 + q.q2 + q.q3 + q.q4 == q.amount for q in quotas)

    # A second run creates nothing and says so.
    before = counts()
    assert run() == ["The demo data is already there: nothing to add.", *LOGINS]
    assert counts() == before


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_other_users_alone(no_demo_password):
    UserFactory(username="someone")

    lines = run("--if-empty")

    assert lines[0] == "The database already has data: not seeding the demo."
    assert not any(" / " in line for line in lines)
    assert "demo users" in lines[-1]
    assert User.objects.count() == 1
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_database_with_demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "lagos-2027")

    lines = run("--if-empty")

    assert lines[0].startswith("Seeded the Lagos demo territory")
    assert lines[-3:] == ["am / lagos-2027", "manager / lagos-2027", "ops / lagos-2027"]
    assert User.objects.get(username="manager").check_password("lagos-2027")
    # Seeded data counts as data: a second --if-empty run leaves it as it is.
    assert run("--if-empty")[0] == "The database already has data: not seeding the demo."


@pytest.mark.django_db
def test_seed_demo_refuses_a_username_taken_with_another_role(no_demo_password):
    UserFactory(username="manager", role="am")

    with pytest.raises(CommandError, match="'manager' exists with role 'am'"):
        run()

    assert User.objects.count() == 1
    assert Team.objects.count() == 0
