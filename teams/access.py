"""Who may see and change people, teams and quotas: the person half of domain.md's
visibility and write-permission rules. The account half, and the one entry point the apps
above use, is accounts.access (which re-exports what it needs from here).

Reads:
- ops (and superusers) see every person, team and quota;
- a manager sees the teams they manage, their members and what those members own;
- an AM sees themselves, their team, its manager, and what they own.

Writes:
- ops create and edit users and teams; nobody else does (an AM never changes their own role
  or team);
- quotas: ops, or the manager of the AM's team.
"""

from django.db.models import Q, QuerySet

from core.exceptions import PermissionDeniedError

from .models import Team, User

NOTHING = Q(pk__in=[])


def _prefix(path: str) -> str:
    return f"{path}__" if path else ""


def is_active_user(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def manages(actor: User, person: User | None) -> bool:
    """Whether `actor` is the manager of `person`'s team."""
    if person is None or not actor.is_manager or not person.team_id:
        return False
    return Team.objects.filter(pk=person.team_id, manager=actor).exists()


# --- reads ---------------------------------------------------------------------------


def owner_visibility_q(user, path: str = "user") -> Q:
    """Rows owned by a person (quotas, per-AM figures), `path` leading to that person:
    ops all; managers their own and their teams' members'; others their own."""
    if not is_active_user(user):
        return NOTHING
    if user.is_ops:
        return Q()
    p = _prefix(path)
    rule = Q(**{f"{p}pk": user.pk})
    if user.is_manager:
        rule |= Q(**{f"{p}team__manager": user})
    return rule


def user_visibility_q(user) -> Q:
    """Users: ops see all; others themselves, their team and its manager; managers their teams."""
    if not is_active_user(user):
        return NOTHING
    if user.is_ops:
        return Q()
    rule = Q(pk=user.pk)
    if user.team_id:
        team_manager = Team.objects.filter(pk=user.team_id).values("manager_id")
        rule |= Q(team_id=user.team_id) | Q(pk__in=team_manager)
    if user.is_manager:
        rule |= Q(team__manager=user)
    return rule


def team_visibility_q(user) -> Q:
    if not is_active_user(user):
        return NOTHING
    if user.is_ops:
        return Q()
    rule = Q(pk=user.team_id) if user.team_id else NOTHING
    if user.is_manager:
        rule |= Q(manager=user)
    return rule


def visible_users(user) -> QuerySet[User]:
    return User.objects.filter(user_visibility_q(user))


def managed_team_ids(user) -> QuerySet:
    return Team.objects.filter(manager=user).values("pk")


# --- writes --------------------------------------------------------------------------

PEOPLE_RULE = "Only sales operations create and edit people and teams."
PEOPLE_PAGES_RULE = "The people pages are for managers (their own team) and sales operations."
QUOTA_RULE = "Only sales operations or the AM's manager set an AM's quota."


def can_manage_people(actor: User) -> bool:
    return is_active_user(actor) and actor.is_ops


def check_manage_people(actor: User) -> None:
    if not can_manage_people(actor):
        raise PermissionDeniedError(PEOPLE_RULE)


def can_view_people(actor: User) -> bool:
    """The people, teams and quotas pages: ops (everyone) and managers (their own teams)."""
    return is_active_user(actor) and (actor.is_ops or actor.is_manager)


def can_set_quota(actor: User, am: User) -> bool:
    if not is_active_user(actor):
        return False
    return actor.is_ops or manages(actor, am)


def check_set_quota(actor: User, am: User) -> None:
    if not can_set_quota(actor, am):
        raise PermissionDeniedError(QUOTA_RULE)


def assignable_owners(*, user: User) -> QuerySet[User]:
    """The AMs `user` may make the owner of an account: ops any active AM, a manager the
    AMs of the teams they manage, an AM only themselves."""
    ams = User.objects.filter(role=User.Role.AM, is_active=True)
    if not is_active_user(user):
        return ams.none()
    if user.is_ops:
        return ams
    if user.is_manager:
        return ams.filter(team__manager=user)
    return ams.filter(pk=user.pk)
