"""The opportunities app's part of the generated large book (`manage.py generate_book`,
core/book.py): about `opportunities_per_account` deals per account in every stage, their
first StageChange, close dates pushed two or three times on some (slipped), partners on
many, a few open escalations and some deals untouched for months (stale), all written in
bulk (core.book.load_rows), so the pipeline pages are measured on a large book.

Registered in settings.KEYPLAN_BOOK_PARTS after the accounts parts, whose account ids and
owners it uses. Only rows the services would accept are generated (the stage rules hold).
"""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

from django.apps import apps
from django.db.models import F
from django.db.models.functions import Mod
from django.utils import timezone

from core.book import BookContext, ids_of, load_rows

from .models import Escalation, Opportunity, Partner, Stage, StageChange

SOURCE = "book"
PARTNERS = 200
STAGES = {  # slug: weight
    "prospect": 14,
    "qualify": 18,
    "develop": 18,
    "propose": 14,
    "negotiate": 10,
    "closed_won": 15,
    "closed_lost": 11,
}
NAMES = [
    "Azure migration",
    "Microsoft 365 E5 upgrade",
    "Dynamics 365 rollout",
    "Security and compliance",
    "Data platform modernisation",
    "Teams Phone",
    "Copilot pilot",
    "SQL Server true-up",
    "Power Platform",
    "Windows 11 refresh",
]


def ensure_stages() -> dict[str, Stage]:
    """The default stages (a data migration, which generate_book's flush empties)."""
    if not Stage.objects.exists():
        importlib.import_module("opportunities.migrations.0002_default_stages").seed(apps, None)
    return {stage.slug: stage for stage in Stage.objects.all()}


def generate_opportunities(ctx: BookContext) -> None:
    rng = ctx.rng_for("opportunities")
    stages = ensure_stages()
    today = ctx.today
    day = datetime.timedelta
    slugs = [slug for slug, weight in STAGES.items() for _ in range(weight)]
    mean = ctx.sizes.opportunities_per_account

    ctx.created["partners"] += load_rows(
        Partner,
        ["name", "kind", "external_id"],
        (
            (f"Book partner {n:03d}", rng.choice(["si", "csp", "isv", "other"]), f"BP-{n:03d}")
            for n in range(PARTNERS)
        ),
    )
    partner_ids = ids_of(Partner, external_id__startswith="BP-")

    plans = []  # (account, owner, stage slug, close date, amount, external id, name)
    for index, account in enumerate(ctx.account_ids):
        count = max(0, round(rng.gauss(mean, mean / 3))) if mean else 0
        for n in range(count):
            slug = rng.choice(slugs)
            closed = stages[slug].is_closed
            close = today + (day(-rng.randint(1, 400)) if closed else day(rng.randint(1, 540)))
            amount = Decimal(rng.randrange(10_000, 2_000_001, 1_000))
            key = f"B{index:06d}-{n}"
            plans.append(
                (
                    account,
                    ctx.owner_of_account[account],
                    slug,
                    close,
                    amount,
                    key,
                    rng.choice(NAMES),
                )
            )

    def rows():
        for account, owner, slug, close, amount, key, name in plans:
            stage = stages[slug]
            needs_value = stage.is_won or (
                not stage.is_closed and stage.order >= stages["propose"].order
            )
            yield (
                account,
                f"{name} {key}",
                owner,
                rng.choice(["new", "new", "expansion", "renewal"]),
                stage.pk,
                amount,
                "USD",
                close,
                "Business value statement." if needs_value else "",
                "Lost on price." if stage.is_closed and not stage.is_won else "",
                SOURCE,
                key,
            )

    ctx.created["opportunities"] += load_rows(
        Opportunity,
        [
            "account",
            "name",
            "owner",
            "kind",
            "stage",
            "amount",
            "currency",
            "close_date",
            "business_value",
            "loss_reason",
            "source",
            "external_id",
        ],
        rows(),
    )
    ids = ids_of(Opportunity, source=SOURCE)
    now = timezone.now()

    def changes():
        for pk, (_, owner, slug, close, *_rest) in zip(ids, plans, strict=True):
            yield (pk, "stage", "", slug, owner, now)
            if not stages[slug].is_closed and rng.random() < 0.1:  # slipped
                before = close - day(rng.randint(30, 90))
                for _ in range(rng.choice([2, 2, 3])):
                    earlier = before - day(rng.randint(14, 60))
                    yield (pk, "close_date", earlier.isoformat(), before.isoformat(), owner, now)
                    before = earlier

    ctx.created["stage changes"] += load_rows(
        StageChange,
        ["opportunity", "field", "from_value", "to_value", "changed_by", "changed_at"],
        changes(),
    )

    through = Opportunity.partners.through

    def partnered():
        for pk in ids:
            if rng.random() < 0.4:
                for partner in rng.sample(partner_ids, rng.randint(1, 2)):
                    yield (pk, partner)

    load_rows(through, ["opportunity", "partner"], partnered())

    def escalations():
        for pk, (_, owner, slug, *_rest) in zip(ids, plans, strict=True):
            if not stages[slug].is_closed and rng.random() < 0.01:
                yield (pk, owner, "Need a decision on the discount.")

    ctx.created["escalations"] += load_rows(
        Escalation, ["opportunity", "raised_by", "note"], escalations()
    )
    # Stale: about one open deal in eight untouched for three months.
    Opportunity.objects.filter(source=SOURCE, stage__is_closed=False).annotate(
        bucket=Mod(F("id"), 8)
    ).filter(bucket=0).update(updated_at=now - day(days=90))
