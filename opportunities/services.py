"""Writes for opportunities, stages, partners and escalations. Pages, the API, the admin and
imports call these; each checks the write-permission rule (accounts.access) first.

Write permission (domain.md): ops change anything; a manager anything their team owns; the
account's owner everything on the account; an AM who only sits on the account's virtual team
creates and edits only opportunities they own there (Opportunity.owner_field). Stages are
edited by ops; escalations are resolved by the owning team's manager or ops.

Stage rules (domain.md): reaching `propose` or later needs a business value statement;
`closed_lost` needs a loss reason. A refusal is a ValidationError on the field, naming the
rule. Every change of stage, amount or close date is recorded as a StageChange row.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.access import (
    ACCOUNT_RULE,
    can_see_account,
    check_approve,
    check_change,
    is_active_user,
)
from accounts.models import Account, Agreement
from core.exceptions import PermissionDeniedError
from core.services import model_create, model_update
from teams.models import User

from .models import Escalation, Opportunity, Partner, Stage, StageChange

OPPORTUNITY_FIELDS = (
    "account",
    "name",
    "owner",
    "kind",
    "stage",
    "amount",
    "currency",
    "close_date",
    "probability",
    "forecast_category",
    "partners",
    "business_value",
    "licensing_vehicle",
    "agreement",
    "competitor",
    "loss_reason",
    "source",
    "external_id",
)
STAGE_FIELDS = ("slug", "name", "order", "probability", "is_closed", "is_won", "forecast_category")
PARTNER_FIELDS = ("name", "kind", "external_id")
# The fields whose every change is recorded (StageChange.Field).
TRACKED_FIELDS = ("stage", "amount", "close_date")

PROPOSE_SLUG = "propose"
BUSINESS_VALUE_RULE = (
    "From the Propose stage on, an opportunity needs its business value: the ROI statement "
    "for the customer."
)
LOSS_REASON_RULE = "A lost opportunity (Closed lost) needs a loss reason."
STAGE_RULE = "Only sales operations edit the pipeline stages."
PARTNER_RULE = "Only managers and sales operations change a partner; anyone may add one."
OWNER_MESSAGE = "The owner must be an account manager who sees the account."
RESOLVED_MESSAGE = "This escalation is already resolved."


# --- stage rules ----------------------------------------------------------------------


def propose_order() -> int | None:
    """The order of the `propose` stage (None when ops removed it)."""
    return Stage.objects.filter(slug=PROPOSE_SLUG).values_list("order", flat=True).first()


def needs_business_value(stage: Stage, propose: int | None) -> bool:
    """`propose` or later, a lost deal aside (it needs a loss reason instead)."""
    if stage.is_closed and not stage.is_won:
        return False
    if stage.is_won:
        return True
    return propose is not None and stage.order >= propose


def stage_rule_errors(
    *, stage: Stage, business_value: str, loss_reason: str, propose: int | None
) -> dict[str, list[str]]:
    """The stage rules that `stage` with these values breaks, as field errors."""
    errors: dict[str, list[str]] = {}
    if needs_business_value(stage, propose) and not (business_value or "").strip():
        errors["business_value"] = [BUSINESS_VALUE_RULE]
    if stage.is_closed and not stage.is_won and not (loss_reason or "").strip():
        errors["loss_reason"] = [LOSS_REASON_RULE]
    return errors


def check_stage_rules(opportunity: Opportunity) -> None:
    errors = stage_rule_errors(
        stage=opportunity.stage,
        business_value=opportunity.business_value,
        loss_reason=opportunity.loss_reason,
        propose=propose_order(),
    )
    if errors:
        raise ValidationError(errors)


def _check_owner(owner: User | None, account: Account | None) -> None:
    if owner is None or account is None:
        return
    if not owner.is_active or not owner.is_am or not can_see_account(owner, account):
        raise ValidationError({"owner": [OWNER_MESSAGE]})


def _check_references(actor: User, data: dict[str, Any]) -> None:
    """An account or agreement named in a write must be one the actor sees."""
    account = data.get("account")
    if account is not None and not can_see_account(actor, account):
        raise ValidationError({"account": ["Choose an account you can see."]})


# --- history --------------------------------------------------------------------------


def change_value(field: str, value: Any) -> str:
    """How a tracked value is written in StageChange (stage slug, amount, ISO date)."""
    if value is None:
        return ""
    if field == "stage":
        return value.slug if isinstance(value, Stage) else str(value)
    if field == "amount":
        return f"{Decimal(value):.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _record_changes(
    opportunity: Opportunity, before: dict[str, str], actor: User | None
) -> list[StageChange]:
    now = timezone.now()
    rows = []
    for field in TRACKED_FIELDS:
        after = change_value(field, getattr(opportunity, field))
        if before.get(field, "") != after:
            rows.append(
                StageChange(
                    opportunity=opportunity,
                    field=field,
                    from_value=before.get(field, ""),
                    to_value=after,
                    changed_by=actor,
                    changed_at=now,
                )
            )
    return StageChange.objects.bulk_create(rows)


def _tracked(opportunity: Opportunity) -> dict[str, str]:
    return {field: change_value(field, getattr(opportunity, field)) for field in TRACKED_FIELDS}


# --- opportunities --------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    account: Account,
    name: str,
    stage: Stage,
    close_date: datetime.date,
    owner: User | None = None,
    kind: str = Opportunity.Kind.NEW,
    amount: Decimal = Decimal("0"),
    currency: str = "USD",
    probability: int | None = None,
    forecast_category: str | None = None,
    partners: Iterable[Partner] = (),
    business_value: str = "",
    licensing_vehicle: str = "",
    agreement: Agreement | None = None,
    competitor: str = "",
    loss_reason: str = "",
    source: str = "keyplan",
    external_id: str | None = None,
) -> Opportunity:
    """A new opportunity. An AM creates opportunities they own (owner defaults to them);
    a manager or ops default the owner to the account's owner."""
    if owner is None:
        owner = actor if actor.is_am else account.owner
    data = {
        "account": account,
        "name": name,
        "owner": owner,
        "kind": kind,
        "stage": stage,
        "amount": amount,
        "currency": currency,
        "close_date": close_date,
        "probability": probability,
        "forecast_category": forecast_category or None,
        "partners": list(partners),
        "business_value": business_value,
        "licensing_vehicle": licensing_vehicle,
        "agreement": agreement,
        "competitor": competitor,
        "loss_reason": loss_reason,
        "source": source,
        "external_id": external_id or None,
    }
    plain = {k: v for k, v in data.items() if k != "partners"}
    check_change(actor, Opportunity(**plain))
    _check_references(actor, data)
    _check_owner(owner, account)
    check_stage_rules(Opportunity(**plain))
    opportunity = model_create(model=Opportunity, data=data, fields=OPPORTUNITY_FIELDS)
    # Its entry into the first stage starts the history (velocity); amount and close date
    # are recorded from their first change on.
    _record_changes(opportunity, {**_tracked(opportunity), "stage": ""}, actor)
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    actor: User,
    instance: Opportunity,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Opportunity:
    """Change an opportunity: the rule is checked on it as it is and as it would be (an AM
    on the virtual team cannot hand their deal to someone else, nor move it to an account
    they do not control). Stage rules hold on the result; tracked changes are recorded."""
    check_change(actor, instance)
    data = dict(data)
    if "forecast_category" in data:
        data["forecast_category"] = data["forecast_category"] or None
    if "external_id" in data:
        data["external_id"] = data["external_id"] or None
    if not data:
        return instance
    before = _tracked(instance)
    after = Opportunity(
        **{
            field.attname: getattr(instance, field.attname)
            for field in Opportunity._meta.concrete_fields
        }
    )
    for name, value in data.items():
        if name != "partners" and name in OPPORTUNITY_FIELDS:
            setattr(after, name, value)
    if after.account_id != instance.account_id or after.owner_id != instance.owner_id:
        check_change(actor, after)
        _check_references(actor, data)
        _check_owner(after.owner, after.account)
    if {"stage", "business_value", "loss_reason"} & data.keys():
        check_stage_rules(after)
    instance, changed = model_update(
        instance=instance,
        data=data,
        fields=OPPORTUNITY_FIELDS,
        expected_version=expected_version,
    )
    if changed:
        _record_changes(instance, before, actor)
    return instance


@transaction.atomic
def stage_move(
    *,
    actor: User,
    instance: Opportunity,
    stage: Stage,
    expected_version: int | None = None,
    business_value: str | None = None,
    loss_reason: str | None = None,
) -> Opportunity:
    """Move an opportunity to `stage` (the pipeline board's drag, the card's stage menu),
    through the same rules as any edit; the values a rule asks for may come with it."""
    data: dict[str, Any] = {"stage": stage}
    if business_value is not None:
        data["business_value"] = business_value
    if loss_reason is not None:
        data["loss_reason"] = loss_reason
    return opportunity_update(
        actor=actor, instance=instance, data=data, expected_version=expected_version
    )


@transaction.atomic
def opportunity_delete(
    *, actor: User, instance: Opportunity, expected_version: int | None = None
) -> Opportunity:
    """Soft delete: the row stays, flagged, so sync readers learn of it (`updated_since`)."""
    check_change(actor, instance)
    if instance.is_deleted:
        return instance
    instance, _ = model_update(
        instance=instance,
        data={"is_deleted": True, "deleted_at": timezone.now()},
        fields=("is_deleted", "deleted_at"),
        expected_version=expected_version,
    )
    return instance


# --- escalations ----------------------------------------------------------------------


@transaction.atomic
def escalation_raise(*, actor: User, opportunity: Opportunity, note: str) -> Escalation:
    """Escalate to the manager: whoever may change the opportunity may ask."""
    check_change(actor, opportunity)
    if not (note or "").strip():
        raise ValidationError({"note": ["Say what you need the manager to decide."]})
    return model_create(
        model=Escalation, data={"opportunity": opportunity, "raised_by": actor, "note": note}
    )


@transaction.atomic
def escalation_resolve(
    *,
    actor: User,
    instance: Escalation,
    decision: str,
    expected_version: int | None = None,
) -> Escalation:
    """The owning team's manager or ops record their decision."""
    check_approve(actor, instance)
    if instance.resolved_at is not None:
        raise ValidationError({"decision": [RESOLVED_MESSAGE]})
    if not (decision or "").strip():
        raise ValidationError({"decision": ["Write the decision."]})
    instance, _ = model_update(
        instance=instance,
        data={"decision": decision, "decided_by": actor, "resolved_at": timezone.now()},
        fields=("decision", "decided_by", "resolved_at"),
        expected_version=expected_version,
    )
    return instance


# --- stages (ops) ---------------------------------------------------------------------


def _check_ops(actor: User, rule: str) -> None:
    if not (is_active_user(actor) and actor.is_ops):
        raise PermissionDeniedError(rule)


@transaction.atomic
def stage_create(
    *,
    actor: User,
    slug: str,
    name: str,
    order: int,
    probability: int,
    is_closed: bool = False,
    is_won: bool = False,
    forecast_category: str = "pipeline",
) -> Stage:
    _check_ops(actor, STAGE_RULE)
    return model_create(
        model=Stage,
        data={
            "slug": slug,
            "name": name,
            "order": order,
            "probability": probability,
            "is_closed": is_closed,
            "is_won": is_won,
            "forecast_category": forecast_category,
        },
    )


@transaction.atomic
def stage_update(
    *, actor: User, instance: Stage, data: dict[str, Any], expected_version: int | None = None
) -> Stage:
    _check_ops(actor, STAGE_RULE)
    instance, _ = model_update(
        instance=instance, data=data, fields=STAGE_FIELDS, expected_version=expected_version
    )
    return instance


# --- partners -------------------------------------------------------------------------


@transaction.atomic
def partner_create(
    *, actor: User, name: str, kind: str = Partner.Kind.OTHER, external_id: str | None = None
) -> Partner:
    if not is_active_user(actor):
        raise PermissionDeniedError(PARTNER_RULE)
    return model_create(
        model=Partner, data={"name": name, "kind": kind, "external_id": external_id or None}
    )


@transaction.atomic
def partner_update(
    *, actor: User, instance: Partner, data: dict[str, Any], expected_version: int | None = None
) -> Partner:
    if not (is_active_user(actor) and (actor.is_ops or actor.is_manager)):
        raise PermissionDeniedError(PARTNER_RULE)
    data = dict(data)
    if "external_id" in data:
        data["external_id"] = data["external_id"] or None
    instance, _ = model_update(
        instance=instance, data=data, fields=PARTNER_FIELDS, expected_version=expected_version
    )
    return instance


# --- sync: upsert on (source, external_id), one record or a batch of up to 1000 ----------

# The columns a sync record sets (besides the key). A field a record leaves out keeps its
# stored value (or takes its default on a create), so every row of a batch writes the same
# columns in one INSERT ... ON CONFLICT. Writing a soft-deleted row brings it back.
SYNC_KEY = ("source", "external_id")
SYNC_COLUMNS = (
    "account",
    "name",
    "owner",
    "kind",
    "stage",
    "amount",
    "currency",
    "close_date",
    "probability",
    "forecast_category",
    "business_value",
    "licensing_vehicle",
    "agreement",
    "competitor",
    "loss_reason",
    "is_deleted",
    "deleted_at",
)
SYNC_DEFAULTS = {
    "kind": Opportunity.Kind.NEW,
    "amount": Decimal("0.00"),
    "currency": "USD",
    "probability": None,
    "forecast_category": None,
    "business_value": "",
    "licensing_vehicle": "",
    "agreement": None,
    "competitor": "",
    "loss_reason": "",
}
SYNC_REQUIRED = ("account", "name", "stage", "close_date")
LOCKED_MESSAGE = "An opportunity with this source and external id exists outside your view."
NOT_YOURS_MESSAGE = (
    "An AM on the account's virtual team creates and changes only opportunities they own."
)


class SyncBatch:
    """What a batch of sync records refers to, read once per batch (a handful of queries
    whatever its size) and held for its transaction: the stored rows it updates (locked),
    the accounts, stages, partners, agreements and owners it names, and what the actor may
    change. `merge` turns one parsed record into the full row it writes; `errors` says which
    rule that row breaks; `opportunity_bulk_upsert` writes the rows."""

    def __init__(
        self,
        *,
        actor: User,
        keys: Iterable[tuple[str, str]],
        account_ids: Iterable[int] = (),
        account_external_ids: Iterable[str] = (),
        partner_ids: Iterable[int] = (),
        partner_external_ids: Iterable[str] = (),
        agreement_ids: Iterable[int] = (),
        usernames: Iterable[str] = (),
    ):
        from accounts.access import changeable_account_ids
        from accounts.models import AccountTeamMember

        self.actor = actor
        keys = set(keys)
        # The stored rows, locked in key order (two batches lock in the same order).
        self.existing: dict[tuple[str, str], dict] = {}
        if keys:
            sources = {s for s, _ in keys}
            externals = {e for _, e in keys}
            by_key = (
                Q(source=next(iter(sources)), external_id__in=externals)
                if len(sources) == 1  # the usual batch: one system's rows
                else Q(source__in=sources, external_id__in=externals)
            )
            rows = (
                Opportunity.objects.select_for_update(no_key=True)
                .filter(by_key)
                .order_by("source", "external_id")
                .values(
                    "id",
                    "version",
                    *SYNC_KEY,
                    *(f"{c}_id" if c in _FK else c for c in SYNC_COLUMNS),
                )
            )
            for row in rows:
                key = (row["source"], row["external_id"])
                if key in keys:
                    self.existing[key] = {
                        (name[:-3] if name[:-3] in _FK else name): value
                        for name, value in row.items()
                    }
        self.existing_partners: dict[int, set[int]] = {}
        if self.existing:
            through = Opportunity.partners.through.objects.filter(
                opportunity_id__in=[row["id"] for row in self.existing.values()]
            ).values_list("opportunity_id", "partner_id")
            for opportunity_id, partner_id in through:
                self.existing_partners.setdefault(opportunity_id, set()).add(partner_id)

        # Accounts: those named and those of the stored rows; visible ones only.
        account_ids = set(account_ids) | {row["account"] for row in self.existing.values()}
        account_external_ids = set(account_external_ids)
        accounts = (
            Account.objects.visible_to(actor)
            .filter(Q(pk__in=account_ids) | Q(external_id__in=account_external_ids))
            .values_list("pk", "external_id", "owner_id")
        )
        self.account_owner: dict[int, int] = {}
        self.account_by_external_id: dict[str, int] = {}
        for pk, external_id, owner_id in accounts:
            self.account_owner[pk] = owner_id
            if external_id:
                self.account_by_external_id[external_id] = pk
        self.changeable_accounts = changeable_account_ids(actor, list(self.account_owner))

        self.stages = {stage.slug: stage for stage in Stage.objects.all()}
        self.stage_by_id = {stage.pk: stage for stage in self.stages.values()}
        propose = self.stages.get(PROPOSE_SLUG)
        self.propose_order = propose.order if propose else None

        partner_ids, partner_external_ids = set(partner_ids), set(partner_external_ids)
        self.partner_ids: set[int] = set()
        self.partner_by_external_id: dict[str, int] = {}
        if partner_ids or partner_external_ids:
            for pk, external_id in Partner.objects.filter(
                Q(pk__in=partner_ids) | Q(external_id__in=partner_external_ids)
            ).values_list("pk", "external_id"):
                self.partner_ids.add(pk)
                if external_id:
                    self.partner_by_external_id[external_id] = pk

        self.agreement_account: dict[int, int] = {}
        if agreement_ids:
            self.agreement_account = dict(
                Agreement.objects.filter(
                    pk__in=set(agreement_ids), account_id__in=list(self.account_owner)
                ).values_list("pk", "account_id")
            )

        # Owners named by username: active AMs the actor sees; and who sits on which team.
        usernames = set(usernames)
        self.user_by_username: dict[str, int] = {}
        self.am_ids: set[int] = set()
        if usernames:
            for pk, username, role in (
                User.objects.visible_to(actor)
                .filter(username__in=usernames, is_active=True)
                .values_list("pk", "username", "role")
            ):
                self.user_by_username[username] = pk
                if role == User.Role.AM:
                    self.am_ids.add(pk)
        owners = set(self.user_by_username.values()) | {actor.pk}
        owners |= {row["owner"] for row in self.existing.values()}
        self.memberships = set(
            AccountTeamMember.objects.filter(
                account_id__in=list(self.account_owner), user_id__in=owners
            ).values_list("account_id", "user_id")
        )
        self.managed: set[int] = set()
        if actor.is_manager:
            self.managed = set(
                User.objects.filter(team__manager=actor).values_list("pk", flat=True)
            )

    def merge(self, record: dict) -> tuple[dict, dict | None, dict[str, list[str]]]:
        """The full row a parsed record (references already ids) writes: the stored row (or
        the defaults) with the record's fields over it. Returns (row, stored row, errors)."""
        key = (record["source"], record["external_id"])
        existing = self.existing.get(key)
        if existing is not None:
            row = {name: existing[name] for name in SYNC_COLUMNS}
        else:
            row = dict(SYNC_DEFAULTS)
        row.update(record)
        row["is_deleted"], row["deleted_at"] = False, None
        if existing is None:
            missing = [name for name in SYNC_REQUIRED if row.get(name) is None]
            if missing:
                return row, None, {name: ["This field is required."] for name in missing}
            if row.get("owner") is None:
                row["owner"] = self.default_owner(row["account"])
        return row, existing, self.errors(row, existing)

    # --- rules -------------------------------------------------------------------------

    def may_write(self, account_id: int, owner_id: int) -> bool:
        """accounts.access.can_change for an opportunity on `account_id` owned by
        `owner_id`, answered from what the batch read."""
        if account_id not in self.account_owner:
            return False  # not visible
        if self.actor.is_ops or account_id in self.changeable_accounts:
            return True
        return owner_id == self.actor.pk or owner_id in self.managed

    def owner_sees(self, owner_id: int, account_id: int) -> bool:
        return (
            self.account_owner.get(account_id) == owner_id
            or (account_id, owner_id) in self.memberships
        )

    def default_owner(self, account_id: int) -> int:
        return self.actor.pk if self.actor.is_am else self.account_owner[account_id]

    def errors(self, row: dict, existing: dict | None) -> dict[str, list[str]]:
        """The rules the merged `row` breaks (permission, owner, agreement, stage rules)."""
        if existing is not None:
            if existing["account"] not in self.account_owner:
                return {"external_id": [LOCKED_MESSAGE]}
            if not self.may_write(existing["account"], existing["owner"]):
                return {"non_field_errors": [NOT_YOURS_MESSAGE]}
        errors: dict[str, list[str]] = {}
        if not self.may_write(row["account"], row["owner"]):
            if row["owner"] != self.actor.pk and row["account"] in self.account_owner:
                errors["owner"] = [NOT_YOURS_MESSAGE]
            else:
                errors["account"] = [NOT_YOURS_MESSAGE]
            return errors
        owner_ok = row["owner"] in self.am_ids or (
            row["owner"] == self.actor.pk and self.actor.is_am
        )
        if existing is not None and row["owner"] == existing["owner"]:
            owner_ok = True
        if not owner_ok or not self.owner_sees(row["owner"], row["account"]):
            errors["owner"] = [OWNER_MESSAGE]
        agreement = row["agreement"]
        if agreement is not None and self.agreement_account.get(agreement) != row["account"]:
            errors["agreement"] = ["The agreement must belong to the opportunity's account."]
        stage = self.stage_by_id[row["stage"]]
        errors.update(
            stage_rule_errors(
                stage=stage,
                business_value=row["business_value"],
                loss_reason=row["loss_reason"],
                propose=self.propose_order,
            )
        )
        return errors


_FK = {"account", "owner", "stage", "agreement"}
CHANGE_FIELDS = ("opportunity", "field", "from_value", "to_value", "changed_by", "changed_at")


def _changed_tracked(before: dict | None, after: dict, stage_by_id: dict) -> list[tuple]:
    """(field, from, to) of the tracked fields a sync write changes."""
    if before is None:
        return [("stage", "", stage_by_id[after["stage"]].slug)]
    changes = []
    if before["stage"] != after["stage"]:
        changes.append(
            ("stage", stage_by_id[before["stage"]].slug, stage_by_id[after["stage"]].slug)
        )
    if before["amount"] != after["amount"]:
        changes.append(
            (
                "amount",
                change_value("amount", before["amount"]),
                change_value("amount", after["amount"]),
            )
        )
    if before["close_date"] != after["close_date"]:
        changes.append(
            (
                "close_date",
                change_value("close_date", before["close_date"]),
                change_value("close_date", after["close_date"]),
            )
        )
    return changes


def _same(row: dict, existing: dict, batch: SyncBatch) -> bool:
    """Whether writing `row` would change nothing of its stored row (partners included)."""
    if any(row[name] != existing[name] for name in SYNC_COLUMNS):
        return False
    partners = row.get("partners")
    return partners is None or set(partners) == batch.existing_partners.get(existing["id"], set())


@transaction.atomic
def opportunity_bulk_upsert(
    *, actor: User, batch: SyncBatch, rows: list[dict]
) -> list[dict[str, Any]]:
    """Write merged sync rows (SyncBatch.merge) set-based: one INSERT ... ON CONFLICT
    (source, external_id) DO UPDATE ... WHERE <a column differs> (core.upsert), the partners
    (through rows) and the StageChange rows in bulk. Returns {"id", "status"} per row, in
    order: created, updated, or unchanged (an identical resend writes nothing, not even
    version or updated_at). The write permission is asserted again on every row."""
    from core.upsert import CREATED, UNCHANGED, UPDATED, UpsertResult, insert, upsert

    if batch.actor != actor:
        raise PermissionDeniedError(ACCOUNT_RULE)
    for row in rows:
        existing = batch.existing.get((row["source"], row["external_id"]))
        if existing is not None and not batch.may_write(existing["account"], existing["owner"]):
            raise PermissionDeniedError(ACCOUNT_RULE)
        if not batch.may_write(row["account"], row["owner"]):
            raise PermissionDeniedError(ACCOUNT_RULE)
    # A row identical to its stored (locked) self is left out of the statement: an
    # identical resend reads and writes nothing more.
    counts = Counter((row["source"], row["external_id"]) for row in rows)
    kept: dict[int, UpsertResult] = {}
    for index, row in enumerate(rows):
        key = (row["source"], row["external_id"])
        existing = batch.existing.get(key)
        if existing is not None and counts[key] == 1 and _same(row, existing, batch):
            kept[index] = UpsertResult(existing["id"], UNCHANGED)
    written = upsert(
        Opportunity,
        [
            {name: row[name] for name in (*SYNC_KEY, *SYNC_COLUMNS)}
            for index, row in enumerate(rows)
            if index not in kept
        ],
        unique_fields=SYNC_KEY,
        update_fields=SYNC_COLUMNS,
    )
    results = iter(written)
    results = [kept[index] if index in kept else next(results) for index in range(len(rows))]
    statuses = [result.status for result in results]
    now = timezone.now()
    # A key sent twice in one batch: the last record wins (core.upsert), and only it writes
    # partners and history; every record of the key reports the outcome.
    last = {(row["source"], row["external_id"]): index for index, row in enumerate(rows)}
    final = set(last.values())

    # Partners: the through rows of each row whose set changes, replaced in two statements.
    through = Opportunity.partners.through
    replace: dict[int, set[int]] = {}
    touched_only_partners: list[int] = []
    for index, (row, result) in enumerate(zip(rows, results, strict=True)):
        wanted = row.get("partners")
        if wanted is None or index not in final:
            continue
        current = batch.existing_partners.get(result.pk, set())
        if result.status == CREATED:
            current = set()
        if set(wanted) != current:
            replace[result.pk] = set(wanted)
            if result.status == UNCHANGED:
                touched_only_partners.append(result.pk)
                statuses[index] = UPDATED
    if replace:
        through.objects.filter(opportunity_id__in=list(replace)).delete()
        through.objects.bulk_create(
            [
                through(opportunity_id=pk, partner_id=partner)
                for pk, partners in replace.items()
                for partner in sorted(partners)
            ]
        )
    if touched_only_partners:
        Opportunity.objects.filter(pk__in=touched_only_partners).update(
            version=F("version") + 1, updated_at=now
        )

    for index, row in enumerate(rows):  # duplicates report the outcome of the last one
        statuses[index] = statuses[last[(row["source"], row["external_id"])]]
    changes = []
    for index, (row, result, status) in enumerate(zip(rows, results, statuses, strict=True)):
        if status == UNCHANGED or index not in final:
            continue
        existing = batch.existing.get((row["source"], row["external_id"]))
        if result.status == CREATED:
            existing = None
        elif existing is None:
            continue  # created a moment ago by another upload: its history is its own
        for field, before, after in _changed_tracked(existing, row, batch.stage_by_id):
            changes.append(
                {
                    "opportunity": result.pk,
                    "field": field,
                    "from_value": before,
                    "to_value": after,
                    "changed_by": actor.pk,
                    "changed_at": now,
                }
            )
    insert(StageChange, changes, fields=CHANGE_FIELDS)
    return [
        {"id": result.pk, "status": status}
        for result, status in zip(results, statuses, strict=True)
    ]
