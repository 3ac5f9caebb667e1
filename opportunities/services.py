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
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.access import can_see_account, check_approve, check_change, is_active_user
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
