"""The teams app's part of the large book (core/book.py): ops, managers, their teams, the
AMs and their quotas. Registered in settings.KEYPLAN_BOOK_PARTS. Usernames start with
core.book.BOOK_PREFIX: `book.ops`, `book.manager.01`, `book.am.001`."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from core.book import BOOK_PREFIX, BookContext, ids_of, load_rows

from .models import Quota, Team, User

FIRST = [
    "Ada",
    "Bola",
    "Chidi",
    "Dayo",
    "Efe",
    "Funke",
    "Gbenga",
    "Halima",
    "Ife",
    "Jide",
    "Kemi",
    "Lola",
    "Musa",
    "Ngozi",
    "Obi",
    "Sade",
    "Tunde",
    "Uche",
    "Yemi",
    "Zainab",
]
LAST = [
    "Adeyemi",
    "Bello",
    "Okafor",
    "Nwosu",
    "Balogun",
    "Obi",
    "Musa",
    "Eze",
    "Ogunleye",
    "Okeke",
    "Bakare",
    "Afolabi",
    "Lawal",
    "Ibrahim",
    "Adewale",
    "Coker",
]
REGIONS = [
    "West",
    "East",
    "Island",
    "Mainland",
    "Ikeja",
    "Lekki",
    "Apapa",
    "Abuja",
    "Port Harcourt",
    "Kano",
    "Ibadan",
    "Enugu",
]
USER_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "title",
    "team",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
]


def _person(ctx: BookContext, rng, username: str, role: str, title: str, team_id, staff=False):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return (
        username,
        first,
        last,
        f"{username}@book.example",
        role,
        title,
        team_id,
        ctx.password_hash,
        True,
        staff,
        False,
        timezone.now(),
    )


def generate_people(ctx: BookContext) -> None:
    rng = ctx.rng_for("people")
    sizes = ctx.sizes
    people = [
        _person(ctx, rng, f"{BOOK_PREFIX}ops", User.Role.OPS, "Sales Operations", None, staff=True)
    ]
    people += [
        _person(
            ctx,
            rng,
            f"{BOOK_PREFIX}manager.{n:02d}",
            User.Role.MANAGER,
            "Corporate Sales Manager",
            None,
        )
        for n in range(1, sizes.teams + 1)
    ]
    ctx.created["users"] += load_rows(User, USER_FIELDS, people)
    ctx.ops_id = User.objects.get(username=f"{BOOK_PREFIX}ops").pk
    ctx.manager_ids = ids_of(User, username__startswith=f"{BOOK_PREFIX}manager.")

    teams = [
        (
            f"Book Corporate {REGIONS[n % len(REGIONS)]} {n + 1:02d}",
            f"Lagos Corporate {REGIONS[n % len(REGIONS)]}",
            manager,
        )
        for n, manager in enumerate(ctx.manager_ids)
    ]
    ctx.created["teams"] += load_rows(Team, ["name", "territory", "manager"], teams)
    team_ids = ids_of(Team, manager__in=ctx.manager_ids)

    ams = [
        _person(
            ctx,
            rng,
            f"{BOOK_PREFIX}am.{n:03d}",
            User.Role.AM,
            "Corporate Account Manager",
            team_ids[(n - 1) % len(team_ids)],
        )
        for n in range(1, sizes.ams + 1)
    ]
    ctx.created["users"] += load_rows(User, USER_FIELDS, ams)
    rows = User.objects.filter(username__startswith=f"{BOOK_PREFIX}am.").order_by("pk")
    for pk, team_id in rows.values_list("pk", "team_id"):
        ctx.am_ids.append(pk)
        ctx.team_of_am[pk] = team_id


def generate_quotas(ctx: BookContext) -> None:
    rng = ctx.rng_for("quotas")
    quotas = []
    for am in ctx.am_ids:
        amount = rng.randrange(2_000_000, 6_000_001, 50_000)
        for fiscal_year, total in ((ctx.fiscal_year - 1, amount * 0.9), (ctx.fiscal_year, amount)):
            total = Decimal(round(total, -4))
            quarter = (total / 4).quantize(Decimal("0.01"))
            quotas.append((am, fiscal_year, total, quarter, quarter, quarter, total - 3 * quarter))
    ctx.created["quotas"] += load_rows(
        Quota, ["user", "fiscal_year", "amount", "q1", "q2", "q3", "q4"], quotas
    )
