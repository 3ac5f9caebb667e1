"""The accounts app's part of the demo: about sixty customer accounts in Lagos with their
virtual teams, licensing agreements, product deployments and three fiscal years of monthly
revenue.

The fixed tables are data (demo_data/accounts.toml, specialists.toml, products.toml); the
generation (who joins which virtual team, agreement terms and values, seat counts, revenue)
draws from each section's own random generator, with dates relative to `ctx.today`.
Registered in settings.KEYPLAN_DEMO_PARTS after teams.demo.seed_people, whose users own the
accounts; see core/demo.py for how parts run. Rows are keyed on account external ids,
agreement numbers, (account, product) and (account, period, source): what exists is kept,
only what is missing is created.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from core.demo import DemoContext, load_demo_data
from core.fiscal import fiscal_year_bounds
from teams.demo import EMAIL_DOMAIN

from .catalogues import KINDS, normalise
from .models import (
    Account,
    AccountTeamMember,
    Agreement,
    CatalogueEntry,
    ProductDeployment,
    RevenueRecord,
)
from .services import (
    RevenueRow,
    account_create,
    agreement_create,
    catalogue_create,
    deployment_create,
    revenue_bulk_upsert,
    team_member_create,
)

# The generation rules below single out these values of the data's `sector` column.
COMMERCIAL = "Commercial"
ACADEMIC = "Academic"
MATURE = Account.Segment.MATURE
EMERGING = Account.Segment.EMERGING


@dataclass(frozen=True)
class DemoAccount:
    name: str
    industry: str
    sector: str
    segment: str
    ltp: int
    owner: str  # username
    parent: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Product:
    name: str
    per_employee: float  # licensed seats per employee; 0 for core-licensed servers
    cores: tuple[int, int] = (0, 0)  # licensed cores for server products
    outdated_rate: float = 0.1  # how often the customer is not on the current version


def _load_accounts() -> tuple[DemoAccount, ...]:
    data = load_demo_data(__package__, "accounts.toml")
    columns = data["columns"]
    parents, descriptions = data["parents"], data["descriptions"]
    accounts = []
    for row in data["rows"]:
        values = dict(zip(columns, row, strict=True))
        name = values["name"]
        accounts.append(
            DemoAccount(**values, parent=parents.get(name), description=descriptions.get(name, ""))
        )
    return tuple(accounts)


def _product(row: dict) -> Product:
    return Product(
        name=row["name"],
        per_employee=row["per_employee"],
        cores=tuple(row.get("cores", (0, 0))),
        outdated_rate=row.get("outdated_rate", 0.1),
    )


ACCOUNTS = _load_accounts()

_VIRTUAL_TEAMS = load_demo_data(__package__, "specialists.toml")
# Colleagues on the virtual teams who have no Keyplan login: role -> [(name, speciality)].
SPECIALISTS: dict[str, list[tuple[str, str]]] = {
    role: [tuple(person) for person in people]
    for role, people in _VIRTUAL_TEAMS["specialists"].items()
}
PARTNERS: list[tuple[str, str, str]] = [tuple(row) for row in _VIRTUAL_TEAMS["partners"]]
INDUSTRY_LEAD: dict[str, str] = _VIRTUAL_TEAMS["industry_leads"]

_PRODUCTS = load_demo_data(__package__, "products.toml")
SUITES: tuple[Product, ...] = tuple(_product(row) for row in _PRODUCTS["suites"])
PRODUCTS: tuple[Product, ...] = tuple(_product(row) for row in _PRODUCTS["products"])
SEASONALITY: tuple[float, ...] = tuple(_PRODUCTS["seasonality"])
REVENUE_SOURCE: str = _PRODUCTS["revenue_source"]
AGREEMENT_MIX: dict[str, int] = _PRODUCTS["agreement_mix"]


def external_id(index: int) -> str:
    return f"CRM-{10001 + index}"


def _account_specs(ctx: DemoContext) -> Iterator[tuple[DemoAccount, Account]]:
    for index, spec in enumerate(ACCOUNTS):
        yield spec, ctx.accounts[external_id(index)]


# --- catalogues ---------------------------------------------------------------------


def catalogue_values() -> dict[str, list[str]]:
    """The demo's sectors, industries and products, in the order the data first names them
    (territories come from the teams, see seed_catalogues)."""
    return {
        "sectors": list(dict.fromkeys(spec.sector for spec in ACCOUNTS)),
        "industries": list(dict.fromkeys(spec.industry for spec in ACCOUNTS)),
        "products": [product.name for product in (*SUITES, *PRODUCTS)],
    }


def seed_catalogues(ctx: DemoContext) -> None:
    """The catalogues the accounts and deployments pick from: the data's sectors, industries
    and products, and the demo teams' territories. Existing values (any case) are kept; a
    fresh database has them already (the catalogues' data migration), so they are not
    counted among what the demo created."""
    values = catalogue_values()
    values["territories"] = [team.territory for team in ctx.teams.values()]
    for slug, names in values.items():
        model = KINDS[slug].model
        existing = {name.lower() for name in model.objects.values_list("name", flat=True)}
        for order, name in enumerate(names):
            if normalise(name).lower() in existing:
                continue
            catalogue_create(actor=ctx.actor, model=model, name=name, order=order)
            existing.add(normalise(name).lower())


def _entries(model: type[CatalogueEntry]) -> dict[str, CatalogueEntry]:
    return {entry.name.lower(): entry for entry in model.objects.all()}


def _entry(entries: dict[str, CatalogueEntry], name: str) -> CatalogueEntry | None:
    return entries.get(normalise(name).lower()) if name else None


# --- accounts -----------------------------------------------------------------------


def seed_accounts(ctx: DemoContext) -> None:
    """The accounts, owned by the demo AMs, in their owner's team's territory."""
    ids = [external_id(i) for i in range(len(ACCOUNTS))]
    existing = {a.external_id: a for a in Account.objects.filter(external_id__in=ids)}
    by_name: dict[str, Account] = {}
    territory = {team.pk: team.territory for team in ctx.teams.values()}
    sectors, industries, territories = (
        _entries(KINDS[kind].model) for kind in ("sectors", "industries", "territories")
    )
    for index, spec in enumerate(ACCOUNTS):
        ext = ids[index]
        account = existing.get(ext)
        if account is None:
            owner = ctx.users[spec.owner]
            account = account_create(
                actor=ctx.actor,
                name=spec.name,
                external_id=ext,
                parent=by_name[spec.parent] if spec.parent else None,
                segment=spec.segment,
                ltp=Decimal(spec.ltp),
                industry=_entry(industries, spec.industry),
                sector=_entry(sectors, spec.sector),
                territory=_entry(territories, territory.get(owner.team_id, "")),
                owner=owner,
                description=spec.description,
            )
            ctx.created["accounts"] += 1
        by_name[spec.name] = account
        ctx.accounts[ext] = account


# --- virtual teams ------------------------------------------------------------------


def seed_account_teams(ctx: DemoContext) -> None:
    """Each account's virtual team: the AMs of its HQ or downstream accounts, specialists,
    partners."""
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
            if spec.segment == MATURE and rng.random() < 0.6:
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
    if spec.segment == EMERGING:
        return rng.choices(("SA", "MPSA", "CSP"), weights=(4, 3, 3))[0]
    if spec.sector == ACADEMIC:
        return rng.choice(("SA", "SA", "EA"))
    return "EA" if rng.random() < 0.8 else "SA"


def seed_agreements(ctx: DemoContext) -> None:
    """One primary agreement per account, ending in the renewal state AGREEMENT_MIX deals
    it (with its renewal when renewed), and some Azure CSP agreements beside them."""
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
        if spec.segment == MATURE and spec.sector == COMMERCIAL and rng.random() < 0.35:
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


def seed_deployments(ctx: DemoContext) -> None:
    """A suite and one to four products per account, seats sized from its LTP."""
    rng = ctx.rng_for("deployments")
    existing = set(
        ProductDeployment.objects.filter(account__in=ctx.accounts.values()).values_list(
            "account_id", "product__name"
        )
    )
    catalogue = _entries(KINDS["products"].model)
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
                product=_entry(catalogue, product.name),
                licensed_seats=licensed,
                active_seats=active,
                is_current_version=current,
            )
            ctx.created["product deployments"] += 1


# --- revenue ------------------------------------------------------------------------


def _months(first: datetime.date, last: datetime.date) -> Iterator[datetime.date]:
    month = first
    while month <= last:
        yield month
        month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def seed_revenue(ctx: DemoContext) -> None:
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
