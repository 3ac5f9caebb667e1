"""The visibility rule of domain.md, written once and used by every page, endpoint,
export and dashboard.

- ops (and superusers) see everything;
- a manager sees everything owned by the AMs of the teams they manage, and their own;
- an AM sees the accounts they own and those where they sit on the account team.

Account-scoped models declare `visibility_account_path` (the lookup from the model to its
Account, "" for Account itself) and use `VisibleQuerySet`, so `Model.objects.visible_to(user)`
is the one way a user-facing query starts.
"""

from django.db import models
from django.db.models import Q

NOTHING = Q(pk__in=[])


def _prefix(path: str) -> str:
    return f"{path}__" if path else ""


def account_visibility_q(user, path: str = "") -> Q:
    """Q selecting the rows whose account (reached by `path`) `user` may see."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_ops:
        return Q()
    from accounts.models import AccountTeamMember

    p = _prefix(path)
    on_virtual_team = AccountTeamMember.objects.filter(user=user).values("account_id")
    rule = Q(**{f"{p}owner": user}) | Q(**{f"{p}pk__in": on_virtual_team})
    if user.is_manager:
        rule |= Q(**{f"{p}owner__team__manager": user})
    return rule


def owner_visibility_q(user, path: str = "user") -> Q:
    """Q for rows owned by a person (quotas, per-AM figures): self, team for managers."""
    if user is None or not user.is_authenticated or not user.is_active:
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
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_ops:
        return Q()
    from .models import Team

    rule = Q(pk=user.pk)
    if user.team_id:
        team_manager = Team.objects.filter(pk=user.team_id).values("manager_id")
        rule |= Q(team_id=user.team_id) | Q(pk__in=team_manager)
    if user.is_manager:
        rule |= Q(team__manager=user)
    return rule


def team_visibility_q(user) -> Q:
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_ops:
        return Q()
    rule = Q(pk=user.team_id) if user.team_id else NOTHING
    if user.is_manager:
        rule |= Q(manager=user)
    return rule


class VisibleQuerySet(models.QuerySet):
    """Base queryset for account-scoped models: `visible_to(user)` applies the rule."""

    def visible_to(self, user):
        path = self.model.visibility_account_path
        return self.filter(account_visibility_q(user, path))
