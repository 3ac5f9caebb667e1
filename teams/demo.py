"""Demo data: a believable corporate sales territory in Lagos, Nigeria.

`seed_demo()` writes two teams of account managers, about sixty customer accounts with
their virtual teams, licensing agreements, product deployments, three fiscal years of
monthly revenue and the AMs' quotas. Everything goes through the apps' services (with the
ops user as actor), except the bootstrap ops user itself, who has no actor to create them.

Repeatable: every section draws from its own `random.Random` seeded from DEMO_SEED (2027)
and the section's name, and dates are relative to `today`.
Idempotent: rows are keyed on usernames, team names, account external ids, agreement
numbers, (account, product), (user, fiscal year) and (account, period, source); what
exists is read once per model and kept as it is, only what is missing is created.

Later apps extend the demo without touching this file: give the app a `demo.py` with

    def extend_demo(ctx: DemoContext) -> None: ...

It runs after the core data, in INSTALLED_APPS order, inside the same transaction. Use
`ctx.rng_for("<app>")` for randomness, `ctx.actor` for services, `ctx.users`,
`ctx.accounts` (by external id) and `ctx.today`; add what you create to `ctx.created`.
"""

from __future__ import annotations

import datetime
import math
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from accounts.models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord
from accounts.services import (
    RevenueRow,
    account_create,
    agreement_create,
    deployment_create,
    revenue_bulk_upsert,
    team_member_create,
)
from core.fiscal import fiscal_year_bounds, fiscal_year_of

from .models import Quota, Team, User
from .services import quota_create, team_create, user_create

DEMO_SEED = 2027
DEFAULT_PASSWORD = "keyplan-demo"
EMAIL_DOMAIN = "keyplan.example"
REVENUE_SOURCE = "licensing"
LOGIN_USERNAMES = ("am", "manager", "ops")  # the logins `make run` shows, one per role
EXTENSION_HOOK = "extend_demo"


class DemoConflictError(Exception):
    """The database holds a user or row that the demo would need to be something else."""


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD


# --- the data -----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    title: str
    team: str | None = None

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@{EMAIL_DOMAIN}".lower()


@dataclass(frozen=True)
class DemoTeam:
    name: str
    territory: str
    manager: str


@dataclass(frozen=True)
class DemoAccount:
    name: str
    industry: str
    sector: str
    segment: str
    ltp: int
    owner: str
    parent: str | None = None
    description: str = ""


WEST = "Lagos Corporate West"
EAST = "Lagos Corporate East"
AM_TITLE = "Corporate Account Manager"

OPS_USER = DemoUser("ops", "Temitope", "Bakare", "ops", "Sales Operations Manager")
USERS: tuple[DemoUser, ...] = (
    DemoUser("manager", "Olusegun", "Afolabi", "manager", "Corporate Sales Manager, Lagos West"),
    DemoUser("bola.adeyemi", "Bola", "Adeyemi", "manager", "Corporate Sales Manager, Lagos East"),
    DemoUser("am", "Adaeze", "Nwosu", "am", AM_TITLE, WEST),
    DemoUser("chioma.okeke", "Chioma", "Okeke", "am", f"Senior {AM_TITLE}", WEST),
    DemoUser("tunde.ogunleye", "Babatunde", "Ogunleye", "am", AM_TITLE, WEST),
    DemoUser("emeka.obi", "Chukwuemeka", "Obi", "am", f"Senior {AM_TITLE}", EAST),
    DemoUser("aisha.bello", "Aisha", "Bello", "am", AM_TITLE, EAST),
    DemoUser("kemi.balogun", "Oluwakemi", "Balogun", "am", AM_TITLE, EAST),
)
TEAMS: tuple[DemoTeam, ...] = (
    DemoTeam(WEST, WEST, "manager"),
    DemoTeam(EAST, EAST, "bola.adeyemi"),
)

BANK, INS, TEL, OIL = "Banking", "Insurance", "Telecoms", "Oil and Gas"
MFG, LOG, FMCG, GOV, EDU = "Manufacturing", "Logistics", "FMCG", "Public Sector", "Higher Education"
COM, PUB, ACA = "Commercial", "Public", "Academic"
MAT, EMG = "mature", "emerging"

# Parents come before their downstream accounts. External ids follow this order:
# CRM-10001, CRM-10002, ...  Owners: am 10, chioma.okeke 14 (over capacity), the rest 9.
_ACCOUNT_ROWS: tuple[tuple[str, str, str, str, int, str], ...] = (
    # Multinational and group HQs, then their downstream accounts in the territory.
    ("Atlantic Crest Energy plc", OIL, COM, MAT, 6_500_000, "chioma.okeke"),
    ("Kora Telecom Group", TEL, COM, MAT, 5_200_000, "aisha.bello"),
    ("Harrowgate Consumer Brands plc", FMCG, COM, MAT, 4_800_000, "kemi.balogun"),
    ("Rhine Industrial Group AG", MFG, COM, MAT, 3_900_000, "tunde.ogunleye"),
    ("Eko Atlantic Bank plc", BANK, COM, MAT, 5_500_000, "am"),
    ("Atlantic Crest Energy Nigeria Ltd", OIL, COM, MAT, 3_200_000, "emeka.obi"),
    ("Atlantic Crest Deepwater Nigeria Ltd", OIL, COM, MAT, 2_100_000, "am"),
    ("Kora Telecom Nigeria Ltd", TEL, COM, MAT, 4_100_000, "chioma.okeke"),
    ("Kora Fibre Networks Nigeria", TEL, COM, EMG, 1_200_000, "tunde.ogunleye"),
    ("Harrowgate Nigeria plc", FMCG, COM, MAT, 2_600_000, "am"),
    ("Rhine Industrial Nigeria Ltd", MFG, COM, EMG, 900_000, "kemi.balogun"),
    ("EAB Pension Managers Ltd", BANK, COM, EMG, 800_000, "emeka.obi"),
    ("EAB Capital Markets Ltd", BANK, COM, EMG, 450_000, "chioma.okeke"),
    # Banking and insurance.
    ("Lagoon Trust Bank plc", BANK, COM, MAT, 3_800_000, "chioma.okeke"),
    ("Marina Commercial Bank plc", BANK, COM, MAT, 3_300_000, "emeka.obi"),
    ("Savannah Merchant Bank Ltd", BANK, COM, MAT, 1_700_000, "aisha.bello"),
    ("Bluepeak Assurance plc", INS, COM, MAT, 1_400_000, "kemi.balogun"),
    ("Obalende Microfinance Bank", BANK, COM, EMG, 380_000, "am"),
    ("Oduduwa Mortgage Bank Ltd", BANK, COM, EMG, 650_000, "tunde.ogunleye"),
    ("Ikoyi Capital Partners Ltd", BANK, COM, MAT, 850_000, "aisha.bello"),
    # Telecoms.
    ("Lagos Lightwave Communications Ltd", TEL, COM, MAT, 2_200_000, "chioma.okeke"),
    ("Ogun Towers Ltd", TEL, COM, EMG, 1_100_000, "emeka.obi"),
    ("Ajah Data Centres Ltd", TEL, COM, EMG, 1_300_000, "am"),
    ("Nexa Mobile Nigeria Ltd", TEL, COM, MAT, 2_800_000, "kemi.balogun"),
    # Oil and gas.
    ("Bonny Light Petroleum Ltd", OIL, COM, MAT, 2_400_000, "chioma.okeke"),
    ("Delta Midstream Gas Company", OIL, COM, MAT, 1_800_000, "aisha.bello"),
    ("Lekki Refining & Petrochemicals Ltd", OIL, COM, MAT, 4_400_000, "tunde.ogunleye"),
    ("Escravos Oilfield Services Ltd", OIL, COM, EMG, 700_000, "emeka.obi"),
    ("Badagry Downstream Petroleum plc", OIL, COM, MAT, 1_200_000, "kemi.balogun"),
    # Manufacturing and logistics.
    ("Lekki Deep Sea Ports Ltd", LOG, COM, MAT, 2_000_000, "aisha.bello"),
    ("Ikeja Steel Mills Ltd", MFG, COM, MAT, 1_600_000, "chioma.okeke"),
    ("Agbara Cement Company plc", MFG, COM, MAT, 2_300_000, "tunde.ogunleye"),
    ("Ota Pharmaceuticals Ltd", MFG, COM, EMG, 950_000, "am"),
    ("Ilupeju Packaging Industries Ltd", MFG, COM, EMG, 600_000, "chioma.okeke"),
    ("Sagamu Auto Assembly Ltd", MFG, COM, EMG, 1_000_000, "emeka.obi"),
    ("Ikorodu Paints & Coatings Ltd", MFG, COM, MAT, 900_000, "chioma.okeke"),
    ("Amuwo Cables Ltd", MFG, COM, EMG, 550_000, "aisha.bello"),
    ("Apapa Logistics Hub Ltd", LOG, COM, EMG, 750_000, "tunde.ogunleye"),
    # FMCG.
    ("Oceanic Beverages Nigeria plc", FMCG, COM, MAT, 2_700_000, "emeka.obi"),
    ("Palmgrove Foods plc", FMCG, COM, MAT, 1_900_000, "chioma.okeke"),
    ("Sunkissed Dairies Nigeria Ltd", FMCG, COM, EMG, 800_000, "kemi.balogun"),
    ("Yaba Breweries plc", FMCG, COM, MAT, 2_500_000, "aisha.bello"),
    ("Mainland Household Products Ltd", FMCG, COM, EMG, 420_000, "chioma.okeke"),
    ("Ketu Foods & Spices Ltd", FMCG, COM, EMG, 600_000, "tunde.ogunleye"),
    # Public sector.
    ("Lagos State Ministry of Digital Economy", GOV, PUB, MAT, 2_900_000, "am"),
    ("Lagos State Revenue Service", GOV, PUB, MAT, 2_100_000, "chioma.okeke"),
    ("Lagos Metropolitan Transit Authority", GOV, PUB, MAT, 1_500_000, "emeka.obi"),
    ("Lagos Water Utility Board", GOV, PUB, EMG, 700_000, "kemi.balogun"),
    ("Lagos State Health Insurance Scheme", GOV, PUB, EMG, 900_000, "tunde.ogunleye"),
    ("Federal Maritime Directorate, Lagos", GOV, PUB, MAT, 1_100_000, "aisha.bello"),
    ("Lagos State Judiciary", GOV, PUB, EMG, 520_000, "chioma.okeke"),
    ("Ikeja Local Government Council", GOV, PUB, EMG, 300_000, "emeka.obi"),
    # Universities and colleges.
    ("Lagoon City University", EDU, ACA, MAT, 1_300_000, "am"),
    ("Eko University of Technology", EDU, ACA, MAT, 1_100_000, "chioma.okeke"),
    ("Yaba Institute of Technology", EDU, ACA, EMG, 600_000, "tunde.ogunleye"),
    ("Lagos State College of Health Sciences", EDU, ACA, EMG, 520_000, "kemi.balogun"),
    ("Lekki Business School", EDU, ACA, EMG, 650_000, "aisha.bello"),
    ("Ikorodu Federal Polytechnic", EDU, ACA, EMG, 700_000, "am"),
    ("Akoka College of Education", EDU, ACA, EMG, 510_000, "am"),
    ("Epe Federal University of Agriculture", EDU, ACA, EMG, 800_000, "kemi.balogun"),
)
# Downstream accounts and the HQ they belong to.
PARENTS: dict[str, str] = {
    "Atlantic Crest Energy Nigeria Ltd": "Atlantic Crest Energy plc",
    "Atlantic Crest Deepwater Nigeria Ltd": "Atlantic Crest Energy plc",
    "Kora Telecom Nigeria Ltd": "Kora Telecom Group",
    "Kora Fibre Networks Nigeria": "Kora Telecom Group",
    "Harrowgate Nigeria plc": "Harrowgate Consumer Brands plc",
    "Rhine Industrial Nigeria Ltd": "Rhine Industrial Group AG",
    "EAB Pension Managers Ltd": "Eko Atlantic Bank plc",
    "EAB Capital Markets Ltd": "Eko Atlantic Bank plc",
}
DESCRIPTIONS: dict[str, str] = {
    "Atlantic Crest Energy plc": (
        "Global HQ of an international oil major; its Nigerian subsidiaries are downstream "
        "accounts, covered together with the global account team."
    ),
    "Kora Telecom Group": (
        "Pan-African mobile operator group, HQ in Ikoyi; operating companies in nine markets."
    ),
    "Harrowgate Consumer Brands plc": (
        "Global consumer-goods HQ; the Nigerian listed subsidiary buys locally."
    ),
    "Rhine Industrial Group AG": "German engineering group; West Africa regional office in Ikeja.",
    "Eko Atlantic Bank plc": (
        "Tier-1 Nigerian banking group; the pensions and capital-markets arms are separate "
        "accounts."
    ),
    "Atlantic Crest Energy Nigeria Ltd": "Nigeria subsidiary of a global oil major (onshore).",
    "Atlantic Crest Deepwater Nigeria Ltd": (
        "Deepwater production subsidiary, offices in Victoria Island."
    ),
    "Kora Telecom Nigeria Ltd": "The group's largest operating company: 60m subscribers.",
    "Harrowgate Nigeria plc": "Listed Nigerian subsidiary; factories in Agbara.",
}
ACCOUNTS: tuple[DemoAccount, ...] = tuple(
    DemoAccount(*row, parent=PARENTS.get(row[0]), description=DESCRIPTIONS.get(row[0], ""))
    for row in _ACCOUNT_ROWS
)

# Colleagues on the virtual teams who have no Keyplan login: (name, speciality).
SPECIALISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "ats": (
        ("Kelechi Amadi", "Account technology strategist, financial services"),
        ("Folasade Ogunbiyi", "Account technology strategist, industry and public sector"),
        ("Adewale Martins", "Account technology strategist, energy and telecoms"),
    ),
    "ssp": (
        ("Ibrahim Musa", "Azure infrastructure and data"),
        ("Ngozi Okafor", "Modern Work: Microsoft 365 and Teams"),
        ("Tobi Adeniran", "Business Applications: Dynamics 365"),
        ("Halima Abubakar", "Security and compliance"),
    ),
    "se": (
        ("Damilola Ojo", "Azure solution engineer"),
        ("Chinedu Okonkwo", "Data and AI solution engineer"),
    ),
    "tam": (
        ("Oluwaseun Fashola", "Unified Support, premier accounts"),
        ("Blessing Ekpo", "Unified Support, public sector"),
    ),
    "pam": (("Rotimi Alabi", "Partner account manager, Lagos SIs"),),
    "industry": (
        ("Uchenna Ike", "Financial services industry lead"),
        ("Hauwa Lawal", "Government industry lead"),
        ("Femi Adeoye", "Energy industry lead"),
    ),
    "services": (("Yewande Coker", "Industry Solutions Delivery, engagement manager"),),
}
# Partners: (company, contact, email).
PARTNERS: tuple[tuple[str, str, str], ...] = (
    ("Marina Cloud Solutions", "Kunle Ajayi", "kunle.ajayi@marinacloud.example"),
    ("Bluewave Systems Integrators", "Amaka Eze", "amaka.eze@bluewave.example"),
    ("Ikeja Digital Partners", "Sani Danladi", "sani.danladi@ikejadigital.example"),
    ("Sahel Tech Services", "Ifeoma Uche", "ifeoma.uche@saheltech.example"),
    ("Gidi Cloud Ltd", "Tosin Akande", "tosin.akande@gidicloud.example"),
)
INDUSTRY_LEAD = {BANK: "Uchenna Ike", INS: "Uchenna Ike", GOV: "Hauwa Lawal", OIL: "Femi Adeoye"}


@dataclass(frozen=True)
class Product:
    name: str
    per_employee: float  # licensed seats per employee; 0 for core-licensed servers
    cores: tuple[int, int] = (0, 0)  # licensed cores for server products
    outdated_rate: float = 0.1  # how often the customer is not on the current version


SUITES = (Product("Microsoft 365 E3", 0.9, outdated_rate=0.2), Product("Microsoft 365 E5", 0.5))
PRODUCTS: tuple[Product, ...] = (
    Product("Microsoft 365 F3", 0.6),
    Product("Dynamics 365 Sales", 0.05, outdated_rate=0.05),
    Product("Dynamics 365 Finance", 0.03, outdated_rate=0.05),
    Product("Azure Virtual Desktop", 0.12, outdated_rate=0.0),
    Product("SQL Server Enterprise", 0, cores=(16, 192), outdated_rate=0.45),
    Product("Windows Server Datacenter", 0, cores=(32, 512), outdated_rate=0.4),
    Product("Power BI Pro", 0.15, outdated_rate=0.0),
    Product("Enterprise Mobility + Security E3", 0.7),
    Product("Microsoft Defender for Endpoint", 0.8, outdated_rate=0.15),
    Product("Visual Studio Enterprise", 0.03, outdated_rate=0.25),
)

# Revenue by month of the fiscal year: a December bump and the year-end true-up in the last
# month (June with the default July start).
SEASONALITY = (0.88, 0.9, 0.97, 0.93, 0.98, 1.12, 0.82, 0.9, 1.04, 0.97, 1.06, 1.5)

# How many primary agreements end in each renewal state; the rest are active.
AGREEMENT_MIX = {"renewed": 12, "due": 12, "lapsed": 7}


# --- the run ------------------------------------------------------------------------


@dataclass
class DemoContext:
    today: datetime.date
    password: str
    actor: User | None = None
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)  # by external id
    created: Counter = field(default_factory=Counter)

    @property
    def fiscal_year(self) -> int:
        return fiscal_year_of(self.today)

    def rng_for(self, section: str) -> random.Random:
        """A generator of its own per section, so changing one never reshuffles another."""
        return random.Random(f"{DEMO_SEED}:{section}")

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


def external_id(index: int) -> str:
    return f"CRM-{10001 + index}"


def demo_logins_available() -> bool:
    """Whether the three logins `make run` prints exist with the demo roles."""
    found = dict(User.objects.filter(username__in=LOGIN_USERNAMES).values_list("username", "role"))
    return found == {"am": User.Role.AM, "manager": User.Role.MANAGER, "ops": User.Role.OPS}


def seed_demo(*, password: str | None = None, today: datetime.date | None = None) -> DemoContext:
    """Create whatever part of the demo territory is missing. Returns the context, whose
    `created` counts what this run added (all zero when the demo was already there)."""
    ctx = DemoContext(today=today or timezone.localdate(), password=password or demo_password())
    with transaction.atomic():
        _seed_people(ctx)
        _seed_accounts(ctx)
        _seed_account_teams(ctx)
        _seed_agreements(ctx)
        _seed_deployments(ctx)
        _seed_quotas(ctx)
        _seed_revenue(ctx)
        for _label, extend in _extensions():
            extend(ctx)
    return ctx


def _extensions() -> Iterator[tuple[str, Callable[[DemoContext], None]]]:
    """`<app>.demo.extend_demo` of every project app (not third-party ones)."""
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if config.name == __package__ or not path.is_relative_to(base):
            continue
        if "site-packages" in path.parts or not module_has_submodule(config.module, "demo"):
            continue
        extend = getattr(import_module(f"{config.name}.demo"), EXTENSION_HOOK, None)
        if callable(extend):
            yield config.label, extend


# --- people -------------------------------------------------------------------------


def _seed_people(ctx: DemoContext) -> None:
    wanted = (OPS_USER, *USERS)
    existing = {
        u.username: u for u in User.objects.filter(username__in=[u.username for u in wanted])
    }
    for spec in wanted:
        user = existing.get(spec.username)
        if user is not None and user.role != spec.role:
            raise DemoConflictError(
                f"User {spec.username!r} exists with role {user.role!r}; the demo needs "
                f"{spec.role!r}. Seed the demo into an empty database."
            )
    # One hash for the shared demo password: PBKDF2 costs ~0.3 s a call, nine calls would
    # triple the run time, and the password is printed on screen anyway.
    password_hash = make_password(ctx.password) if len(existing) < len(wanted) else ""

    ops = existing.get(OPS_USER.username)
    if ops is None:
        # The bootstrap user: no ops exists yet to act through user_create.
        ops = User(
            username=OPS_USER.username,
            first_name=OPS_USER.first_name,
            last_name=OPS_USER.last_name,
            email=OPS_USER.email,
            role=OPS_USER.role,
            title=OPS_USER.title,
            is_staff=True,  # sales operations administer Keyplan in the Django admin
            password=password_hash,
        )
        ops.full_clean()
        ops.save()
        ctx.created["users"] += 1
    ctx.actor = ops
    ctx.users[ops.username] = ops

    def make_user(spec: DemoUser, team: Team | None) -> User:
        user = existing.get(spec.username)
        if user is None:
            user = user_create(
                actor=ops,
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=spec.email,
                role=spec.role,
                title=spec.title,
                team=team,
            )
            user.password = password_hash
            user.save(update_fields=["password"])
            ctx.created["users"] += 1
        return user

    for spec in USERS:
        if spec.role == User.Role.MANAGER:
            ctx.users[spec.username] = make_user(spec, None)

    existing_teams = {t.name: t for t in Team.objects.filter(name__in=[t.name for t in TEAMS])}
    for spec in TEAMS:
        team = existing_teams.get(spec.name)
        if team is None:
            team = team_create(
                actor=ops,
                name=spec.name,
                territory=spec.territory,
                manager=ctx.users[spec.manager],
            )
            ctx.created["teams"] += 1
        ctx.teams[spec.name] = team

    for spec in USERS:
        if spec.role == User.Role.AM:
            ctx.users[spec.username] = make_user(spec, ctx.teams[spec.team])


# --- accounts -----------------------------------------------------------------------


def _seed_accounts(ctx: DemoContext) -> None:
    ids = [external_id(i) for i in range(len(ACCOUNTS))]
    existing = {a.external_id: a for a in Account.objects.filter(external_id__in=ids)}
    by_name: dict[str, Account] = {}
    territory = {spec.username: spec.team or "" for spec in USERS}
    for index, spec in enumerate(ACCOUNTS):
        ext = ids[index]
        account = existing.get(ext)
        if account is None:
            account = account_create(
                actor=ctx.actor,
                name=spec.name,
                external_id=ext,
                parent=by_name[spec.parent] if spec.parent else None,
                segment=spec.segment,
                ltp=Decimal(spec.ltp),
                industry=spec.industry,
                sector=spec.sector,
                territory=territory[spec.owner],
                owner=ctx.users[spec.owner],
                description=spec.description,
            )
            ctx.created["accounts"] += 1
        by_name[spec.name] = account
        ctx.accounts[ext] = account


def _account_specs(ctx: DemoContext) -> Iterator[tuple[DemoAccount, Account]]:
    for index, spec in enumerate(ACCOUNTS):
        yield spec, ctx.accounts[external_id(index)]


def _seed_account_teams(ctx: DemoContext) -> None:
    rng = ctx.rng_for("account-teams")
    by_name = {spec.name: spec for spec in ACCOUNTS}
    downstream: dict[str, list[DemoAccount]] = {}
    for spec in ACCOUNTS:
        if spec.parent:
            downstream.setdefault(spec.parent, []).append(spec)

    wanted: list[tuple[Account, dict]] = []
    for spec, account in _account_specs(ctx):
        members: list[dict] = []
        # Sales collaboration with HQs: the owners of this HQ's subsidiaries sit on its team
        # as downstream AMs, and the HQ's AM sits on each subsidiary's team.
        for child in downstream.get(spec.name, []):
            if child.owner != spec.owner:
                members.append(
                    {
                        "user": ctx.users[child.owner],
                        "role": "downstream_am",
                        "notes": f"Owns the downstream account {child.name}",
                    }
                )
        if spec.parent and by_name[spec.parent].owner != spec.owner:
            members.append(
                {
                    "user": ctx.users[by_name[spec.parent].owner],
                    "role": "other",
                    "notes": f"HQ account manager ({spec.parent})",
                }
            )
        # Most accounts have a virtual team; a few small ones are covered by the AM alone.
        if members or spec.ltp >= 1_000_000 or rng.random() < 0.55:
            members.append(_specialist(rng, "ats"))
            for _ in range(rng.choice((1, 1, 2))):
                members.append(_specialist(rng, "ssp"))
            if rng.random() < 0.6:
                members.append(_specialist(rng, "se"))
            if spec.segment == MAT and rng.random() < 0.6:
                members.append(_specialist(rng, "tam"))
            if spec.industry in INDUSTRY_LEAD and rng.random() < 0.5:
                name = INDUSTRY_LEAD[spec.industry]
                members.append(_colleague(name, "industry", dict(SPECIALISTS["industry"])[name]))
            if rng.random() < 0.6:
                company, contact, email = rng.choice(PARTNERS)
                members.append(
                    {
                        "name": company,
                        "role": "partner",
                        "email": email,
                        "notes": f"Contact: {contact}",
                    }
                )
                if rng.random() < 0.5:
                    members.append(_specialist(rng, "pam"))
            if spec.ltp >= 3_000_000 and rng.random() < 0.5:
                members.append(_specialist(rng, "services"))
        wanted.extend((account, member) for member in members)

    existing = set(
        AccountTeamMember.objects.filter(account__in=ctx.accounts.values()).values_list(
            "account_id", "user_id", "name", "role"
        )
    )
    for account, member in wanted:
        user = member.get("user")
        key = (account.pk, user.pk if user else None, member.get("name", ""), member["role"])
        if key in existing:
            continue
        existing.add(key)
        team_member_create(actor=ctx.actor, account=account, **member)
        ctx.created["account team members"] += 1


def _specialist(rng: random.Random, role: str) -> dict:
    name, notes = rng.choice(SPECIALISTS[role])
    return _colleague(name, role, notes)


def _colleague(name: str, role: str, notes: str) -> dict:
    email = f"{name.replace(' ', '.')}@{EMAIL_DOMAIN}".lower()
    return {"name": name, "role": role, "email": email, "notes": notes}


# --- agreements ---------------------------------------------------------------------


def _shift_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _term_ending(end: datetime.date, years: int) -> datetime.date:
    """Start date of a term of `years` years that ends on `end`."""
    return _shift_years(end, -years) + datetime.timedelta(days=1)


def _agreement_number(index: int, slot: int) -> str:
    return str(62040000 + index * 10 + slot)


def _primary_kind(rng: random.Random, spec: DemoAccount) -> str:
    if spec.segment == EMG:
        return rng.choices(("SA", "MPSA", "CSP"), weights=(4, 3, 3))[0]
    if spec.sector == ACA:
        return rng.choice(("SA", "SA", "EA"))
    return "EA" if rng.random() < 0.8 else "SA"


def _seed_agreements(ctx: DemoContext) -> None:
    rng = ctx.rng_for("agreements")
    today = ctx.today
    day = datetime.timedelta
    states = [state for state, n in AGREEMENT_MIX.items() for _ in range(n)]
    states += ["active"] * (len(ACCOUNTS) - len(states))
    rng.shuffle(states)

    # (index, slot, kind, start, end, annual value, slot it renews)
    wanted: list[tuple[int, int, str, datetime.date, datetime.date, int, int | None]] = []
    for index, (spec, state) in enumerate(zip(ACCOUNTS, states, strict=True)):
        kind = _primary_kind(rng, spec)
        years = 1 if kind == "CSP" else 3
        value = min(max(round(spec.ltp * rng.uniform(0.12, 0.45), -3), 50_000), 2_000_000)
        if state == "active":
            end = today + day(rng.randint(200, 355 if years == 1 else 1000))
        elif state == "due":
            end = today + day(rng.randint(7, 170))
        elif state == "lapsed":
            end = today - day(rng.randint(15, 300))
        else:  # renewed: some early, before the old term ended
            end = today + day(rng.randint(-150, 0) if years == 1 else rng.randint(-540, 120))
        wanted.append((index, 0, kind, _term_ending(end, years), end, value, None))
        if state == "renewed":
            start = end + day(1)
            uplift = min(round(value * rng.uniform(1.0, 1.3), -3), 2_000_000)
            new_end = _shift_years(start, years) - day(1)
            wanted.append((index, 1, kind, start, new_end, uplift, 0))
        # Azure through a cloud partner alongside the enterprise agreement.
        if spec.segment == MAT and spec.sector == COM and rng.random() < 0.35:
            end = today + day(rng.randint(30, 340))
            value = round(rng.uniform(50_000, 250_000), -3)
            wanted.append((index, 5, "CSP", _term_ending(end, 1), end, value, None))

    numbers = [_agreement_number(index, slot) for index, slot, *_ in wanted]
    existing = {(a.kind, a.number): a for a in Agreement.objects.filter(number__in=numbers)}
    made: dict[tuple[int, int], Agreement] = {}
    for index, slot, kind, start, end, value, renews in wanted:
        number = _agreement_number(index, slot)
        agreement = existing.get((kind, number))
        if agreement is None:
            agreement = agreement_create(
                actor=ctx.actor,
                account=ctx.accounts[external_id(index)],
                kind=kind,
                number=number,
                start_date=start,
                end_date=end,
                annual_value=Decimal(value),
                renews=made.get((index, renews)) if renews is not None else None,
            )
            ctx.created["agreements"] += 1
        made[(index, slot)] = agreement


# --- deployments --------------------------------------------------------------------


def _seed_deployments(ctx: DemoContext) -> None:
    rng = ctx.rng_for("deployments")
    existing = set(
        ProductDeployment.objects.filter(account__in=ctx.accounts.values()).values_list(
            "account_id", "product"
        )
    )
    for spec, account in _account_specs(ctx):
        employees = max(round(spec.ltp / rng.uniform(600, 1400), -1), 60)
        products = [rng.choice(SUITES), *rng.sample(PRODUCTS, rng.randint(1, 4))]
        for product in products:
            if product.per_employee:
                licensed = max(round(employees * product.per_employee * rng.uniform(0.8, 1.1)), 25)
            else:
                licensed = rng.randrange(product.cores[0], product.cores[1] + 1, 8)
            # Adoption between 30% and 98%, also after rounding small seat counts.
            active = round(licensed * rng.uniform(0.30, 0.98))
            active = min(max(active, math.ceil(licensed * 0.30)), math.floor(licensed * 0.98))
            current = rng.random() >= product.outdated_rate
            if (account.pk, product.name) in existing:
                continue
            deployment_create(
                actor=ctx.actor,
                account=account,
                product=product.name,
                licensed_seats=licensed,
                active_seats=active,
                is_current_version=current,
            )
            ctx.created["product deployments"] += 1


# --- quotas -------------------------------------------------------------------------


def _seed_quotas(ctx: DemoContext) -> None:
    rng = ctx.rng_for("quotas")
    current = ctx.fiscal_year
    ams = [ctx.users[spec.username] for spec in USERS if spec.role == User.Role.AM]
    existing = set(
        Quota.objects.filter(user__in=ams, fiscal_year__in=(current - 1, current)).values_list(
            "user_id", "fiscal_year"
        )
    )
    for am in ams:
        amount = rng.randrange(2_000_000, 4_000_001, 50_000)
        previous = max(round(amount * rng.uniform(0.82, 0.95), -4), 1_500_000)
        for fiscal_year, total in ((current - 1, previous), (current, amount)):
            weights = [w * rng.uniform(0.95, 1.05) for w in (0.22, 0.23, 0.25, 0.30)]
            q1, q2, q3 = (round(total * w / sum(weights), -3) for w in weights[:3])
            quarters = [Decimal(q) for q in (q1, q2, q3, total - q1 - q2 - q3)]
            if (am.pk, fiscal_year) in existing:
                continue
            quota_create(
                actor=ctx.actor,
                user=am,
                fiscal_year=fiscal_year,
                amount=Decimal(total),
                q1=quarters[0],
                q2=quarters[1],
                q3=quarters[2],
                q4=quarters[3],
            )
            ctx.created["quotas"] += 1


# --- revenue ------------------------------------------------------------------------


def _months(first: datetime.date, last: datetime.date) -> Iterator[datetime.date]:
    month = first
    while month <= last:
        yield month
        month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _seed_revenue(ctx: DemoContext) -> None:
    """Monthly licensing revenue for the current fiscal year to date and the two before."""
    rng = ctx.rng_for("revenue")
    first, _ = fiscal_year_bounds(ctx.fiscal_year - 2)
    periods = list(_months(first, ctx.today))
    existing = set(
        RevenueRecord.objects.filter(
            account__in=ctx.accounts.values(), source=REVENUE_SOURCE
        ).values_list("account_id", "period")
    )
    rows: list[RevenueRow] = []
    for spec, account in _account_specs(ctx):
        # Realised share of the potential and a yearly trend: most grow, a few decline.
        monthly = spec.ltp * rng.uniform(0.25, 0.7) / 12
        growth = rng.uniform(-0.12, 0.3)
        for month_number, period in enumerate(periods):
            amount = (
                monthly
                * (1 + growth) ** ((month_number - 12) / 12)
                * SEASONALITY[month_number % 12]
                * rng.uniform(0.92, 1.08)
            )
            if (account.pk, period) in existing:
                continue
            rows.append(
                RevenueRow(
                    account=account,
                    period=period,
                    amount=Decimal(f"{amount:.2f}"),
                    source=REVENUE_SOURCE,
                )
            )
    for start in range(0, len(rows), 500):  # keeps the upsert's key lookup a modest query
        revenue_bulk_upsert(actor=ctx.actor, rows=rows[start : start + 500])
    ctx.created["revenue records"] += len(rows)
