"""The write-permission rule for people, teams and quotas (domain.md), position by position.

Five people stand around one AM, `am`, of the team "manager" runs:

- self           the AM: reads themselves, their team and their quota; changes none of them
                 (an AM never changes their own role or team);
- peer           another AM of the same team: sees `am` and the team, not `am`'s quota;
- manager        `am`'s manager: sets `am`'s quota; changes no person and no team;
- other_manager  the manager of another team: sees none of it, so 404;
- ops            create and edit people and teams, and set any quota.

The expected answer for every position is written out in the tables; a refused write asserts
the answer and that no row of users, teams or quotas moved, an allowed one that it did.
The admin, ops' only, is version-guarded for people too.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from django.urls import reverse

from teams.access import PEOPLE_RULE, QUOTA_RULE
from teams.models import Quota, Team, User
from tests.factories import PASSWORD, QuotaFactory, UserFactory
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

POSITIONS = ("self", "peer", "manager", "other_manager", "ops")
TABLES = [User, Team, Quota]


def db_state() -> dict[str, list[dict]]:
    """Every row of users, teams and quotas, to prove a refused write wrote nothing."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}


@dataclass
class World:
    people: dict[str, User]
    team: Team  # am's team, run by "manager"
    other_team: Team  # run by "othermanager"
    quota: Quota  # am's FY2027 quota


@pytest.fixture
def world(am, manager, other_am, ops, team) -> World:
    other_manager = other_am.team.manager
    return World(
        people={
            "self": am,
            "peer": UserFactory(username="teammate", team=team),
            "manager": manager,
            "other_manager": other_manager,
            "ops": ops,
        },
        team=team,
        other_team=other_am.team,
        quota=QuotaFactory(user=am, fiscal_year=2027),
    )


class Write(NamedTuple):
    """`url(world, actor)`; `body` a dict or body(world, actor) -> dict (None: DELETE)."""

    method: str
    url: Callable[[World, User], str]
    body: Any = None


def users(w: World, me: User) -> str:
    return "/api/v1/users/"


def the_am(w: World, me: User) -> str:
    return f"/api/v1/users/{w.people['self'].pk}/"


def oneself(w: World, me: User) -> str:
    return f"/api/v1/users/{me.pk}/"


def teams(w: World, me: User) -> str:
    return "/api/v1/teams/"


def the_team(w: World, me: User) -> str:
    return f"/api/v1/teams/{w.team.pk}/"


def quotas(w: World, me: User) -> str:
    return "/api/v1/quotas/"


def the_quota(w: World, me: User) -> str:
    return f"/api/v1/quotas/{w.quota.pk}/"


def user_put(w: World, me: User) -> dict:
    am = w.people["self"]
    return {
        "username": "am",
        "email": am.email,
        "first_name": "Adaeze",
        "last_name": am.last_name,
        "role": "am",
        "team": w.team.pk,
        "title": "",
        "is_active": True,
        "version": 1,
    }


NEW_PASSWORD = "a-much-longer-passphrase-7"

WRITES = {
    # people
    "user: create": Write("post", users, {"username": "newbie", "role": "am"}),
    "user: rename the AM": Write("patch", the_am, {"first_name": "Adaeze"}),
    "user: the AM's role": Write("patch", the_am, {"role": "manager"}),
    "user: the AM's team": Write("patch", the_am, lambda w, me: {"team": w.other_team.pk}),
    "user: deactivate the AM": Write("patch", the_am, {"is_active": False}),
    "user: the AM's password": Write("patch", the_am, {"password": NEW_PASSWORD}),
    "user: PUT the AM back": Write("put", the_am, user_put),
    "user: rename oneself": Write("patch", oneself, {"first_name": "Renamed"}),
    "user: delete the AM": Write("delete", the_am),
    # teams
    "team: create": Write("post", teams, {"name": "Kano Corporate", "territory": "Kano"}),
    "team: new territory": Write("patch", the_team, {"territory": "Lagos Island"}),
    "team: new manager": Write("patch", the_team, {"manager": "othermanager"}),
    "team: PUT": Write(
        "put",
        the_team,
        lambda w, me: {
            "name": w.team.name,
            "manager": "manager",
            "territory": "Lagos Island",
            "version": 1,
        },
    ),
    "team: delete": Write("delete", the_team),
    # quotas
    "quota: create for the AM": Write(
        "post", quotas, {"user": "am", "fiscal_year": 2028, "amount": "2500000.00"}
    ),
    "quota: create for oneself": Write(
        "post",
        quotas,
        lambda w, me: {"user": me.username, "fiscal_year": 2028, "amount": "2500000.00"},
    ),
    "quota: edit": Write("patch", the_quota, {"amount": "3000000.00"}),
    "quota: to a teammate": Write("patch", the_quota, {"user": "teammate"}),
    "quota: to another team's AM": Write("patch", the_quota, {"user": "otheram"}),
    "quota: PUT": Write(
        "put",
        the_quota,
        {
            "user": "am",
            "fiscal_year": 2027,
            "amount": "3000000.00",
            "q1": None,
            "q2": None,
            "q3": None,
            "q4": None,
            "version": 1,
        },
    ),
    "quota: delete": Write("delete", the_quota),
}

# 400: a username outside the actor's view reads as one that does not exist (on a create,
# before the rule), or the row would break a model rule (a quota for someone who is no AM).
# fmt: off
EXPECTED = [
    # write                          self  peer  manager  other_mgr  ops
    ("user: create",                 403,  403,  403,     403,       201),
    ("user: rename the AM",          403,  403,  403,     404,       200),
    ("user: the AM's role",          403,  403,  403,     404,       200),
    ("user: the AM's team",          403,  403,  403,     404,       200),
    ("user: deactivate the AM",      403,  403,  403,     404,       200),
    ("user: the AM's password",      403,  403,  403,     404,       200),
    ("user: PUT the AM back",        403,  403,  403,     404,       200),
    ("user: rename oneself",         403,  403,  403,     403,       200),
    ("user: delete the AM",          405,  405,  405,     405,       405),
    ("team: create",                 403,  403,  403,     403,       201),
    ("team: new territory",          403,  403,  403,     404,       200),
    ("team: new manager",            403,  403,  403,     404,       200),
    ("team: PUT",                    403,  403,  403,     404,       200),
    ("team: delete",                 405,  405,  405,     405,       405),
    ("quota: create for the AM",     403,  403,  201,     400,       201),
    ("quota: create for oneself",    403,  403,  403,     403,       400),
    ("quota: edit",                  403,  404,  200,     404,       200),
    ("quota: to a teammate",         403,  404,  200,     404,       200),
    ("quota: to another team's AM",  403,  404,  400,     404,       200),
    ("quota: PUT",                   403,  404,  200,     404,       200),
    ("quota: delete",                403,  404,  204,     404,       204),
]
# fmt: on


def by_position(table) -> list:
    return [
        pytest.param(name, position, answer, id=f"{name} | {position}")
        for name, *answers in table
        for position, answer in zip(POSITIONS, answers, strict=True)
    ]


def test_the_table_covers_every_write():
    assert [name for name, *_ in EXPECTED] == list(WRITES)


@pytest.mark.parametrize(("name", "position", "expected"), by_position(EXPECTED))
def test_api_write(api_as, world, name, position, expected):
    write = WRITES[name]
    me = world.people[position]
    url = write.url(world, me)
    body = write.body(world, me) if callable(write.body) else write.body
    client, ops = api_as(me), api_as(world.people["ops"])
    loaded = ops.get(url).json() if write.method in ("put", "patch") else None
    before = db_state()

    if body is None:
        response = getattr(client, write.method)(url)
    else:
        response = getattr(client, write.method)(url, body, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert db_state() == before  # nothing written
        if expected == 403:
            rule = QUOTA_RULE if name.startswith("quota") else PEOPLE_RULE
            assert response.json() == {"detail": rule}
        return

    assert db_state() != before
    if write.method == "delete":
        assert ops.get(url).status_code == 404
        return
    detail = url if write.method != "post" else f"{url}{response.json()['id']}/"
    saved = ops.get(detail).json()
    for key, value in body.items():
        if key == "password":
            assert User.objects.get(pk=saved["id"]).check_password(value)
        elif key != "version":
            assert saved[key] == value, key
    if loaded is not None:
        assert saved["version"] == loaded["version"] + 1


def test_a_refused_change_of_ones_own_role_or_team_is_a_403_whatever_the_body(api_as, world):
    am = world.people["self"]
    before = db_state()
    response = api_as(am).patch(
        f"/api/v1/users/{am.pk}/",
        {"role": "ops", "team": world.other_team.pk, "email": "not an email"},
        format="json",
    )
    assert (response.status_code, response.json()) == (403, {"detail": PEOPLE_RULE})
    assert db_state() == before


# --- the admin ----------------------------------------------------------------------


def _user_change_form(client, user: User) -> tuple[str, dict]:
    url = reverse("admin:teams_user_change", args=[user.pk])
    response = client.get(url)
    assert response.status_code == 200
    return url, form_data(response.content.decode(), "user_form")


def test_an_admin_edit_of_a_person_bumps_the_version_once(client, world):
    am = world.people["self"]
    client.force_login(world.people["ops"])
    url, data = _user_change_form(client, am)
    assert data["opened_version"] == ["1"]

    response = client.post(url, {**data, "first_name": ["Adaeze"], "title": ["Senior AM"]})

    assert response.status_code == 302
    am.refresh_from_db()
    assert (am.first_name, am.title, am.version) == ("Adaeze", "Senior AM", 2)
    assert am.check_password(PASSWORD)  # the password is left alone


def test_an_admin_password_change_bumps_the_version(client, world):
    """A sync client's copy (ETag) of the person is stale once their password changes."""
    am = world.people["self"]
    client.force_login(world.people["ops"])
    url = reverse("admin:auth_user_password_change", args=[am.pk])
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    am.refresh_from_db()
    assert am.check_password(NEW_PASSWORD)
    assert am.version == 2


def test_a_stale_admin_save_of_a_person_shows_the_conflict_and_writes_nothing(
    client, api_as, world
):
    am = world.people["self"]
    client.force_login(world.people["ops"])
    url, data = _user_change_form(client, am)
    # Someone changes the person through the API after the admin form was opened.
    response = api_as(world.people["ops"]).patch(
        f"/api/v1/users/{am.pk}/", {"last_name": "Theirs"}, format="json"
    )
    assert response.status_code == 200
    before = db_state()

    response = client.post(url, {**data, "first_name": ["Mine"]})

    assert response.status_code == 200  # the form again, with the conflict on it
    assert "Someone else saved this record since you opened it" in response.content.decode()
    assert db_state() == before
    assert User.objects.get(pk=am.pk).first_name == am.first_name  # not "Mine"


def test_an_admin_edit_of_a_quota_goes_through_the_service(client, world):
    client.force_login(world.people["ops"])
    url = reverse("admin:teams_quota_change", args=[world.quota.pk])
    data = form_data(client.get(url).content.decode(), "quota_form")
    before = db_state()
    # A quarterly split that does not add up is the model's rule, applied by the service.
    response = client.post(
        url, {**data, "q1": ["1"], "q2": ["1"], "q3": ["1"], "q4": ["1"], "amount": ["5"]}
    )
    assert response.status_code == 200
    assert "The quarters add up to 4.00, not 5.00." in response.content.decode()
    assert db_state() == before
    response = client.post(url, {**data, "amount": ["2750000.00"]})
    assert response.status_code == 302
    world.quota.refresh_from_db()
    assert (str(world.quota.amount), world.quota.version) == ("2750000.00", 2)


@pytest.mark.parametrize("position", ["self", "peer", "manager", "other_manager"])
def test_only_ops_get_the_people_admin(client, world, position):
    client.force_login(world.people[position])
    target = world.people["self"]
    before = db_state()
    for url in (
        reverse("admin:teams_user_change", args=[target.pk]),
        reverse("admin:teams_team_change", args=[world.team.pk]),
        reverse("admin:teams_quota_change", args=[world.quota.pk]),
    ):
        assert client.get(url).status_code == 302
        response = client.post(url, {"first_name": "Forged", "role": "ops", "amount": "1"})
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    password = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(password, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert db_state() == before


def test_the_positions_hold_the_roles_the_tables_assume(world):
    assert [world.people[p].role for p in POSITIONS] == ["am", "am", "manager", "manager", "ops"]
    assert world.people["peer"].team == world.team == world.people["self"].team
    assert world.team.manager == world.people["manager"]
    assert world.other_team.manager == world.people["other_manager"]
