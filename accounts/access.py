"""Who may see and change what: domain.md's visibility and write-permission rules, written
once. Every selector starts from the read rule; every service calls the write rule before it
writes, so pages, the API, the admin and imports agree. Apps above accounts import this
module only (it re-exports the person rules of teams.access).

Reads (visibility). The same rule on every page, endpoint, export and dashboard; others'
objects answer 404:
- ops (and superusers) see everything;
- a manager sees everything owned by the AMs of the teams they manage;
- an AM sees the accounts they own and those where they sit on the account team.
It is expressed three ways:
- account paths: a model on an account declares `visibility_account_path` (the lookup from
  the model to its Account: "" for Account, "account", "plan__account", ...) and uses
  `VisibleQuerySet`, so `Model.objects.visible_to(user)` is how a user-facing query starts;
- owner paths: rows owned by a person (quotas, per-AM figures): `owner_visibility_q`;
- scope/key rows (the metrics snapshots: scope `account`/`am`/`team`/`org` and a key):
  `scope_key_visibility_q`.

Writes (write permission):
- ops change anything; a manager changes anything their team owns; the owner AM changes
  their accounts and everything on them;
- an AM who only sits on the virtual team changes only the rows they own there: a model
  says who owns a row with `owner_field` ("owner", "internal_owner", "logged_by"); rows
  without one (agreements, revenue, deployments, the team itself) are read-only to them;
- only ops and the owning team's manager reassign an account (a manager to an AM of a team
  they manage); an AM creates accounts with themselves as owner;
- adding a person to the virtual team is a change of the account;
- approving a plan or resolving an escalation: the owning team's manager, or ops.
A refused write raises PermissionDeniedError with a message naming the rule (API 403, pages a
403 page); pages ask the `can_*` functions so they never offer a refused control.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from core.exceptions import PermissionDeniedError
from teams.access import (
    NOTHING,
    assignable_owners,
    can_manage_people,
    can_set_quota,
    check_manage_people,
    check_set_quota,
    is_active_user,
    managed_team_ids,
    manages,
    owner_visibility_q,
    team_visibility_q,
    user_visibility_q,
    visible_users,
)
from teams.models import Quota, Team, User

if TYPE_CHECKING:
    from .models import Account

__all__ = [  # the person rules of teams.access are re-exported for the apps above
    "ACCOUNT_RULE",
    "NOTHING",
    "APPROVE_RULE",
    "MEMBER_RULE",
    "REASSIGN_RULE",
    "VisibleQuerySet",
    "account_of",
    "account_visibility_q",
    "assignable_owners",
    "can_add_member",
    "can_approve",
    "can_change",
    "can_create_account",
    "can_manage_people",
    "can_reassign",
    "can_see_account",
    "changeable_account_ids",
    "can_set_quota",
    "change_q",
    "check_add_member",
    "check_approve",
    "check_change",
    "check_create_account",
    "check_manage_people",
    "check_reassign",
    "check_set_quota",
    "is_active_user",
    "managed_team_ids",
    "manages",
    "member_candidates",
    "owner_visibility_q",
    "scope_key_visibility_q",
    "team_visibility_q",
    "user_visibility_q",
    "visible_account_ids",
    "visible_users",
]

ACCOUNT_RULE = (
    "Only the account's owner, their manager or sales operations can change this; an AM on "
    "the virtual team changes only what they own there."
)
REASSIGN_RULE = (
    "Only sales operations and the owning team's manager reassign an account, a manager to "
    "an account manager of a team they manage."
)
CREATE_RULE = (
    "An account manager creates accounts with themselves as owner; a manager for an account "
    "manager of a team they manage."
)
MEMBER_RULE = (
    "You can add people you work with (your own team); ask sales operations to add someone "
    "from another team."
)
APPROVE_RULE = "Only the owning team's manager or sales operations can do this."
CATALOGUE_RULE = "Only sales operations manage the sectors, industries, territories and products."


# --- reads ---------------------------------------------------------------------------


def visible_account_ids(user) -> QuerySet | None:
    """A subquery of the ids of the accounts `user` may see, or None for "all" (ops).

    A UNION of three index-driven reads (owned, on the virtual team, owned by a team the user
    manages), so the database never has to OR a join across every row it filters.
    """
    from .models import Account, AccountTeamMember

    if not is_active_user(user):
        return Account.objects.none().values("pk")
    if user.is_ops:
        return None
    parts = [
        Account.objects.filter(owner=user).order_by().values("pk"),
        AccountTeamMember.objects.filter(user=user).order_by().values("account_id"),
    ]
    if user.is_manager:
        parts.append(Account.objects.filter(owner__team__manager=user).order_by().values("pk"))
    return parts[0].union(*parts[1:])


def account_visibility_q(user, path: str = "") -> Q:
    """Q selecting the rows whose account (reached by `path`) `user` may see."""
    if not is_active_user(user):
        return NOTHING
    ids = visible_account_ids(user)
    if ids is None:
        return Q()
    return Q(**{f"{path}__in" if path else "pk__in": ids})


class VisibleQuerySet(models.QuerySet):
    """Base queryset for account-scoped models: `visible_to(user)` applies the rule."""

    def visible_to(self, user):
        return self.filter(account_visibility_q(user, self.model.visibility_account_path))


def can_see_account(user, account: Account) -> bool:
    from .models import Account

    return Account.objects.visible_to(user).filter(pk=account.pk).exists()


def scope_key_visibility_q(user, *, scope: str = "scope", key: str = "key") -> Q:
    """Rows keyed by (scope, key), as the metrics app stores them: `account` rows by account
    id, `am` rows by username, `team` rows by team id, the `org` row by "all".

    ops see all; a manager their teams' rows, their AMs' rows and their accounts' rows; an
    AM their own `am` row and the `account` rows of the accounts they see.
    """
    from .models import Account

    if not is_active_user(user):
        return NOTHING
    if user.is_ops:
        return Q()
    as_text = CharField()
    accounts = (
        Account.objects.visible_to(user).annotate(k=Cast("pk", output_field=as_text)).values("k")
    )
    rule = Q(**{scope: "account", f"{key}__in": accounts})
    rule |= Q(**{scope: "am", key: user.username})
    if user.is_manager:
        members = User.objects.filter(team__manager=user).values("username")
        teams = (
            Team.objects.filter(manager=user)
            .annotate(k=Cast("pk", output_field=as_text))
            .values("k")
        )
        rule |= Q(**{scope: "am", f"{key}__in": members})
        rule |= Q(**{scope: "team", f"{key}__in": teams})
    return rule


# --- writes --------------------------------------------------------------------------


def account_of(obj: models.Model) -> Account | None:
    """The account `obj` lives on (itself for an Account), by its visibility path."""
    path = getattr(type(obj), "visibility_account_path", None)
    if path is None:
        return None
    node = obj
    for step in filter(None, path.split("__")):
        node = getattr(node, step)
        if node is None:
            return None
    return node


def _row_owner_id(obj: models.Model) -> int | None:
    field = getattr(type(obj), "owner_field", None)
    if not field:
        return None
    return getattr(obj, type(obj)._meta.get_field(field).attname)


def can_change(actor, obj: models.Model) -> bool:
    """Whether `actor` may create, change or delete `obj` (as it is, or as it would be)."""
    if not is_active_user(actor):
        return False
    if actor.is_ops:
        return True
    if isinstance(obj, User | Team):
        return False
    if isinstance(obj, Quota):
        return can_set_quota(actor, obj.user)
    account = account_of(obj)
    if account is None:
        return False
    if account.owner_id == actor.pk or manages(actor, account.owner):
        return True
    row_owner = _row_owner_id(obj)
    if row_owner is None:
        return False
    if row_owner == actor.pk:
        return can_see_account(actor, account)
    if actor.is_manager:
        owner = User.objects.filter(pk=row_owner).first()
        return manages(actor, owner) and can_see_account(actor, account)
    return False


def change_q(actor, model: type[models.Model]) -> Q:
    """`can_change` in set form: a Q over the rows of `model` that `actor` may change, for a
    list that offers a control per row (one query, not one per row). Apply it to rows the
    actor sees (`visible_to`): like can_change, it lets a row's owner change it only on an
    account they see."""
    if not is_active_user(actor):
        return NOTHING
    if actor.is_ops:
        return Q()
    path = model.visibility_account_path
    prefix = f"{path}__" if path else ""
    rule = Q(**{f"{prefix}owner": actor}) | Q(**{f"{prefix}owner__team__manager": actor})
    field = getattr(model, "owner_field", None)
    if field:
        rule |= Q(**{field: actor})
        if actor.is_manager:
            rule |= Q(**{f"{field}__team__manager": actor})
    return rule


def check_change(actor, obj: models.Model, rule: str = ACCOUNT_RULE) -> None:
    if not can_change(actor, obj):
        raise PermissionDeniedError(rule)


def changeable_account_ids(actor, account_ids) -> set[int]:
    """Of `account_ids`, those whose account-level rows (agreements, revenue, deployments,
    the team) `actor` may change: one query for a whole bulk upload."""
    from .models import Account

    if not is_active_user(actor):
        return set()
    accounts = Account.objects.filter(pk__in=account_ids)
    if not actor.is_ops:
        accounts = accounts.filter(Q(owner=actor) | Q(owner__team__manager=actor))
    return set(accounts.values_list("pk", flat=True))


def can_create_account(actor, owner: User | None) -> bool:
    if not is_active_user(actor) or owner is None:
        return False
    if actor.is_ops:
        return True
    if actor.is_manager:
        return manages(actor, owner)
    return owner.pk == actor.pk


def check_create_account(actor, owner: User | None) -> None:
    if not can_create_account(actor, owner):
        raise PermissionDeniedError(CREATE_RULE)


def can_reassign(actor, account: Account, new_owner: User | None = None) -> bool:
    """Whether `actor` may change `account`'s owner (to `new_owner`, when given)."""
    if not is_active_user(actor):
        return False
    if actor.is_ops:
        return True
    if not actor.is_manager or not manages(actor, account.owner):
        return False
    return new_owner is None or manages(actor, new_owner)


def check_reassign(actor, account: Account, new_owner: User | None) -> None:
    if not can_reassign(actor, account, new_owner):
        raise PermissionDeniedError(REASSIGN_RULE)


def member_candidates(actor) -> QuerySet[User]:
    """The Keyplan users `actor` may put on a virtual team: ops anyone active; others the
    people they see (their own team, and a manager's teams)."""
    users = User.objects.filter(is_active=True)
    if not is_active_user(actor):
        return users.none()
    if actor.is_ops:
        return users
    return users.filter(user_visibility_q(actor))


def can_add_member(actor, account: Account, user: User | None) -> bool:
    if not can_change(actor, account):
        return False
    return user is None or member_candidates(actor).filter(pk=user.pk).exists()


def check_add_member(actor, account: Account, user: User | None) -> None:
    check_change(actor, account)
    if user is not None and not member_candidates(actor).filter(pk=user.pk).exists():
        raise PermissionDeniedError(MEMBER_RULE)


def can_approve(actor, obj: models.Model) -> bool:
    if not is_active_user(actor):
        return False
    if actor.is_ops:
        return True
    account = account_of(obj)
    return account is not None and manages(actor, account.owner)


def check_approve(actor, obj: models.Model) -> None:
    if not can_approve(actor, obj):
        raise PermissionDeniedError(APPROVE_RULE)


def can_manage_catalogues(actor) -> bool:
    """The controlled vocabularies (accounts.catalogues): everyone reads them, ops change them."""
    return is_active_user(actor) and actor.is_ops


def check_manage_catalogues(actor) -> None:
    if not can_manage_catalogues(actor):
        raise PermissionDeniedError(CATALOGUE_RULE)
