"""Writes for people, teams and quotas. Every entry point (pages, API, admin actions,
commands) goes through these functions."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import PermissionDeniedError
from core.services import model_create, model_update

from .models import Quota, Team, User

USER_FIELDS = {"username", "email", "first_name", "last_name", "role", "team", "is_active", "title"}


def _require_ops(actor: User, what: str) -> None:
    if not actor.is_ops:
        raise PermissionDeniedError(f"Only sales operations can {what}.")


@transaction.atomic
def user_create(*, actor: User, password: str | None = None, **data: Any) -> User:
    _require_ops(actor, "create users")
    unknown = set(data) - USER_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    user = User(**data)
    if password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_update(
    *, actor: User, user: User, data: dict[str, Any], expected_version: int | None = None
) -> User:
    _require_ops(actor, "edit users")
    if user.pk == actor.pk and data.get("is_active") is False:
        raise ValidationError({"is_active": "You cannot deactivate your own account."})
    user, _ = model_update(instance=user, data=data, expected_version=expected_version)
    return user


@transaction.atomic
def team_create(*, actor: User, name: str, territory: str, manager: User | None = None) -> Team:
    _require_ops(actor, "create teams")
    return model_create(model=Team, data={"name": name, "territory": territory, "manager": manager})


@transaction.atomic
def team_update(
    *, actor: User, team: Team, data: dict[str, Any], expected_version: int | None = None
) -> Team:
    _require_ops(actor, "edit teams")
    team, _ = model_update(instance=team, data=data, expected_version=expected_version)
    return team


@transaction.atomic
def team_member_set(*, actor: User, team: Team, user: User) -> User:
    """Put an AM in a team (an AM belongs to one team at a time)."""
    _require_ops(actor, "change team membership")
    user, _ = model_update(instance=user, data={"team": team})
    return user


def _check_quota_writer(actor: User, target: User) -> None:
    if actor.is_ops:
        return
    if actor.is_manager and target.team_id and target.team.manager_id == actor.pk:
        return
    raise PermissionDeniedError("Only sales operations or the AM's manager can set quotas.")


@transaction.atomic
def quota_create(
    *, actor: User, user: User, fiscal_year: int, amount: Decimal, **quarters: Decimal | None
) -> Quota:
    _check_quota_writer(actor, user)
    return model_create(
        model=Quota,
        data={"user": user, "fiscal_year": fiscal_year, "amount": amount, **quarters},
    )


@transaction.atomic
def quota_update(
    *, actor: User, quota: Quota, data: dict[str, Any], expected_version: int | None = None
) -> Quota:
    _check_quota_writer(actor, quota.user)
    if "user" in data:
        _check_quota_writer(actor, data["user"])
    quota, _ = model_update(instance=quota, data=data, expected_version=expected_version)
    return quota


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    _require_ops(actor, "set passwords")
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    return user


@transaction.atomic
def quota_delete(*, actor: User, quota: Quota) -> None:
    _check_quota_writer(actor, quota.user)
    quota.delete()
