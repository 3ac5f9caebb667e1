"""Writes for stakeholders, interactions and RM survey answers. Pages, the API, the admin
and imports call these; each checks the write-permission rule (accounts.access) first.

Write permission (domain.md): ops change anything; a manager anything their team owns; the
account's owner everything on the account. An AM who only sits on the virtual team logs
interactions (they own what they logged) and adds and edits the stakeholders whose internal
owner they are; they cannot hand a stakeholder to someone else, nor touch the others. Survey
answers: the account's owner, the owning manager, ops.

reports_to is a tree inside one account: another account's stakeholder, the stakeholder
themselves and anyone below them are refused on the field (core.hierarchy.guard_tree, which
also decides two people closing the two halves of a cycle at the same moment).

`last_interaction_at` is kept here: every write of an interaction sets it, for each
stakeholder it touched before or after, to the latest date of their interactions.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, ProtectedError, Subquery
from django.utils import timezone

from accounts.access import can_see_account, check_change
from accounts.models import Account
from core.hierarchy import guard_tree
from core.services import model_create, model_delete, model_update
from teams.models import User

from .models import (
    REPORTS_TO_ACCOUNT_MESSAGE,
    SURVEY_ACCOUNT_MESSAGE,
    Interaction,
    Level,
    Stakeholder,
    SurveyResponse,
)

STAKEHOLDER_FIELDS = (
    "account",
    "name",
    "title",
    "email",
    "phone",
    "level",
    "department",
    "reports_to",
    "buying_role",
    "influence",
    "attitude",
    "strength",
    "internal_owner",
    "cpe_survey_recipient",
)
# A stakeholder, an interaction and a survey answer stay on their account: the same-account
# rules (reports_to, stakeholders, the survey's stakeholder) stand on that.
STAKEHOLDER_UPDATE_FIELDS = tuple(f for f in STAKEHOLDER_FIELDS if f != "account")
INTERACTION_FIELDS = ("date", "kind", "stakeholders", "summary", "business_value_discussed")
SURVEY_FIELDS = ("stakeholder", "fiscal_year", "score")

CYCLE_MESSAGE = "A stakeholder cannot report to themselves or to someone who reports to them."
INTERNAL_OWNER_MESSAGE = "The internal owner must be an active user who sees the account."
INTERACTION_STAKEHOLDERS_MESSAGE = "Choose stakeholders of this interaction's account."
HAS_SCORES_MESSAGE = (
    "{name} has RM survey scores ({years}); they count in the account's RM score, so this "
    "stakeholder cannot be deleted. Untick the survey recipient box instead."
)


# --- stakeholders -----------------------------------------------------------------------


def _check_reports_to(stakeholder: Stakeholder, reports_to: Stakeholder | None) -> None:
    if reports_to is None:
        return
    if reports_to.account_id != stakeholder.account_id:
        raise ValidationError({"reports_to": [REPORTS_TO_ACCOUNT_MESSAGE]})
    guard_tree(
        instance=stakeholder, field="reports_to", new_parent=reports_to, message=CYCLE_MESSAGE
    )


def _check_internal_owner(owner: User | None, account: Account) -> None:
    if owner is None:
        return
    if not owner.is_active or not can_see_account(owner, account):
        raise ValidationError({"internal_owner": [INTERNAL_OWNER_MESSAGE]})


@transaction.atomic
def stakeholder_create(
    *,
    actor: User,
    account: Account,
    name: str,
    title: str = "",
    email: str = "",
    phone: str = "",
    level: str = Level.FRONT_LINE,
    department: str = "",
    reports_to: Stakeholder | None = None,
    buying_role: str = "",
    influence: int = 3,
    attitude: int = 0,
    strength: int = 1,
    internal_owner: User | None = None,
    cpe_survey_recipient: bool = False,
) -> Stakeholder:
    """A new stakeholder. An AM on the virtual team adds people they own (internal owner
    defaults to an AM who creates one; the others choose)."""
    if internal_owner is None and actor.is_am:
        internal_owner = actor
    data = {
        "account": account,
        "name": name,
        "title": title,
        "email": email,
        "phone": phone,
        "level": level,
        "department": department,
        "reports_to": reports_to,
        "buying_role": buying_role,
        "influence": influence,
        "attitude": attitude,
        "strength": strength,
        "internal_owner": internal_owner,
        "cpe_survey_recipient": cpe_survey_recipient,
    }
    candidate = Stakeholder(**data)
    check_change(actor, candidate)
    _check_internal_owner(internal_owner, account)
    _check_reports_to(candidate, reports_to)
    return model_create(model=Stakeholder, data=data, fields=STAKEHOLDER_FIELDS)


@transaction.atomic
def stakeholder_update(
    *,
    actor: User,
    instance: Stakeholder,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Stakeholder:
    """Change a stakeholder: the rule is checked on it as it is and, when its internal owner
    changes, as it would be (an AM on the virtual team cannot hand it to someone else)."""
    check_change(actor, instance)
    if "internal_owner" in data:
        owner = data["internal_owner"]
        if getattr(owner, "pk", None) != instance.internal_owner_id:
            after = Stakeholder(account=instance.account, internal_owner=owner)
            check_change(actor, after)
            _check_internal_owner(owner, instance.account)
    if "reports_to" in data:
        reports_to = data["reports_to"]
        if getattr(reports_to, "pk", None) != instance.reports_to_id:
            _check_reports_to(instance, reports_to)
    instance, _ = model_update(
        instance=instance,
        data=data,
        fields=STAKEHOLDER_UPDATE_FIELDS,
        expected_version=expected_version,
    )
    return instance


@transaction.atomic
def stakeholder_delete(
    *, actor: User, instance: Stakeholder, expected_version: int | None = None
) -> None:
    """Delete a stakeholder: their reports move up to nobody (and sync clients learn of it);
    one with survey scores is refused with ProtectedError (the scores make the account's RM
    score; the API answers 409, the pages say why)."""
    check_change(actor, instance)
    scores = list(instance.survey_responses.all())
    if scores:
        years = sorted({score.fiscal_year for score in scores}, reverse=True)
        raise ProtectedError(
            HAS_SCORES_MESSAGE.format(
                name=instance.name, years=", ".join(f"FY{year}" for year in years)
            ),
            set(scores),
        )
    Stakeholder.objects.filter(reports_to=instance).update(
        reports_to=None, updated_at=timezone.now()
    )
    model_delete(instance=instance, expected_version=expected_version)


# --- interactions -----------------------------------------------------------------------


def refresh_last_interaction(stakeholder_ids: Iterable[int]) -> None:
    """Set `last_interaction_at` of these stakeholders to the latest date of their
    interactions (None when they have none), in one UPDATE.

    The rows are locked first (in id order), so the UPDATE's snapshot starts after any
    interaction written at the same moment for the same person has committed: the latest
    date is never lost to a race."""
    ids = sorted(set(stakeholder_ids))
    if not ids:
        return
    list(
        Stakeholder.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    latest = (
        Interaction.stakeholders.through.objects.filter(stakeholder=OuterRef("pk"))
        .order_by()
        .values("stakeholder")
        .annotate(latest=Max("interaction__date"))
        .values("latest")
    )
    Stakeholder.objects.filter(pk__in=ids).update(
        last_interaction_at=Subquery(latest), updated_at=timezone.now()
    )


def _check_stakeholders(account: Account, stakeholders: Iterable[Stakeholder]) -> list:
    people = list(stakeholders)
    if any(person.account_id != account.pk for person in people):
        raise ValidationError({"stakeholders": [INTERACTION_STAKEHOLDERS_MESSAGE]})
    return people


@transaction.atomic
def interaction_create(
    *,
    actor: User,
    account: Account,
    date: datetime.date,
    kind: str = Interaction.Kind.MEETING,
    stakeholders: Iterable[Stakeholder] = (),
    summary: str = "",
    business_value_discussed: bool = False,
) -> Interaction:
    """Log an interaction; the actor is who logged it (and, on the virtual team, owns it)."""
    data = {
        "account": account,
        "date": date,
        "kind": kind,
        "summary": summary,
        "business_value_discussed": business_value_discussed,
        "logged_by": actor,
    }
    check_change(actor, Interaction(**data))
    people = _check_stakeholders(account, stakeholders)
    interaction = model_create(model=Interaction, data={**data, "stakeholders": people})
    refresh_last_interaction(person.pk for person in people)
    return interaction


@transaction.atomic
def interaction_update(
    *,
    actor: User,
    instance: Interaction,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Interaction:
    check_change(actor, instance)
    before = set(instance.stakeholders.values_list("pk", flat=True))
    if "stakeholders" in data:
        data = {**data, "stakeholders": _check_stakeholders(instance.account, data["stakeholders"])}
    instance, changed = model_update(
        instance=instance, data=data, fields=INTERACTION_FIELDS, expected_version=expected_version
    )
    if changed and ({"date", "stakeholders"} & data.keys()):
        after = set(instance.stakeholders.values_list("pk", flat=True))
        refresh_last_interaction(before | after)
    return instance


@transaction.atomic
def interaction_delete(
    *, actor: User, instance: Interaction, expected_version: int | None = None
) -> None:
    check_change(actor, instance)
    people = list(instance.stakeholders.values_list("pk", flat=True))
    model_delete(instance=instance, expected_version=expected_version)
    refresh_last_interaction(people)


# --- RM survey --------------------------------------------------------------------------


def _check_survey_stakeholder(account: Account, stakeholder: Stakeholder | None) -> None:
    if stakeholder is not None and stakeholder.account_id != account.pk:
        raise ValidationError({"stakeholder": [SURVEY_ACCOUNT_MESSAGE]})


@transaction.atomic
def survey_create(
    *,
    actor: User,
    stakeholder: Stakeholder,
    fiscal_year: int,
    score: int,
    account: Account | None = None,
) -> SurveyResponse:
    """A stakeholder's RM score for a fiscal year (the account is the stakeholder's; when
    given, it must be theirs)."""
    if account is None:
        account = stakeholder.account
    data = {
        "account": account,
        "stakeholder": stakeholder,
        "fiscal_year": fiscal_year,
        "score": score,
    }
    check_change(actor, SurveyResponse(account=account))
    _check_survey_stakeholder(account, stakeholder)
    return model_create(model=SurveyResponse, data=data)


@transaction.atomic
def survey_update(
    *,
    actor: User,
    instance: SurveyResponse,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> SurveyResponse:
    check_change(actor, instance)
    if "stakeholder" in data:
        _check_survey_stakeholder(instance.account, data["stakeholder"])
    instance, _ = model_update(
        instance=instance, data=data, fields=SURVEY_FIELDS, expected_version=expected_version
    )
    return instance


@transaction.atomic
def survey_delete(
    *, actor: User, instance: SurveyResponse, expected_version: int | None = None
) -> None:
    check_change(actor, instance)
    model_delete(instance=instance, expected_version=expected_version)


@transaction.atomic
def survey_set_score(
    *, actor: User, stakeholder: Stakeholder, fiscal_year: int, score: int
) -> SurveyResponse:
    """The survey page's score entry and import: the stakeholder's score for the year,
    created or replaced (the row is locked while it is replaced; two people creating it at
    once meet the unique key: one wins, the other is told)."""
    existing = (
        SurveyResponse.objects.select_for_update()
        .filter(stakeholder=stakeholder, fiscal_year=fiscal_year)
        .first()
    )
    if existing is not None:
        return survey_update(actor=actor, instance=existing, data={"score": score})
    return survey_create(actor=actor, stakeholder=stakeholder, fiscal_year=fiscal_year, score=score)


@transaction.atomic
def survey_import(
    *, actor: User, fiscal_year: int, rows: list[tuple[Stakeholder, int]]
) -> list[SurveyResponse]:
    """Scores read from an upload (relationships.survey.parse_scores), all or nothing: the
    first refusal undoes every row before it."""
    return [
        survey_set_score(actor=actor, stakeholder=person, fiscal_year=fiscal_year, score=score)
        for person, score in rows
    ]
