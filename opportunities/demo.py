"""The opportunities app's part of the demo: about 400 deals across the demo book.

Every stage; renewal deals tied to agreements (open ones on the agreements now `due`, won
ones on the agreements the accounts demo renewed); partners on most big wins; a few open
escalations (and some the manager decided); deals whose close date slipped two or more
times; and stale deals (no change in OPPORTUNITY_STALE_DAYS). Written through the services
with the demo's ops user, then the history is spread over the past months with bulk updates
of the timestamps (the services stamp "now").

Registered in settings.KEYPLAN_DEMO_PARTS after the accounts parts, whose accounts,
agreements and virtual teams it uses. Deterministic (ctx.rng_for("opportunities"), dates
relative to ctx.today) and idempotent: deals are keyed on (source "demo", external id
DEMO-<account external id>-<n>), partners on their external id. An account's deals are made
together, so an account with any demo deal is left as it is (a later day, when other
agreements are due, adds no renewal), and what exists is kept.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Agreement
from core.demo import DemoConflictError, DemoContext
from teams.models import User

from . import services
from .models import Opportunity, Partner, Stage, StageChange

SOURCE = "demo"
DEALS_PER_ACCOUNT = (5, 7)

PARTNERS = [
    ("Lagos Cloud Partners", "csp"),
    ("Sahel Systems Integration", "si"),
    ("Eko Digital Solutions", "si"),
    ("Niger Delta IT Services", "si"),
    ("Abuja Data Works", "isv"),
    ("Gulf of Guinea Cloud", "csp"),
    ("Kano Software House", "isv"),
    ("Ikoyi Consulting Group", "si"),
    ("West Africa Licensing Ltd", "csp"),
    ("Harmattan Analytics", "isv"),
    ("Lekki Security Partners", "other"),
    ("Oyo Managed Services", "si"),
]

DEALS = [
    "Azure migration",
    "Microsoft 365 E5 upgrade",
    "Dynamics 365 Sales rollout",
    "Security and compliance (E5 Security)",
    "Data platform modernisation",
    "Teams Phone rollout",
    "Copilot pilot",
    "SQL Server licensing true-up",
    "Power Platform centre of excellence",
    "Windows 11 refresh",
    "Defender for Cloud",
    "Analytics on Fabric",
    "Contact centre on Dynamics",
    "Disaster recovery on Azure",
    "GitHub Enterprise",
    "SAP on Azure",
]
COMPETITORS = ["AWS", "Google Cloud", "Oracle", "Salesforce", "Zoom", "ServiceNow", ""]
LOSS_REASONS = [
    "Budget moved to next fiscal year.",
    "Lost to the incumbent on price.",
    "The sponsor left; the project was shelved.",
    "Chose a local hosting provider for data residency.",
]
VALUES = [
    "Cuts infrastructure cost by about a third over three years and frees the team for new work.",
    "Gives branch staff one secure workspace; audit findings close before the regulator's visit.",
    "Shortens the sales cycle by putting customer history in front of every account officer.",
    "Replaces three point tools; the CIO's consolidation target for the year.",
    "Puts the board's analytics initiative on one governed platform.",
]
# Stages of the demo's new deals, weighted: every stage, most deals open.
STAGE_WEIGHTS = {
    "prospect": 14,
    "qualify": 18,
    "develop": 18,
    "propose": 14,
    "negotiate": 10,
    "closed_won": 15,
    "closed_lost": 11,
}
ESCALATION_NOTES = [
    "Customer asks for 12% off to sign this quarter; procurement has the paper ready.",
    "Need a solution specialist for the architecture review next week.",
    "Competitor offered free migration services; can we match with partner funding?",
    "Legal wants non-standard data residency terms; who decides?",
]
DECISIONS = [
    "Approved up to 8%; anything more goes to the region.",
    "Yes: Tunde joins the review; book him through the SSP calendar.",
    "Partner funding approved for the first workload only.",
]


def _partners(ctx: DemoContext) -> list[Partner]:
    existing = {p.external_id: p for p in Partner.objects.filter(external_id__startswith="DEMO-P-")}
    partners = []
    for index, (name, kind) in enumerate(PARTNERS, start=1):
        key = f"DEMO-P-{index:02d}"
        partner = existing.get(key)
        if partner is None:
            partner = services.partner_create(
                actor=ctx.actor, name=name, kind=kind, external_id=key
            )
            ctx.created["partners"] += 1
        partners.append(partner)
    return partners


def _owner_choices(accounts: list[Account]) -> dict[int, list[User]]:
    """Per account: who may own its deals (its owner, and AMs on its virtual team)."""
    choices: dict[int, list[User]] = {a.pk: [a.owner] for a in accounts}
    members = AccountTeamMember.objects.filter(
        account__in=accounts, user__role=User.Role.AM, user__is_active=True
    ).select_related("user")
    for member in members.order_by("account_id", "pk"):
        if member.user not in choices[member.account_id]:
            choices[member.account_id].append(member.user)
    return choices


def seed_opportunities(ctx: DemoContext) -> None:
    rng = ctx.rng_for("opportunities")
    today = ctx.today
    day = datetime.timedelta
    stages = {stage.slug: stage for stage in Stage.objects.all()}
    partners = _partners(ctx)
    accounts = [ctx.accounts[key] for key in sorted(ctx.accounts)]
    owners = _owner_choices(accounts)
    agreements = {
        a.pk: a
        for a in Agreement.objects.filter(account__in=accounts)
        .with_renewal_status()
        .order_by("account_id", "end_date", "pk")
    }
    renewed = set(
        Agreement.objects.filter(account__in=accounts, renews__isnull=False).values_list(
            "renews_id", flat=True
        )
    )
    seeded = set(
        Opportunity.objects.filter(source=SOURCE).values_list("account_id", flat=True).distinct()
    )
    slugs = [slug for slug, weight in STAGE_WEIGHTS.items() for _ in range(weight)]

    # Plan every deal first (the random draws never depend on what exists), then create
    # the missing ones.
    plans = []
    for account in accounts:
        for number in range(1, rng.randint(*DEALS_PER_ACCOUNT) + 1):
            slug = rng.choice(slugs)
            closed = stages[slug].is_closed
            plans.append(
                {
                    "account": account,
                    "kind": rng.choice(["new", "new", "expansion"]),
                    "stage": slug,
                    "agreement": None,
                    "close": today
                    + (day(-rng.randint(5, 330)) if closed else day(rng.randint(10, 420))),
                    "amount": max(round(float(account.ltp) * rng.uniform(0.02, 0.3), -3), 10_000),
                    "name": rng.choice(DEALS),
                    "key": f"DEMO-{account.external_id}-{number}",
                }
            )
        for agreement in (a for a in agreements.values() if a.account_id == account.pk):
            if agreement.renewal_status == Agreement.RenewalStatus.DUE:
                slug = rng.choice(["develop", "propose", "negotiate", "negotiate"])
                close = agreement.end_date - day(rng.randint(0, 20))
            elif agreement.pk in renewed:
                slug, close = "closed_won", min(agreement.end_date, today - day(1))
            else:
                continue
            plans.append(
                {
                    "account": account,
                    "kind": "renewal",
                    "stage": slug,
                    "agreement": agreement,
                    "close": max(close, today - day(360))
                    if slug == "closed_won"
                    else max(close, today + day(3)),
                    "amount": float(agreement.annual_value) * rng.uniform(1.0, 1.25),
                    "name": f"{agreement.kind} renewal {agreement.number}",
                    "key": f"DEMO-{account.external_id}-R-{agreement.number}",
                }
            )

    records = []
    for plan in plans:
        draws = {
            "owner": rng.choice(owners[plan["account"].pk]),
            "partners": rng.sample(partners, rng.randint(1, 2)),
            "big_partnered": rng.random() < 0.8,
            "small_partnered": rng.random() < 0.35,
            "competitor": rng.choice(COMPETITORS),
            "value": rng.choice(VALUES),
            "loss": rng.choice(LOSS_REASONS),
            "vehicle": rng.choice(["EA", "EA", "CSP", "MPSA", ""]),
        }
        if plan["account"].pk in seeded:
            continue
        stage = stages[plan["stage"]]
        amount = Decimal(round(plan["amount"], -3))
        big_win = stage.is_won and amount >= 100_000
        partnered = draws["big_partnered"] if big_win else draws["small_partnered"]
        agreement = plan["agreement"]
        records.append(
            {
                "source": SOURCE,
                "external_id": plan["key"],
                "account": plan["account"].pk,
                "name": plan["name"],
                "owner": draws["owner"].pk,
                "kind": plan["kind"],
                "stage": stage.pk,
                "amount": amount,
                "currency": "USD",
                "close_date": plan["close"],
                "partners": [p.pk for p in draws["partners"]] if partnered else [],
                "business_value": draws["value"]
                if plan["stage"] not in ("prospect", "qualify")
                else "",
                "loss_reason": draws["loss"] if plan["stage"] == "closed_lost" else "",
                "licensing_vehicle": agreement.kind if agreement else draws["vehicle"],
                "agreement": agreement.pk if agreement else None,
                "competitor": draws["competitor"],
                "_username": draws["owner"].username,
            }
        )
    if not records:
        return
    ids = _upsert(ctx, records)
    ctx.created["opportunities"] += len(ids)
    made = list(
        Opportunity.objects.filter(pk__in=ids)
        .select_related("stage", "owner__team")
        .order_by("external_id")
    )
    _history(ctx, rng, made)


def _upsert(ctx: DemoContext, records: list[dict]) -> list[int]:
    """Write demo deals through the sync service (opportunities.services.SyncBatch and
    opportunity_bulk_upsert): the same rules as every write, one statement for them all."""
    batch = services.SyncBatch(
        actor=ctx.actor,
        keys=[(r["source"], r["external_id"]) for r in records],
        account_ids={r["account"] for r in records if "account" in r},
        partner_ids={p for r in records for p in r.get("partners", ())},
        agreement_ids={r["agreement"] for r in records if r.get("agreement")},
        usernames={r["_username"] for r in records if "_username" in r},
    )
    rows = []
    for record in records:
        record = {k: v for k, v in record.items() if k != "_username"}
        row, _, errors = batch.merge(record)
        if errors:
            raise DemoConflictError(f"Demo deal {record['external_id']}: {errors}")
        rows.append(row)
    results = services.opportunity_bulk_upsert(actor=ctx.actor, batch=batch, rows=rows)
    return [result["id"] for result in results]


def _history(ctx: DemoContext, rng, made: list[Opportunity]) -> None:
    """Slips, escalations and a past for the deals just made."""
    now = timezone.now()
    day = datetime.timedelta
    open_deals = [o for o in made if not o.stage.is_closed]
    # Slipped: the close date pushed later two or three times; some pushed once. One sync
    # write per round, each recording the push (StageChange).
    pushes = {
        deal.pk: rng.choice([1, 2, 2, 3])
        for deal in rng.sample(open_deals, min(len(open_deals), 45))
    }
    close = {deal.pk: deal.close_date for deal in open_deals}
    for round_ in (1, 2, 3):
        records = []
        for deal in open_deals:
            if pushes.get(deal.pk, 0) >= round_:
                close[deal.pk] += day(rng.choice([14, 30, 45, 60]))
                records.append(
                    {
                        "source": SOURCE,
                        "external_id": deal.external_id,
                        "close_date": close[deal.pk],
                        # Named again: the sync batch checks a stored agreement only when the
                        # record names it (reported to the API's owner).
                        "agreement": deal.agreement_id,
                    }
                )
        if records:
            _upsert(ctx, records)
    # Escalations: a few still open, some decided by the manager.
    for index, deal in enumerate(rng.sample(open_deals, min(len(open_deals), 9))):
        escalation = services.escalation_raise(
            actor=deal.owner, opportunity=deal, note=ESCALATION_NOTES[index % len(ESCALATION_NOTES)]
        )
        ctx.created["escalations"] += 1
        manager = deal.owner.team.manager if deal.owner.team_id else None
        if index >= 5 and manager is not None:
            services.escalation_resolve(
                actor=manager, instance=escalation, decision=DECISIONS[index % len(DECISIONS)]
            )

    # A past: each deal opened weeks or months ago, its changes spread since, most touched
    # lately, some not for OPPORTUNITY_STALE_DAYS or more (stale). The services stamp now.
    ids = [o.pk for o in made]
    changes: dict[int, list[StageChange]] = {}
    for change in StageChange.objects.filter(opportunity_id__in=ids).order_by("pk"):
        changes.setdefault(change.opportunity_id, []).append(change)
    rows, history = [], []
    for deal in made:
        opened = now - day(days=rng.randint(60, 330))
        stale = not deal.stage.is_closed and rng.random() < 0.12
        last = now - (day(days=rng.randint(61, 120)) if stale else day(days=rng.randint(0, 40)))
        last = max(last, opened)
        steps = changes.get(deal.pk, [])
        for position, change in enumerate(steps):
            share = position / max(len(steps) - 1, 1)
            change.changed_at = opened + (last - opened) * share
            history.append(change)
        rows.append(Opportunity(pk=deal.pk, created_at=opened, updated_at=last))
    Opportunity.objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)
    StageChange.objects.bulk_update(history, ["changed_at"], batch_size=500)
