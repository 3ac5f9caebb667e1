"""The accounts app's part of the large book (core/book.py): accounts (some downstream of an
HQ), their virtual teams, agreements (some renewed), deployments and the AR ledger.
Registered in settings.KEYPLAN_BOOK_PARTS."""

from __future__ import annotations

import datetime
from decimal import Decimal

from core.book import BookContext, ids_of, load_rows

from .catalogues import KINDS, ensure_entries, entry_id
from .models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord

WORDS = [
    "Atlantic",
    "Lagoon",
    "Marina",
    "Savannah",
    "Bluepeak",
    "Eko",
    "Kora",
    "Harrowgate",
    "Rhine",
    "Delta",
    "Bonny",
    "Lekki",
    "Ikeja",
    "Agbara",
    "Sahel",
    "Niger",
    "Benue",
    "Ogun",
    "Oduduwa",
    "Zenith",
    "Crest",
    "Gidi",
    "Victoria",
    "Apapa",
    "Badagry",
    "Epe",
    "Ota",
]
INDUSTRIES = {
    "Banking": ["Bank plc", "Capital Ltd", "Microfinance Bank"],
    "Insurance": ["Assurance plc", "Insurance Ltd"],
    "Telecoms": ["Telecom Ltd", "Networks Ltd", "Data Centres Ltd"],
    "Oil and Gas": ["Petroleum Ltd", "Energy plc", "Oilfield Services Ltd"],
    "Manufacturing": ["Industries Ltd", "Steel Mills Ltd", "Cement plc"],
    "Logistics": ["Ports Ltd", "Logistics Ltd"],
    "FMCG": ["Consumer Brands plc", "Foods Ltd"],
    "Public Sector": ["State Ministry", "Agency"],
    "Higher Education": ["University", "Polytechnic"],
}
SECTORS = {"Public Sector": "Public", "Higher Education": "Academic"}
PRODUCTS = [
    "Microsoft 365 E3",
    "Microsoft 365 E5",
    "Microsoft 365 F3",
    "Dynamics 365 Sales",
    "Dynamics 365 Finance",
    "Azure Virtual Desktop",
    "SQL Server Enterprise",
    "Windows Server Datacenter",
    "Power BI Pro",
    "Enterprise Mobility + Security E3",
    "Microsoft Defender for Endpoint",
    "Visual Studio Enterprise",
]
SOURCES = ["licensing", "azure", "services"]
ROLES = ["ats", "ssp", "se", "tam", "downstream_am", "industry", "services"]


def _months(ctx: BookContext) -> list[datetime.date]:
    month = datetime.date(ctx.today.year, ctx.today.month, 1)
    months = []
    for _ in range(ctx.sizes.months):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months[::-1]


def _territory(owner: int) -> str:
    return f"Lagos Corporate {WORDS[owner % len(WORDS)]}"


def generate_catalogues(ctx: BookContext) -> None:
    """The catalogue values the book's accounts and deployments name (existing ones kept),
    as name -> id maps in ctx.extra for the parts below: no query per row."""
    values = {
        "sectors": ["Commercial", *SECTORS.values()],
        "industries": list(INDUSTRIES),
        "territories": [_territory(n) for n in range(len(WORDS))],
        "products": PRODUCTS,
    }
    ctx.extra["catalogues"] = {
        kind: ensure_entries(KINDS[kind].model, names) for kind, names in values.items()
    }


def _catalogue_ids(ctx: BookContext, kind: str) -> dict[str, int]:
    if "catalogues" not in ctx.extra:  # a run of this part alone
        generate_catalogues(ctx)
    return ctx.extra["catalogues"][kind]


def generate_accounts(ctx: BookContext) -> None:
    rng = ctx.rng_for("accounts")
    sectors, industries_, territories = (
        _catalogue_ids(ctx, kind) for kind in ("sectors", "industries", "territories")
    )
    industries = list(INDUSTRIES)
    rows = []
    parents: list[int | None] = []
    for n in range(ctx.sizes.accounts):
        industry = rng.choice(industries)
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(INDUSTRIES[industry])}"
        segment = "mature" if rng.random() < 0.7 else "emerging"
        ltp = Decimal(rng.randrange(200_000, 8_000_001, 50_000))
        owner = ctx.am_ids[n % len(ctx.am_ids)]
        # About one in ten is downstream of an earlier account (its HQ).
        parents.append(rng.randrange(n) if n > 20 and rng.random() < 0.1 else None)
        rows.append(
            (
                f"{name} {n + 1:05d}" if rng.random() < 0.05 else name,
                f"BOOK-{n + 1:06d}",
                segment,
                ltp,
                entry_id(industries_, industry),
                entry_id(sectors, SECTORS.get(industry, "Commercial")),
                entry_id(territories, _territory(owner)),
                owner,
                rng.random() > 0.03,
                "",
            )
        )
    ctx.created["accounts"] += load_rows(
        Account,
        [
            "name",
            "external_id",
            "segment",
            "ltp",
            "industry",
            "sector",
            "territory",
            "owner",
            "is_active",
            "description",
        ],
        rows,
    )
    ctx.account_ids = ids_of(Account, external_id__startswith="BOOK-")
    for account_id, owner in zip(ctx.account_ids, (row[7] for row in rows), strict=True):
        ctx.owner_of_account[account_id] = owner
    with_parent = [
        Account(pk=ctx.account_ids[n], parent_id=ctx.account_ids[p])
        for n, p in enumerate(parents)
        if p is not None
    ]
    Account.objects.bulk_update(with_parent, ["parent"], batch_size=2_000)


def generate_account_teams(ctx: BookContext) -> None:
    rng = ctx.rng_for("account-teams")
    rows = []
    for account in ctx.account_ids:
        owner = ctx.owner_of_account[account]
        count = rng.choice((0, 1, 2, 2, 3, 4)) if ctx.sizes.team_members_per_account else 0
        seen = set()
        for _ in range(round(count * ctx.sizes.team_members_per_account / 2)):
            user = rng.choice(ctx.am_ids)
            role = rng.choice(ROLES)
            if user == owner or (user, role) in seen:
                continue
            seen.add((user, role))
            rows.append((account, user, "", role, ""))
    ctx.created["account team members"] += load_rows(
        AccountTeamMember, ["account", "user", "name", "role", "notes"], rows
    )


def generate_agreements(ctx: BookContext) -> None:
    rng = ctx.rng_for("agreements")
    today = ctx.today
    day = datetime.timedelta
    rows = []
    renews: list[tuple[str, str]] = []  # (successor number, predecessor number)
    for index, account in enumerate(ctx.account_ids):
        count = max(0, round(rng.gauss(ctx.sizes.agreements_per_account, 0.7)))
        for slot in range(count):
            kind = "EA" if rng.random() < 0.65 else rng.choice(["SA", "MPSA", "CSP"])
            end = today + day(rng.randint(-400, 900))
            start = end - day(365 * (1 if kind == "CSP" else 3)) + day(1)
            number = f"B{index:06d}-{slot}"
            value = Decimal(rng.randrange(50_000, 2_000_001, 1_000))
            rows.append((account, kind, number, start, end, value))
            # A term that ended, or ends soon, was often renewed by the next one.
            if slot and rows[-2][0] == account and rng.random() < 0.5:
                renews.append((number, rows[-2][2]))
    ctx.created["agreements"] += load_rows(
        Agreement, ["account", "kind", "number", "start_date", "end_date", "annual_value"], rows
    )
    ids = dict(Agreement.objects.filter(number__startswith="B").values_list("number", "pk"))
    Agreement.objects.bulk_update(
        [Agreement(pk=ids[new], renews_id=ids[old]) for new, old in renews],
        ["renews"],
        batch_size=2_000,
    )
    ctx.agreement_ids = sorted(ids.values())


def generate_deployments(ctx: BookContext) -> None:
    rng = ctx.rng_for("deployments")
    products = _catalogue_ids(ctx, "products")
    rows = []
    for account in ctx.account_ids:
        count = min(len(PRODUCTS), max(0, round(rng.gauss(ctx.sizes.deployments_per_account, 1))))
        for product in rng.sample(PRODUCTS, count):
            licensed = rng.randrange(25, 5_000)
            rows.append(
                (
                    account,
                    entry_id(products, product),
                    licensed,
                    int(licensed * rng.uniform(0.3, 0.98)),
                    rng.random() > 0.2,
                )
            )
    ctx.created["product deployments"] += load_rows(
        ProductDeployment,
        ["account", "product", "licensed_seats", "active_seats", "is_current_version"],
        rows,
    )


def generate_revenue(ctx: BookContext) -> None:
    """About `revenue_per_account` monthly records per account over `months` months, across
    a few sources (the ledger's unique key is (account, period, source))."""
    rng = ctx.rng_for("revenue")
    months = _months(ctx)
    slots = [(period, source) for period in months for source in SOURCES]
    wanted = min(ctx.sizes.revenue_per_account, len(slots))

    def rows():
        for account in ctx.account_ids:
            base = rng.uniform(5_000, 400_000)
            for period, source in sorted(rng.sample(slots, wanted)):
                yield (account, period, Decimal(f"{base * rng.uniform(0.6, 1.4):.2f}"), source)

    ctx.created["revenue records"] += load_rows(
        RevenueRecord, ["account", "period", "amount", "source"], rows()
    )
