"""Writes for customer accounts. Pages, the API, commands and tasks all call these."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.services import model_create, model_update
from teams.models import User
from teams.selectors import assignable_owners

from .models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord


def _check_owner(actor: User, owner: User | None) -> None:
    if owner is not None and not assignable_owners(user=actor).filter(pk=owner.pk).exists():
        if actor.is_am:
            raise ValidationError(
                {"owner": "You can only own accounts yourself; ask your manager."}
            )
        raise ValidationError({"owner": "Choose an active account manager from your team."})


def _check_parent(actor: User, parent: Account | None) -> None:
    if parent is not None and not Account.objects.visible_to(actor).filter(pk=parent.pk).exists():
        raise ValidationError({"parent": "Choose an account you can see."})


@transaction.atomic
def account_create(*, actor: User, **data: Any) -> Account:
    data.setdefault("owner", actor if actor.is_am else None)
    _check_owner(actor, data.get("owner"))
    _check_parent(actor, data.get("parent"))
    return model_create(model=Account, data=data)


@transaction.atomic
def account_update(
    *, actor: User, account: Account, data: dict[str, Any], expected_version: int | None = None
) -> Account:
    if "owner" in data and data["owner"] is not None and data["owner"].pk != account.owner_id:
        _check_owner(actor, data["owner"])
    if "parent" in data and data["parent"] is not None and data["parent"].pk != account.parent_id:
        _check_parent(actor, data["parent"])
    account, _ = model_update(instance=account, data=data, expected_version=expected_version)
    return account


# --- virtual team -------------------------------------------------------------------


@transaction.atomic
def team_member_add(*, actor: User, account: Account, **data: Any) -> AccountTeamMember:
    return model_create(model=AccountTeamMember, data={"account": account, **data})


@transaction.atomic
def team_member_update(
    *,
    actor: User,
    member: AccountTeamMember,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> AccountTeamMember:
    member, _ = model_update(instance=member, data=data, expected_version=expected_version)
    return member


@transaction.atomic
def team_member_remove(*, actor: User, member: AccountTeamMember) -> None:
    member.delete()


# --- agreements ---------------------------------------------------------------------


@transaction.atomic
def agreement_create(*, actor: User, account: Account, **data: Any) -> Agreement:
    return model_create(model=Agreement, data={"account": account, **data})


@transaction.atomic
def agreement_update(
    *, actor: User, agreement: Agreement, data: dict[str, Any], expected_version: int | None = None
) -> Agreement:
    agreement, _ = model_update(instance=agreement, data=data, expected_version=expected_version)
    return agreement


@transaction.atomic
def agreement_delete(*, actor: User, agreement: Agreement) -> None:
    agreement.delete()


# --- deployments --------------------------------------------------------------------


@transaction.atomic
def deployment_create(*, actor: User, account: Account, **data: Any) -> ProductDeployment:
    return model_create(model=ProductDeployment, data={"account": account, **data})


@transaction.atomic
def deployment_update(
    *,
    actor: User,
    deployment: ProductDeployment,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> ProductDeployment:
    deployment, _ = model_update(instance=deployment, data=data, expected_version=expected_version)
    return deployment


@transaction.atomic
def deployment_delete(*, actor: User, deployment: ProductDeployment) -> None:
    deployment.delete()


# --- revenue ------------------------------------------------------------------------


@transaction.atomic
def revenue_record_upsert(
    *, actor: User, account: Account, period: datetime.date, amount: Decimal, source: str = "manual"
) -> tuple[RevenueRecord, str]:
    """Create or replace the record keyed on (account, period, source).

    Returns (record, status) with status "created", "updated" or "unchanged".
    """
    existing = (
        RevenueRecord.objects.select_for_update()
        .filter(account=account, period=period, source=source)
        .first()
    )
    if existing is None:
        record = model_create(
            model=RevenueRecord,
            data={"account": account, "period": period, "amount": amount, "source": source},
        )
        return record, "created"
    record, changed = model_update(instance=existing, data={"amount": amount})
    return record, "updated" if changed else "unchanged"


@transaction.atomic
def revenue_record_update(
    *, actor: User, record: RevenueRecord, data: dict[str, Any], expected_version: int | None = None
) -> RevenueRecord:
    record, _ = model_update(instance=record, data=data, expected_version=expected_version)
    return record


@transaction.atomic
def revenue_record_delete(*, actor: User, record: RevenueRecord) -> None:
    record.delete()


@dataclass
class RevenueRow:
    """One validated row of a bulk upload."""

    index: int
    account: Account
    period: datetime.date
    amount: Decimal
    source: str
    result: dict = field(default_factory=dict)


@transaction.atomic
def revenue_bulk_upsert(*, actor: User, rows: list[RevenueRow]) -> list[RevenueRow]:
    """Upsert validated rows set-based: one read of the existing keys, one bulk insert,
    one bulk update. Each row's `result` gets id and status."""
    if not rows:
        return rows
    # One read of a superset of the keys (a 1000-way OR is too deep for SQLite), then the
    # exact keys picked out here.
    wanted = {(row.account.pk, row.period, row.source) for row in rows}
    candidates = RevenueRecord.objects.select_for_update().filter(
        account_id__in={key[0] for key in wanted},
        period__in={key[1] for key in wanted},
        source__in={key[2] for key in wanted},
    )
    existing = {
        key: record
        for record in candidates
        if (key := (record.account_id, record.period, record.source)) in wanted
    }
    to_create: dict[tuple, RevenueRecord] = {}
    to_update: dict[tuple, RevenueRecord] = {}
    for row in rows:
        key = (row.account.pk, row.period, row.source)
        record = existing.get(key) or to_create.get(key)
        if record is None:
            record = RevenueRecord(
                account=row.account, period=row.period, amount=row.amount, source=row.source
            )
            to_create[key] = record
            row.result["status"] = "created"
        elif record.amount == row.amount:
            row.result["status"] = "unchanged" if key not in to_create else "created"
        else:
            record.amount = row.amount
            if key in to_create:
                row.result["status"] = "created"
            else:
                record.version += 1
                to_update[key] = record
                row.result["status"] = "updated"
    RevenueRecord.objects.bulk_create(list(to_create.values()))
    if to_update:
        now = timezone.now()
        for record in to_update.values():
            record.updated_at = now
        # An upsert on the unique key is one statement; bulk_update's CASE per row is slower.
        RevenueRecord.objects.bulk_create(
            list(to_update.values()),
            update_conflicts=True,
            unique_fields=["account", "period", "source"],
            update_fields=["amount", "version", "updated_at"],
        )
    for row in rows:
        key = (row.account.pk, row.period, row.source)
        row.result["id"] = (existing.get(key) or to_create[key]).pk
    return rows
