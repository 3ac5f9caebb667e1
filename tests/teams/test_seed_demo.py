import datetime
import re
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord
from core.demo import run_demo
from core.fiscal import fiscal_year_bounds, fiscal_year_of
from teams.models import Quota, Team, User
from teams.selectors import am_account_load, is_over_capacity
from tests.factories import UserFactory

LOGINS = [
    "Demo logins (password for all: keyplan-demo):",
    "am / keyplan-demo",
    "manager / keyplan-demo",
    "ops / keyplan-demo",
]
# The day the exact-value tests seed for: renewal states, fiscal years and the revenue
# window are relative to it.
TODAY = datetime.date(2026, 11, 30)
# What the demo seeds apart from revenue, whatever the day.
FIXED_COUNTS = {
    "users": 9,
    "teams": 2,
    "accounts": 60,
    "account team members": 250,
    "agreements": 79,
    "product deployments": 207,
    "quotas": 12,
    "partners": 12,
    "opportunities": 380,
    "escalations": 9,
    "stakeholders": 1006,
    "interactions": 673,
    "survey answers": 228,
}


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


def months_of_revenue(today: datetime.date) -> int:
    """Months from the start of the fiscal year two before today's, to today's month."""
    first, _ = fiscal_year_bounds(fiscal_year_of(today) - 2)
    return (today.year - first.year) * 12 + today.month - first.month + 1


@pytest.fixture
def no_demo_password(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


@pytest.fixture
def domain_defaults(settings):
    """The exact values below are for the default domain settings, whatever the environment."""
    settings.FISCAL_YEAR_START_MONTH = 7
    settings.AGREEMENT_DUE_DAYS = 180
    settings.AM_ACCOUNT_CAPACITY = 12
    settings.LTP_MINIMUM = {"mature": 1_000_000, "emerging": 500_000}


@pytest.mark.django_db
def test_seed_demo_command_builds_the_territory_once(no_demo_password, domain_defaults):
    lines = run()

    revenue = 60 * months_of_revenue(timezone.localdate())
    made = ", ".join(f"{n:,} {what}" for what, n in FIXED_COUNTS.items())
    summary = re.escape(f"{made}, {revenue:,} revenue records.")
    assert re.fullmatch(rf"Seeded the Lagos demo territory in \d+\.\ds: {summary}", lines[0])
    assert lines[1:] == LOGINS
    assert RevenueRecord.objects.count() == revenue

    # A second run creates nothing and says so.
    before = counts()
    assert run() == ["The demo data is already there: nothing to add.", *LOGINS]
    assert counts() == before


@pytest.mark.django_db
def test_demo_territory_is_exactly_the_data(no_demo_password, domain_defaults):
    ctx = run_demo(today=TODAY)

    assert dict(ctx.created) == {**FIXED_COUNTS, "revenue records": 1740}

    # People and teams (teams/demo_data/people.toml).
    users = {u.username: u for u in User.objects.select_related("team")}
    assert {name: (u.role, u.team and u.team.name) for name, u in users.items()} == {
        "ops": ("ops", None),
        "manager": ("manager", None),
        "bola.adeyemi": ("manager", None),
        "am": ("am", "Lagos Corporate West"),
        "chioma.okeke": ("am", "Lagos Corporate West"),
        "tunde.ogunleye": ("am", "Lagos Corporate West"),
        "emeka.obi": ("am", "Lagos Corporate East"),
        "aisha.bello": ("am", "Lagos Corporate East"),
        "kemi.balogun": ("am", "Lagos Corporate East"),
    }
    ops = users["ops"]
    assert (ops.is_staff, ops.is_superuser, ops.email, ops.title) == (
        True,
        False,
        "temitope.bakare@keyplan.example",
        "Sales Operations Manager",
    )
    assert ops.check_password("keyplan-demo")
    assert users["am"].check_password("keyplan-demo")
    chioma = users["chioma.okeke"]
    assert (chioma.get_full_name(), chioma.email, chioma.title) == (
        "Chioma Okeke",
        "chioma.okeke@keyplan.example",
        "Senior Corporate Account Manager",
    )
    assert not any(u.is_staff for name, u in users.items() if name != "ops")
    assert {(t.name, t.territory, t.manager.username) for t in Team.objects.all()} == {
        ("Lagos Corporate West", "Lagos Corporate West", "manager"),
        ("Lagos Corporate East", "Lagos Corporate East", "bola.adeyemi"),
    }

    # Accounts (accounts/demo_data/accounts.toml), external ids in the data's order.
    assert sorted(Account.objects.values_list("external_id", flat=True)) == [
        f"CRM-{n}" for n in range(10001, 10061)
    ]
    first = Account.objects.get(external_id="CRM-10001")
    assert (
        first.name,
        first.parent,
        first.segment,
        first.ltp,
        first.industry.name,
        first.sector.name,
        first.territory.name,
        first.owner.username,
        first.description,
    ) == (
        "Atlantic Crest Energy plc",
        None,
        "mature",
        Decimal("6500000"),
        "Oil and Gas",
        "Commercial",
        "Lagos Corporate West",
        "chioma.okeke",
        "Global HQ of an international oil major; its Nigerian subsidiaries are downstream "
        "accounts, covered together with the global account team.",
    )
    last = Account.objects.get(external_id="CRM-10060")
    assert (
        last.name,
        last.owner.username,
        last.territory.name,
        last.sector.name,
        last.description,
    ) == (
        "Epe Federal University of Agriculture",
        "kemi.balogun",
        "Lagos Corporate East",
        "Academic",
        "",
    )
    children = Account.objects.filter(parent__isnull=False).values_list(
        "external_id", "parent__external_id"
    )
    assert dict(children) == {
        "CRM-10006": "CRM-10001",
        "CRM-10007": "CRM-10001",
        "CRM-10008": "CRM-10002",
        "CRM-10009": "CRM-10002",
        "CRM-10010": "CRM-10003",
        "CRM-10011": "CRM-10004",
        "CRM-10012": "CRM-10005",
        "CRM-10013": "CRM-10005",
    }
    assert Counter(Account.objects.values_list("sector__name", flat=True)) == {
        "Commercial": 44,
        "Public": 8,
        "Academic": 8,
    }
    assert Counter(Account.objects.values_list("segment", flat=True)) == {
        "mature": 33,
        "emerging": 27,
    }
    assert sorted(Account.objects.below_ltp().values_list("external_id", flat=True)) == [
        "CRM-10013",
        "CRM-10018",
        "CRM-10020",
        "CRM-10036",
        "CRM-10043",
        "CRM-10052",
    ]
    names = {u.pk: name for name, u in users.items()}
    load = {names[pk]: n for pk, n in am_account_load().items()}
    assert load == {
        "am": 10,
        "chioma.okeke": 14,
        "tunde.ogunleye": 9,
        "emeka.obi": 9,
        "aisha.bello": 9,
        "kemi.balogun": 9,
    }
    assert [name for name, n in load.items() if is_over_capacity(n)] == ["chioma.okeke"]

    # Virtual teams: the AMs of HQs and their downstream accounts, specialists, partners.
    assert Counter(AccountTeamMember.objects.values_list("role", flat=True)) == {
        "ssp": 68,
        "ats": 52,
        "partner": 36,
        "se": 28,
        "tam": 19,
        "pam": 16,
        "industry": 10,
        "downstream_am": 8,
        "other": 8,
        "services": 5,
    }
    assert AccountTeamMember.objects.filter(user__isnull=False).count() == 16
    assert Account.objects.filter(team_members__isnull=False).distinct().count() == 52

    # Agreements: renewal states as of TODAY.
    agreements = Agreement.objects.with_renewal_status(today=TODAY)
    assert Counter(a.renewal_status for a in agreements) == {
        "active": 41,
        "due": 15,
        "renewed": 12,
        "lapsed": 7,
        "upcoming": 4,
    }
    assert Agreement.objects.filter(renews__isnull=False).count() == 12
    assert Counter(Agreement.objects.values_list("kind", flat=True)) == {
        "EA": 34,
        "CSP": 21,
        "SA": 19,
        "MPSA": 5,
    }
    primary = Agreement.objects.get(number="62040000")
    assert (
        primary.account.external_id,
        primary.kind,
        primary.start_date,
        primary.end_date,
        primary.annual_value,
    ) == (
        "CRM-10001",
        "EA",
        datetime.date(2026, 6, 26),
        datetime.date(2029, 6, 25),
        Decimal("2000000"),
    )

    # Deployments: adoption between 30% and 98%.
    deployments = ProductDeployment.objects.all()
    assert Counter(d.is_current_version for d in deployments) == {True: 176, False: 31}
    assert len({d.product for d in deployments}) == 12
    assert all(Decimal("0.3") <= d.adoption <= Decimal("0.98") for d in deployments)

    # Revenue: every account, every month from FY2025's first to TODAY's.
    periods = RevenueRecord.objects.values_list("period", flat=True)
    assert (min(periods), max(periods)) == (datetime.date(2024, 7, 1), datetime.date(2026, 11, 1))
    assert RevenueRecord.objects.count() == 60 * 29
    assert set(RevenueRecord.objects.values_list("source", flat=True)) == {"licensing"}

    # Quotas: every AM, this fiscal year and the last, quarters adding up.
    quotas = Quota.objects.all()
    assert Counter(q.fiscal_year for q in quotas) == {2026: 6, 2027: 6}
    assert all(q.q1 + q.q2 + q.q3 + q.q4 == q.amount for q in quotas)
    am_quotas = Quota.objects.filter(user__username="am").order_by("fiscal_year")
    assert [(q.fiscal_year, q.amount, q.q1, q.q4) for q in am_quotas] == [
        (2026, Decimal("3600000"), Decimal("782000"), Decimal("1097000")),
        (2027, Decimal("3850000"), Decimal("874000"), Decimal("1155000")),
    ]


@pytest.mark.django_db
def test_demo_is_the_same_on_a_second_run_and_on_another_day(no_demo_password, domain_defaults):
    run_demo(today=TODAY)
    before = counts()

    assert run_demo(today=TODAY).created_total == 0
    assert counts() == before

    # A month later only that month's revenue is missing; nothing else is added or changed.
    later = run_demo(today=datetime.date(2026, 12, 31))
    assert dict(later.created) == {"revenue records": 60}
    assert counts() == {**before, "RevenueRecord": before["RevenueRecord"] + 60}


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_other_users_alone(no_demo_password):
    UserFactory(username="someone")

    lines = run("--if-empty")

    assert lines == [
        "The database already has data: not seeding the demo.",
        "No demo logins: the demo users (am, manager, ops) are not in this database.",
    ]
    assert User.objects.count() == 1
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_database_with_demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "lagos-2027")

    lines = run("--if-empty")

    assert lines[0].startswith("Seeded the Lagos demo territory")
    assert lines[1:] == [
        "Demo logins (password for all: lagos-2027):",
        "am / lagos-2027",
        "manager / lagos-2027",
        "ops / lagos-2027",
    ]
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
