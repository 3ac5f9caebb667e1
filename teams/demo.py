"""The teams app's part of the demo: the people, their two teams and the AMs' quotas.

The people and teams are data (demo_data/people.toml); the quotas are generated here.
Registered in settings.KEYPLAN_DEMO_PARTS; see core/demo.py for how parts run. Rows are keyed
on usernames, team names and (user, fiscal year): what exists is kept, only what is missing
is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from core.demo import DemoConflictError, DemoContext, load_demo_data

from .models import Quota, Team, User
from .services import quota_create, team_create, user_create

LOGIN_USERNAMES = ("am", "manager", "ops")  # the logins `make run` shows, one per role


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


_PEOPLE = load_demo_data(__package__, "people.toml")
EMAIL_DOMAIN: str = _PEOPLE["email_domain"]
OPS_USER = DemoUser(**_PEOPLE["ops"])
USERS: tuple[DemoUser, ...] = tuple(DemoUser(**row) for row in _PEOPLE["users"])
TEAMS: tuple[DemoTeam, ...] = tuple(DemoTeam(**row) for row in _PEOPLE["teams"])


def demo_logins_available() -> bool:
    """Whether the three logins `make run` prints exist with the demo roles."""
    found = dict(User.objects.filter(username__in=LOGIN_USERNAMES).values_list("username", "role"))
    return found == {"am": User.Role.AM, "manager": User.Role.MANAGER, "ops": User.Role.OPS}


# --- people -------------------------------------------------------------------------


def seed_people(ctx: DemoContext) -> None:
    """The ops user (who becomes `ctx.actor`), the managers, the teams and the AMs."""
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


# --- quotas -------------------------------------------------------------------------


def seed_quotas(ctx: DemoContext) -> None:
    """Every AM's quota for the current fiscal year and the one before, split by quarter."""
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
