"""Writes for customer accounts and everything on them. Pages, the API, the admin, commands
and tasks all call these; each checks the write-permission rule (accounts.access) first."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.cache import invalidate
from core.exceptions import PermissionDeniedError
from core.hierarchy import guard_tree
from core.services import model_create, model_delete, model_update
from core.upsert import UpsertResult, upsert
from teams.models import User

from .access import (
    ACCOUNT_RULE,
    can_see_account,
    changeable_account_ids,
    check_add_member,
    check_change,
    check_create_account,
    check_manage_catalogues,
    check_reassign,
)
from .catalogues import normalise, slug_for
from .models import (
    PERIOD_MESSAGE,
    Account,
    AccountTeamMember,
    Agreement,
    CatalogueEntry,
    Industry,
    Product,
    ProductDeployment,
    RevenueRecord,
    Sector,
    Territory,
)

ACCOUNT_FIELDS = (
    "name",
    "external_id",
    "parent",
    "segment",
    "ltp",
    "industry",
    "sector",
    "territory",
    "owner",
    "is_active",
    "description",
)
TEAM_MEMBER_FIELDS = ("user", "name", "email", "role", "notes")
AGREEMENT_FIELDS = ("kind", "number", "start_date", "end_date", "annual_value", "renews")
DEPLOYMENT_FIELDS = ("product", "licensed_seats", "active_seats", "is_current_version")
REVENUE_FIELDS = ("period", "amount", "source")
CATALOGUE_FIELDS = ("name", "slug", "is_active", "order")
CYCLE_MESSAGE = "An account cannot be downstream of itself (or of its own downstream accounts)."


# --- catalogues ---------------------------------------------------------------------


def _catalogue_data(model: type[CatalogueEntry], data: dict[str, Any], pk: int | None) -> dict:
    """Names are stored in one spelling; an empty slug is made from the name."""
    data = dict(data)
    if "name" in data:
        data["name"] = normalise(data["name"] or "")
    if "slug" in data or pk is None:
        slug = (data.get("slug") or "").strip().lower()
        if not slug:
            taken = set(model.objects.exclude(pk=pk).values_list("slug", flat=True))
            slug = slug_for(data.get("name", ""), taken)
        data["slug"] = slug
    return data


@transaction.atomic
def catalogue_create(
    *,
    actor: User,
    model: type[CatalogueEntry],
    name: str,
    slug: str = "",
    is_active: bool = True,
    order: int = 0,
) -> CatalogueEntry:
    """A new sector, industry, territory or product (ops only)."""
    check_manage_catalogues(actor)
    data = _catalogue_data(
        model, {"name": name, "slug": slug, "is_active": is_active, "order": order}, None
    )
    entry = model_create(model=model, data=data)
    invalidate("accounts")  # the list filters offer the catalogues
    return entry


@transaction.atomic
def catalogue_update(
    *,
    actor: User,
    instance: CatalogueEntry,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> CatalogueEntry:
    """Rename, reorder or (de)activate a value: rows keep it; a deactivated value is no
    longer offered."""
    check_manage_catalogues(actor)
    data = _catalogue_data(type(instance), data, instance.pk)
    instance, changed = model_update(
        instance=instance, data=data, fields=CATALOGUE_FIELDS, expected_version=expected_version
    )
    if changed:
        invalidate("accounts")
    return instance


# --- accounts -----------------------------------------------------------------------


def _check_parent(actor: User, account: Account, parent: Account | None) -> None:
    """A parent must be an account the actor sees, and must not close a cycle."""
    if parent is not None and not can_see_account(actor, parent):
        raise ValidationError({"parent": "Choose an account you can see."})
    guard_tree(instance=account, field="parent", new_parent=parent, message=CYCLE_MESSAGE)


@transaction.atomic
def account_create(
    *,
    actor: User,
    name: str,
    ltp: Decimal,
    owner: User | None = None,
    external_id: str | None = None,
    parent: Account | None = None,
    segment: str = Account.Segment.MATURE,
    industry: Industry | None = None,
    sector: Sector | None = None,
    territory: Territory | None = None,
    is_active: bool = True,
    description: str = "",
) -> Account:
    """A new account. An AM creates accounts for themselves (owner defaults to them)."""
    if owner is None:
        if not actor.is_am:
            raise ValidationError({"owner": "Choose the account manager who owns the account."})
        owner = actor
    check_create_account(actor, owner)
    data = {
        "name": name,
        "ltp": ltp,
        "owner": owner,
        "external_id": external_id,
        "parent": parent,
        "segment": segment,
        "industry": industry,
        "sector": sector,
        "territory": territory,
        "is_active": is_active,
        "description": description,
    }
    _check_parent(actor, Account(**data), parent)
    account = model_create(model=Account, data=data)
    invalidate("accounts")
    return account


@transaction.atomic
def account_update(
    *, actor: User, instance: Account, data: dict[str, Any], expected_version: int | None = None
) -> Account:
    check_change(actor, instance)
    owner = data.get("owner")
    if "owner" in data and getattr(owner, "pk", None) != instance.owner_id:
        check_reassign(actor, instance, owner)
    parent = data.get("parent")
    if "parent" in data and getattr(parent, "pk", None) != instance.parent_id:
        _check_parent(actor, instance, parent)
    instance, changed = model_update(
        instance=instance, data=data, fields=ACCOUNT_FIELDS, expected_version=expected_version
    )
    if changed:
        invalidate("accounts")
    return instance


# --- virtual team -------------------------------------------------------------------


@transaction.atomic
def team_member_create(
    *,
    actor: User,
    account: Account,
    role: str,
    user: User | None = None,
    name: str = "",
    email: str = "",
    notes: str = "",
) -> AccountTeamMember:
    """Put a person on the account's virtual team: a change of the account (owner, owning
    manager, ops), and a Keyplan user only from the people the actor may add."""
    check_add_member(actor, account, user)
    invalidate("accounts")  # a Keyplan user on the team now sees the account
    return model_create(
        model=AccountTeamMember,
        data={
            "account": account,
            "role": role,
            "user": user,
            "name": name,
            "email": email,
            "notes": notes,
        },
    )


@transaction.atomic
def team_member_update(
    *,
    actor: User,
    instance: AccountTeamMember,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> AccountTeamMember:
    check_change(actor, instance)
    user = data.get("user")
    if "user" in data and getattr(user, "pk", None) != instance.user_id:
        check_add_member(actor, instance.account, user)
    instance, _ = model_update(
        instance=instance, data=data, fields=TEAM_MEMBER_FIELDS, expected_version=expected_version
    )
    invalidate("accounts")
    return instance


@transaction.atomic
def team_member_delete(*, actor: User, instance: AccountTeamMember) -> None:
    check_change(actor, instance)
    model_delete(instance=instance)
    invalidate("accounts")


# --- agreements ---------------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    actor: User,
    account: Account,
    kind: str,
    number: str,
    start_date: datetime.date,
    end_date: datetime.date,
    annual_value: Decimal = Decimal("0"),
    renews: Agreement | None = None,
) -> Agreement:
    data = {
        "account": account,
        "kind": kind,
        "number": number,
        "start_date": start_date,
        "end_date": end_date,
        "annual_value": annual_value,
        "renews": renews,
    }
    check_change(actor, Agreement(**data))
    return model_create(model=Agreement, data=data)


@transaction.atomic
def agreement_update(
    *, actor: User, instance: Agreement, data: dict[str, Any], expected_version: int | None = None
) -> Agreement:
    check_change(actor, instance)
    instance, _ = model_update(
        instance=instance, data=data, fields=AGREEMENT_FIELDS, expected_version=expected_version
    )
    return instance


@transaction.atomic
def agreement_delete(*, actor: User, instance: Agreement) -> None:
    check_change(actor, instance)
    model_delete(instance=instance)


# --- deployments --------------------------------------------------------------------


@transaction.atomic
def deployment_create(
    *,
    actor: User,
    account: Account,
    product: Product,
    licensed_seats: int = 0,
    active_seats: int = 0,
    is_current_version: bool = True,
) -> ProductDeployment:
    data = {
        "account": account,
        "product": product,
        "licensed_seats": licensed_seats,
        "active_seats": active_seats,
        "is_current_version": is_current_version,
    }
    check_change(actor, ProductDeployment(**data))
    return model_create(model=ProductDeployment, data=data)


@transaction.atomic
def deployment_update(
    *,
    actor: User,
    instance: ProductDeployment,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> ProductDeployment:
    check_change(actor, instance)
    instance, _ = model_update(
        instance=instance, data=data, fields=DEPLOYMENT_FIELDS, expected_version=expected_version
    )
    return instance


@transaction.atomic
def deployment_delete(*, actor: User, instance: ProductDeployment) -> None:
    check_change(actor, instance)
    model_delete(instance=instance)


# --- revenue ------------------------------------------------------------------------

REVENUE_KEY = ("account", "period", "source")


@dataclass(frozen=True)
class RevenueRow:
    """One validated record of a revenue upload."""

    account: Account
    period: datetime.date
    amount: Decimal
    source: str = "manual"


AMOUNT_LIMIT = Decimal("1e12")  # MONEY: 14 digits, 2 of them decimals


def _validate_revenue(row: RevenueRow) -> None:
    """The model's rules for one row, checked in Python: a 1000-row upload must not pay a
    full_clean per row (the account is a loaded, visible row already)."""
    errors = {}
    if row.period.day != 1:
        errors["period"] = [PERIOD_MESSAGE]
    if not isinstance(row.amount, Decimal) or not row.amount.is_finite():
        errors["amount"] = ["A valid number is required."]
    elif abs(row.amount) >= AMOUNT_LIMIT or row.amount != row.amount.quantize(Decimal("0.01")):
        errors["amount"] = ["At most 12 digits before the decimal point and 2 after."]
    if not row.source or len(row.source) > 60:
        errors["source"] = ["Give a source of at most 60 characters."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def revenue_bulk_upsert(*, actor: User, rows: list[RevenueRow]) -> list[UpsertResult]:
    """Create or replace records keyed on (account, period, source), set-based: one
    `INSERT ... ON CONFLICT DO UPDATE` (core.upsert), so the database decides every race.
    Re-sending a record replaces it; an identical one changes nothing. Returns one result
    (id, created/updated/unchanged) per row, in order; a duplicate key in the batch: the
    last one wins."""
    allowed = changeable_account_ids(actor, {row.account.pk for row in rows})
    if any(row.account.pk not in allowed for row in rows):
        raise PermissionDeniedError(ACCOUNT_RULE)
    for row in rows:
        _validate_revenue(row)
    return upsert(
        RevenueRecord,
        [vars(row) for row in rows],
        unique_fields=REVENUE_KEY,
        update_fields=["amount"],
    )


@transaction.atomic
def revenue_record_upsert(
    *,
    actor: User,
    account: Account,
    period: datetime.date,
    amount: Decimal,
    source: str = "manual",
) -> tuple[RevenueRecord, str]:
    """One record through the same upsert. Returns (record, created/updated/unchanged)."""
    row = RevenueRow(account=account, period=period, amount=amount, source=source)
    (result,) = revenue_bulk_upsert(actor=actor, rows=[row])
    return RevenueRecord.objects.get(pk=result.pk), result.status


@transaction.atomic
def revenue_record_update(
    *,
    actor: User,
    instance: RevenueRecord,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> RevenueRecord:
    check_change(actor, instance)
    instance, _ = model_update(
        instance=instance, data=data, fields=REVENUE_FIELDS, expected_version=expected_version
    )
    return instance


@transaction.atomic
def revenue_record_delete(*, actor: User, instance: RevenueRecord) -> None:
    check_change(actor, instance)
    model_delete(instance=instance)
