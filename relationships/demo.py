"""The relationships app's part of the demo: 8-25 stakeholders per demo account, from the
front line to the CXO and the CXO's assistant, with realistic titles and reports_to trees;
interactions over the past year (about half with business value discussed); RM survey
recipients on most accounts and two fiscal years of scores; and some accounts with clear
coverage gaps (nobody strong at CXO or executive level).

Registered in settings.KEYPLAN_DEMO_PARTS after the accounts parts (it uses their accounts,
owners and virtual teams). Deterministic (ctx.rng_for("relationships"), dates relative to
ctx.today) and idempotent: an account that has any stakeholder is left as it is. Rows are
written with bulk_create, layer by layer of the org chart (a manager exists before their
reports), then `last_interaction_at` is derived once by the interaction service's refresh.
"""

from __future__ import annotations

import datetime

from accounts.models import AccountTeamMember
from core.demo import DemoContext

from .models import BuyingRole, Interaction, Level, Stakeholder, SurveyResponse
from .services import refresh_last_interaction

PEOPLE_PER_ACCOUNT = (8, 25)
INTERACTIONS_PER_ACCOUNT = (6, 18)
# One in this many accounts has a clear gap at the top (nobody strong at CXO/executive).
GAP_EVERY = 4

# The org chart every demo account draws from: (title, level, index of the manager, role).
# Managers come before their reports, and the first eight slots span every level, so a
# small account (the first n slots) still runs from the front line to the CXO.
SLOTS: list[tuple[str, str, int | None, str]] = [
    ("Group Managing Director", Level.CXO, None, BuyingRole.DECISION_MAKER),  # 0
    ("Group CIO", Level.CXO, 0, BuyingRole.DECISION_MAKER),  # 1
    ("Executive Assistant to the MD", Level.ASSISTANT, 0, BuyingRole.INFLUENCER),  # 2
    ("Executive Director, Retail Banking", Level.EXECUTIVE, 0, BuyingRole.INFLUENCER),  # 3
    ("Head of Digital Banking", Level.LOB_DIRECTOR, 3, BuyingRole.CHAMPION),  # 4
    ("Head of IT Infrastructure", Level.IT_DECISION_MAKER, 1, BuyingRole.EVALUATOR),  # 5
    ("Cloud Platform Engineer", Level.IT_PRO, 5, BuyingRole.USER),  # 6
    ("Branch Operations Manager", Level.FRONT_LINE, 4, BuyingRole.USER),  # 7
    ("Group CFO", Level.CXO, 0, BuyingRole.DECISION_MAKER),  # 8
    ("Chief Risk Officer", Level.EXECUTIVE, 0, BuyingRole.BLOCKER),  # 9
    ("Head of Enterprise Architecture", Level.IT_DECISION_MAKER, 1, BuyingRole.INFLUENCER),  # 10
    ("Head of Payments", Level.LOB_DIRECTOR, 3, BuyingRole.INFLUENCER),  # 11
    ("Database Administrator", Level.IT_PRO, 5, BuyingRole.USER),  # 12
    ("Relationship Officer, Corporate", Level.FRONT_LINE, 11, BuyingRole.USER),  # 13
    ("Executive Director, Corporate Banking", Level.EXECUTIVE, 0, BuyingRole.INFLUENCER),  # 14
    ("Director of Corporate Banking", Level.LOB_DIRECTOR, 14, BuyingRole.DECISION_MAKER),  # 15
    ("Head of Information Security", Level.IT_DECISION_MAKER, 1, BuyingRole.BLOCKER),  # 16
    ("Security Analyst", Level.IT_PRO, 16, BuyingRole.USER),  # 17
    ("Service Desk Lead", Level.FRONT_LINE, 5, BuyingRole.USER),  # 18
    ("Personal Assistant to the CIO", Level.ASSISTANT, 1, BuyingRole.INFLUENCER),  # 19
    ("Head of Procurement", Level.LOB_DIRECTOR, 8, BuyingRole.EVALUATOR),  # 20
    ("Systems Administrator", Level.IT_PRO, 10, BuyingRole.USER),  # 21
    ("Branch Manager, Victoria Island", Level.FRONT_LINE, 4, BuyingRole.USER),  # 22
    ("Head of Data and Analytics", Level.IT_DECISION_MAKER, 1, BuyingRole.CHAMPION),  # 23
    ("Customer Experience Lead", Level.FRONT_LINE, 4, BuyingRole.USER),  # 24
]

FIRST = [
    "Adaeze",
    "Babajide",
    "Chiamaka",
    "Damilola",
    "Emeka",
    "Funmilayo",
    "Gbenga",
    "Halima",
    "Ifeoma",
    "Jide",
    "Kemi",
    "Lanre",
    "Maryam",
    "Nnamdi",
    "Olumide",
    "Folake",
    "Tunde",
    "Uche",
    "Yetunde",
    "Zainab",
    "Segun",
    "Ngozi",
    "Ibrahim",
    "Amaka",
    "Musa",
    "Bisi",
]
LAST = [
    "Adeyemi",
    "Okafor",
    "Balogun",
    "Eze",
    "Ogunleye",
    "Abubakar",
    "Nwosu",
    "Adebayo",
    "Okonkwo",
    "Bello",
    "Ibekwe",
    "Lawal",
    "Obi",
    "Salami",
    "Danjuma",
    "Ogbu",
    "Afolabi",
]
SUMMARIES = [
    "Quarterly business review: adoption, support cases and the next quarter's priorities.",
    "Briefing on the cloud migration roadmap and the data residency questions.",
    "Call on the renewal timeline and the budget cycle.",
    "Executive briefing: the digital banking strategy and where we fit.",
    "Workshop on security posture after the regulator's findings.",
    "Lunch: introductions to the new head of department.",
    "Follow-up email with the architecture proposal and reference customers.",
    "Event: the customer's innovation day; met the branch network leads.",
]


def _name(rng) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _email(name: str, account) -> str:
    first, last = name.lower().split(" ", 1)
    domain = "".join(ch for ch in account.name.lower() if ch.isalnum())[:20] or "example"
    return f"{first}.{last}@{domain}.example"


def seed_relationships(ctx: DemoContext) -> None:
    rng = ctx.rng_for("relationships")
    today = ctx.today
    accounts = [ctx.accounts[key] for key in sorted(ctx.accounts)]
    seeded = set(
        Stakeholder.objects.filter(account__in=accounts).values_list("account_id", flat=True)
    )
    team: dict[int, list[int]] = {}
    for account_id, user_id in AccountTeamMember.objects.filter(
        account__in=accounts, user__is_active=True
    ).values_list("account_id", "user_id"):
        team.setdefault(account_id, []).append(user_id)

    # Plan every account first (the draws never depend on what exists), then write.
    plans = []
    for index, account in enumerate(accounts):
        size = rng.randint(*PEOPLE_PER_ACCOUNT)
        gap = index % GAP_EVERY == GAP_EVERY - 1
        recipients = rng.random() < 0.85
        people = []
        for slot, (title, level, manager, role) in enumerate(SLOTS[:size]):
            top = level in (Level.CXO, Level.EXECUTIVE)
            strength = rng.choice([1, 2] if gap and top else [1, 2, 3, 3, 4, 4, 5])
            owners = [account.owner_id, account.owner_id, *team.get(account.pk, [])]
            people.append(
                {
                    "slot": slot,
                    "manager": manager,
                    "name": _name(rng),
                    "title": title,
                    "level": level,
                    "buying_role": role,
                    "influence": 5 if level == Level.CXO else rng.randint(1, 4),
                    "attitude": -2 if role == BuyingRole.BLOCKER else rng.choice([-1, 0, 1, 1, 2]),
                    "strength": strength,
                    "owner": rng.choice(owners) if strength >= 2 else None,
                    "recipient": recipients and slot in (0, 1, 3) and rng.random() < 0.8,
                }
            )
        interactions = []
        for _ in range(rng.randint(*INTERACTIONS_PER_ACCOUNT)):
            interactions.append(
                {
                    "date": today - datetime.timedelta(days=rng.randint(0, 365)),
                    "kind": rng.choice(Interaction.Kind.values),
                    "people": sorted(rng.sample(range(size), rng.randint(1, min(3, size)))),
                    "summary": rng.choice(SUMMARIES),
                    "value": rng.random() < 0.55,
                }
            )
        scores = [[rng.randint(2, 5) for _ in range(2)] for _ in range(size)]
        plans.append((account, people, interactions, scores))

    plans = [plan for plan in plans if plan[0].pk not in seeded]
    if not plans:
        return
    made: dict[tuple[int, int], Stakeholder] = {}
    # Layer by layer: a manager has its id before its reports are written.
    depth = {}
    for slot, (_, _, manager, _) in enumerate(SLOTS):
        depth[slot] = 0 if manager is None else depth[manager] + 1
    for layer in sorted(set(depth.values())):
        rows, keys = [], []
        for account, people, _, _ in plans:
            for p in people:
                if depth[p["slot"]] != layer:
                    continue
                manager = made.get((account.pk, p["manager"])) if p["manager"] is not None else None
                keys.append((account.pk, p["slot"]))
                rows.append(
                    Stakeholder(
                        account=account,
                        name=p["name"],
                        title=p["title"],
                        email=_email(p["name"], account),
                        level=p["level"],
                        reports_to=manager,
                        buying_role=p["buying_role"],
                        influence=p["influence"],
                        attitude=p["attitude"],
                        strength=p["strength"],
                        internal_owner_id=p["owner"],
                        cpe_survey_recipient=p["recipient"],
                    )
                )
        # bulk_create keeps the order of its rows (and sets their ids on PostgreSQL and
        # SQLite alike).
        made.update(zip(keys, Stakeholder.objects.bulk_create(rows), strict=True))
    ctx.created["stakeholders"] += len(made)

    rows, links = [], []
    for account, _, interactions, _ in plans:
        for item in interactions:
            rows.append(
                Interaction(
                    account=account,
                    date=item["date"],
                    kind=item["kind"],
                    summary=item["summary"],
                    business_value_discussed=item["value"],
                    logged_by_id=account.owner_id,
                )
            )
    created = Interaction.objects.bulk_create(rows)
    through = Interaction.stakeholders.through
    position = 0
    for account, _, interactions, _ in plans:
        for item in interactions:
            interaction = created[position]
            position += 1
            for slot in item["people"]:
                links.append(
                    through(
                        interaction_id=interaction.pk, stakeholder_id=made[(account.pk, slot)].pk
                    )
                )
    through.objects.bulk_create(links)
    ctx.created["interactions"] += len(created)
    refresh_last_interaction(person.pk for person in made.values())

    answers = []
    for account, people, _, scores in plans:
        for p in people:
            if not p["recipient"]:
                continue
            for back, score in zip((1, 0), scores[p["slot"]], strict=True):
                answers.append(
                    SurveyResponse(
                        account=account,
                        stakeholder=made[(account.pk, p["slot"])],
                        fiscal_year=ctx.fiscal_year - back,
                        score=score,
                    )
                )
    SurveyResponse.objects.bulk_create(answers)
    ctx.created["survey answers"] += len(answers)
