"""Writes for people, teams and quotas. Every entry point (pages, API, admin, commands)
goes through these functions; each checks the write rule of teams.access first."""

from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from core.cache import invalidate
from core.services import model_create, model_delete, model_update

from .access import check_manage_people, check_set_quota
from .models import Quota, Team, User

USER_FIELDS = ("username", "email", "first_name", "last_name", "role", "team", "is_active", "title")
TEAM_FIELDS = ("name", "territory", "manager")
QUOTA_FIELDS = ("user", "fiscal_year", "amount", "q1", "q2", "q3", "q4")


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    role: str = User.Role.AM,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    title: str = "",
    is_active: bool = True,
    password: str | None = None,
) -> User:
    check_manage_people(actor)
    user = User(
        username=username,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        team=team,
        title=title,
        is_active=is_active,
    )
    if password:
        _set_password(user, password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    invalidate("people")
    return user


@transaction.atomic
def user_update(
    *, actor: User, instance: User, data: dict[str, Any], expected_version: int | None = None
) -> User:
    """Edit a person; `data` may carry a new `password` beside the USER_FIELDS."""
    check_manage_people(actor)
    data = dict(data)
    if instance.pk == actor.pk and data.get("is_active") is False:
        raise ValidationError({"is_active": "You cannot deactivate your own account."})
    password = data.pop("password", None)
    if password:
        try:
            validate_password(password, instance)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        data["password"] = make_password(password)
    instance, _ = model_update(
        instance=instance,
        data=data,
        fields=(*USER_FIELDS, "password"),
        expected_version=expected_version,
    )
    invalidate("people")  # names, roles and teams feed cached option lists and visibility
    return instance


@transaction.atomic
def team_create(*, actor: User, name: str, territory: str, manager: User | None = None) -> Team:
    check_manage_people(actor)
    return model_create(model=Team, data={"name": name, "territory": territory, "manager": manager})


@transaction.atomic
def team_update(
    *, actor: User, instance: Team, data: dict[str, Any], expected_version: int | None = None
) -> Team:
    check_manage_people(actor)
    instance, _ = model_update(
        instance=instance, data=data, fields=TEAM_FIELDS, expected_version=expected_version
    )
    invalidate("people")  # a new manager sees the team's accounts
    return instance


@transaction.atomic
def quota_create(
    *,
    actor: User,
    user: User,
    fiscal_year: int,
    amount: Decimal,
    q1: Decimal | None = None,
    q2: Decimal | None = None,
    q3: Decimal | None = None,
    q4: Decimal | None = None,
) -> Quota:
    check_set_quota(actor, user)
    return model_create(
        model=Quota,
        data={
            "user": user,
            "fiscal_year": fiscal_year,
            "amount": amount,
            "q1": q1,
            "q2": q2,
            "q3": q3,
            "q4": q4,
        },
    )


@transaction.atomic
def quota_update(
    *, actor: User, instance: Quota, data: dict[str, Any], expected_version: int | None = None
) -> Quota:
    check_set_quota(actor, instance.user)
    if "user" in data:
        check_set_quota(actor, data["user"])
    instance, _ = model_update(
        instance=instance, data=data, fields=QUOTA_FIELDS, expected_version=expected_version
    )
    return instance


@transaction.atomic
def quota_delete(*, actor: User, instance: Quota) -> None:
    check_set_quota(actor, instance.user)
    model_delete(instance=instance)
