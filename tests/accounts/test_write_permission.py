"""The write-permission rule of domain.md, tried position by position on every account write.

Five people stand around one account, owned by `am`:

- owner           the AM who owns it: changes it and everything on it;
- vt_am           an AM of another team who sits on its virtual team: reads everything on it,
                  changes nothing there (in the accounts app no row on it is theirs);
- owning_manager  the manager of the owner's team: changes everything the team owns, and
                  reassigns it within the teams they manage;
- other_manager   the manager of another team (the vt_am's): cannot see the account, so 404;
- ops             change anything.

Each write is tried by each of them through the API, the pages and the admin. The expected
answer for every position is written out in the tables below, never computed from the policy.
A refused write asserts the answer and that no row of any accounts table moved (history
included); an allowed one asserts that the change is there.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from django.urls import reverse

from accounts.access import ACCOUNT_RULE, CREATE_RULE, REASSIGN_RULE
from accounts.models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord
from teams.models import User
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    AgreementFactory,
    ManagerFactory,
    ProductDeploymentFactory,
    RevenueRecordFactory,
    TeamFactory,
    UserFactory,
)
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

POSITIONS = ("owner", "vt_am", "owning_manager", "other_manager", "ops")
# The owner "reassigning" the account to themselves: allowed, and nothing changes.
NOOP = "200, nothing changes"

TABLES = [
    Account,
    Account.history.model,
    AccountTeamMember,
    Agreement,
    Agreement.history.model,
    RevenueRecord,
    ProductDeployment,
]


def db_state() -> dict[str, list[dict]]:
    """Every row of every accounts table, to prove a refused write wrote nothing."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}


@dataclass
class World:
    """One account (owned by `am`) with one of each row on it, and the people around it."""

    people: dict[str, User]
    teammate: User  # another AM of the owner's team
    stranger: User  # an AM of a third team: outside everyone's view but ops'
    account: Account
    seat: AccountTeamMember  # the vt_am's seat on the virtual team
    named: AccountTeamMember  # a named person without a Keyplan login
    agreement: Agreement
    revenue: RevenueRecord
    deployment: ProductDeployment
    vt_account: Account  # an account the vt_am owns themselves


@pytest.fixture
def world(am, manager, other_am, ops, team, account) -> World:
    other_manager = other_am.team.manager
    third_team = TeamFactory(manager=ManagerFactory(username="thirdmanager"))
    return World(
        people={
            "owner": am,
            "vt_am": other_am,
            "owning_manager": manager,
            "other_manager": other_manager,
            "ops": ops,
        },
        teammate=UserFactory(username="teammate", team=team),
        stranger=UserFactory(username="stranger", team=third_team),
        account=account,
        seat=AccountTeamMemberFactory(account=account, user=other_am, role="downstream_am"),
        named=AccountTeamMemberFactory(account=account, user=None, name="Ngozi Obi", role="tam"),
        agreement=AgreementFactory(account=account, number="EA-1001"),
        revenue=RevenueRecordFactory(account=account),
        deployment=ProductDeploymentFactory(account=account, product="Microsoft 365 E3"),
        vt_account=AccountFactory(owner=other_am, name="Their Own Plc"),
    )


def resolve(value, w: World, me: User):
    return value(w, me) if callable(value) else value


# --- the API ------------------------------------------------------------------------


def api(path: str) -> Callable[[World], str]:
    """A URL builder: "accounts/{account}" -> /api/v1/accounts/<the account's id>/."""

    def build(w: World) -> str:
        ids = {
            "account": w.account.pk,
            "seat": w.seat.pk,
            "named": w.named.pk,
            "agreement": w.agreement.pk,
            "revenue": w.revenue.pk,
            "deployment": w.deployment.pk,
        }
        return f"/api/v1/{path.format(**ids)}/"

    return build


class Write(NamedTuple):
    """One write: `body` is a dict, or body(world, actor) -> dict (None for a DELETE)."""

    method: str
    url: Callable[[World], str]
    body: Any = None


def account_put(w: World, me: User) -> dict:
    """The account as GET shows it, renamed: what a client PUTs back."""
    return {
        "external_id": None,
        "name": "Renamed Plc",
        "parent": None,
        "segment": "mature",
        "ltp": "1500000.00",
        "industry": "Banking",
        "sector": "Commercial",
        "territory": "Lagos Corporate West",
        "owner": "am",
        "is_active": True,
        "description": "",
        "version": 1,
    }


def on_account(**fields) -> Callable[[World, User], dict]:
    return lambda w, me: {"account": w.account.pk, **fields}


NEW_ACCOUNT = {"name": "Lekki Ports", "segment": "mature", "ltp": "2000000.00"}

API_WRITES = {
    # accounts
    "account: create for its owner": Write("post", api("accounts"), {**NEW_ACCOUNT, "owner": "am"}),
    "account: create for a teammate": Write(
        "post", api("accounts"), {**NEW_ACCOUNT, "owner": "teammate"}
    ),
    "account: create, no owner given": Write("post", api("accounts"), NEW_ACCOUNT),
    "account: rename": Write("patch", api("accounts/{account}"), {"name": "Renamed Plc"}),
    "account: deactivate": Write("patch", api("accounts/{account}"), {"is_active": False}),
    "account: owner = themselves": Write(
        "patch", api("accounts/{account}"), lambda w, me: {"owner": me.username}
    ),
    "account: reassign in the team": Write(
        "patch", api("accounts/{account}"), {"owner": "teammate"}
    ),
    "account: reassign elsewhere": Write("patch", api("accounts/{account}"), {"owner": "stranger"}),
    "account: PUT back renamed": Write("put", api("accounts/{account}"), account_put),
    "account: delete": Write("delete", api("accounts/{account}")),
    # the virtual team
    "team: add a named person": Write(
        "post", api("account-team-members"), on_account(role="tam", name="Chidi Eze")
    ),
    "team: add oneself": Write(
        "post",
        api("account-team-members"),
        lambda w, me: {"account": w.account.pk, "role": "se", "user": me.username},
    ),
    "team: add owner's teammate": Write(
        "post", api("account-team-members"), on_account(role="se", user="teammate")
    ),
    "team: add another team's AM": Write(
        "post", api("account-team-members"), on_account(role="se", user="stranger")
    ),
    "team: edit a named person": Write(
        "patch", api("account-team-members/{named}"), {"notes": "Runs the licensing desk"}
    ),
    "team: edit the vt_am's seat": Write(
        "patch", api("account-team-members/{seat}"), {"notes": "Covers the Abuja office"}
    ),
    "team: PUT the seat back": Write(
        "put",
        api("account-team-members/{seat}"),
        on_account(
            user="otheram", name="", email="", role="downstream_am", notes="Abuja", version=1
        ),
    ),
    "team: remove a named person": Write("delete", api("account-team-members/{named}")),
    "team: remove the vt_am": Write("delete", api("account-team-members/{seat}")),
    # agreements
    "agreement: create": Write(
        "post",
        api("agreements"),
        on_account(
            kind="EA",
            number="EA-2002",
            start_date="2026-07-01",
            end_date="2029-06-30",
            annual_value="500000.00",
        ),
    ),
    "agreement: edit": Write("patch", api("agreements/{agreement}"), {"annual_value": "999.00"}),
    "agreement: PUT": Write(
        "put",
        api("agreements/{agreement}"),
        on_account(
            kind="EA",
            number="EA-1001",
            start_date="2024-07-01",
            end_date="2027-06-30",
            annual_value="999.00",
            renews=None,
            version=1,
        ),
    ),
    "agreement: delete": Write("delete", api("agreements/{agreement}")),
    # revenue
    "revenue: upsert a new month": Write(
        "post", api("revenue"), on_account(period="2026-08-01", amount="250000.00", source="manual")
    ),
    "revenue: upsert a known month": Write(
        "post", api("revenue"), on_account(period="2026-07-01", amount="250000.00", source="manual")
    ),
    "revenue: edit": Write("patch", api("revenue/{revenue}"), {"amount": "123.45"}),
    "revenue: PUT": Write(
        "put",
        api("revenue/{revenue}"),
        on_account(period="2026-07-01", amount="123.45", source="manual", version=1),
    ),
    "revenue: delete": Write("delete", api("revenue/{revenue}")),
    # deployments
    "deployment: create": Write(
        "post",
        api("deployments"),
        on_account(product="Power BI Pro", licensed_seats=100, active_seats=10),
    ),
    "deployment: edit": Write("patch", api("deployments/{deployment}"), {"active_seats": 900}),
    "deployment: PUT": Write(
        "put",
        api("deployments/{deployment}"),
        on_account(
            product="Microsoft 365 E3",
            licensed_seats=1000,
            active_seats=900,
            is_current_version=False,
            version=1,
        ),
    ),
    "deployment: delete": Write("delete", api("deployments/{deployment}")),
}

# What each position gets. 400: a username or account id outside the actor's view reads as one
# that does not exist (checked before the rule on a create); 404: the object is not visible.
# fmt: off
API_EXPECTED = [
    # write                              owner  vt_am  owning_mgr  other_mgr  ops
    ("account: create for its owner",    201,   400,   201,        400,       201),
    ("account: create for a teammate",   403,   400,   201,        400,       201),
    ("account: create, no owner given",  201,   201,   400,        400,       400),
    ("account: rename",                  200,   403,   200,        404,       200),
    ("account: deactivate",              200,   403,   200,        404,       200),
    ("account: owner = themselves",      NOOP,  403,   403,        404,       400),
    ("account: reassign in the team",    403,   403,   200,        404,       200),
    ("account: reassign elsewhere",      400,   403,   400,        404,       200),
    ("account: PUT back renamed",        200,   403,   200,        404,       200),
    ("account: delete",                  405,   405,   405,        405,       405),
    ("team: add a named person",         201,   403,   201,        400,       201),
    ("team: add oneself",                201,   403,   201,        400,       201),
    ("team: add owner's teammate",       201,   400,   201,        400,       201),
    ("team: add another team's AM",      400,   400,   400,        400,       201),
    ("team: edit a named person",        200,   403,   200,        404,       200),
    ("team: edit the vt_am's seat",      200,   403,   200,        404,       200),
    ("team: PUT the seat back",          200,   403,   200,        404,       200),
    ("team: remove a named person",      204,   403,   204,        404,       204),
    ("team: remove the vt_am",           204,   403,   204,        404,       204),
    ("agreement: create",                201,   403,   201,        400,       201),
    ("agreement: edit",                  200,   403,   200,        404,       200),
    ("agreement: PUT",                   200,   403,   200,        404,       200),
    ("agreement: delete",                204,   403,   204,        404,       204),
    ("revenue: upsert a new month",      201,   403,   201,        400,       201),
    ("revenue: upsert a known month",    200,   403,   200,        400,       200),
    ("revenue: edit",                    200,   403,   200,        404,       200),
    ("revenue: PUT",                     200,   403,   200,        404,       200),
    ("revenue: delete",                  204,   403,   204,        404,       204),
    ("deployment: create",               201,   403,   201,        400,       201),
    ("deployment: edit",                 200,   403,   200,        404,       200),
    ("deployment: PUT",                  200,   403,   200,        404,       200),
    ("deployment: delete",               204,   403,   204,        404,       204),
]
# fmt: on

# The rule a 403 names, where it is not ACCOUNT_RULE.
RULE_OF = {
    ("account: create for a teammate", "owner"): CREATE_RULE,
    ("account: owner = themselves", "owning_manager"): REASSIGN_RULE,
    ("account: reassign in the team", "owner"): REASSIGN_RULE,
}


def by_position(table) -> list:
    """One case per (write, position), with that position's answer from the table."""
    return [
        pytest.param(name, position, answer, id=f"{name} | {position}")
        for name, *answers in table
        for position, answer in zip(POSITIONS, answers, strict=True)
    ]


def _call(client, method: str, url: str, body):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def test_the_tables_cover_every_write():
    assert [name for name, *_ in API_EXPECTED] == list(API_WRITES)
    assert [name for name, *_ in PAGE_EXPECTED] == list(PAGE_WRITES)


@pytest.mark.parametrize(("name", "position", "expected"), by_position(API_EXPECTED))
def test_api_write(api_as, world, name, position, expected):
    write = API_WRITES[name]
    me = world.people[position]
    url = write.url(world)
    body = resolve(write.body, world, me)
    ops = api_as(world.people["ops"])
    loaded = ops.get(url).json() if write.method in ("put", "patch") else None
    before = db_state()

    response = _call(api_as(me), write.method, url, body)

    if expected == NOOP:
        assert response.status_code == 200, response.content
        assert db_state() == before
        return
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert db_state() == before  # nothing written, anywhere
        if expected == 403:
            rule = RULE_OF.get((name, position), ACCOUNT_RULE)
            assert response.json() == {"detail": rule}
        return

    assert db_state() != before
    if write.method == "delete":
        assert ops.get(url).status_code == 404
        return
    detail = url if write.method != "post" else f"{url}{response.json()['id']}/"
    saved = ops.get(detail).json()
    for key, value in body.items():
        if key != "version":
            assert saved[key] == value, key
    if loaded is not None:
        assert saved["version"] == loaded["version"] + 1
    if name == "account: create, no owner given":
        assert saved["owner"] == me.username  # an AM's new account is their own


def test_a_refused_write_is_a_403_whatever_the_body(api_as, world):
    """The vt_am sees the account; a body that would not validate still gets the 403 (the
    rule), not a 400 that invites them to fix the body and try again."""
    client = api_as(world.people["vt_am"])
    before = db_state()
    bad = {"ltp": "-5", "owner": "nobody", "parent": 999999}
    response = client.patch(f"/api/v1/accounts/{world.account.pk}/", bad, format="json")
    assert (response.status_code, response.json()) == (403, {"detail": ACCOUNT_RULE})
    response = client.patch(
        f"/api/v1/agreements/{world.agreement.pk}/", {"end_date": "not a date"}, format="json"
    )
    assert (response.status_code, response.json()) == (403, {"detail": ACCOUNT_RULE})
    assert db_state() == before


# --- revenue bulk -------------------------------------------------------------------


# fmt: off
BULK = {
    # position:        (status of the record, its errors)
    "owner":          ("created", None),
    "vt_am":          ("error", {"account": [ACCOUNT_RULE]}),
    "owning_manager": ("created", None),
    "other_manager":  ("error", {"account": ["No such account."]}),
    "ops":            ("created", None),
}
# fmt: on


@pytest.mark.parametrize("position", POSITIONS)
def test_revenue_bulk_per_position(api_as, world, position):
    record = {"account": world.account.pk, "period": "2026-09-01", "amount": "75000.00"}
    before = db_state()

    response = api_as(world.people[position]).post(
        "/api/v1/revenue/bulk/", {"records": [record]}, format="json"
    )

    assert response.status_code == 200
    (result,) = response.json()["results"]
    status, errors = BULK[position]
    assert (result["status"], result["errors"]) == (status, errors)
    saved = RevenueRecord.objects.filter(account=world.account, period="2026-09-01")
    if status == "error":
        assert result["id"] is None
        assert db_state() == before
    else:
        assert [str(r.amount) for r in saved] == ["75000.00"]


def test_revenue_bulk_saves_the_vt_ams_own_account_and_refuses_the_other(api_as, world):
    own = {"account": world.vt_account.pk, "period": "2026-09-01", "amount": "1.00"}
    theirs = {"account": world.account.pk, "period": "2026-09-01", "amount": "2.00"}
    client = api_as(world.people["vt_am"])

    response = client.post("/api/v1/revenue/bulk/", {"records": [own, theirs]}, format="json")

    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert results[1]["errors"] == {"account": [ACCOUNT_RULE]}
    assert list(RevenueRecord.objects.filter(period="2026-09-01").values_list("account_id")) == [
        (world.vt_account.pk,)
    ]


def test_revenue_bulk_all_or_none_with_a_refused_account_saves_nothing(api_as, world):
    own = {"account": world.vt_account.pk, "period": "2026-09-01", "amount": "1.00"}
    theirs = {"account": world.account.pk, "period": "2026-09-01", "amount": "2.00"}
    before = db_state()
    response = api_as(world.people["vt_am"]).post(
        "/api/v1/revenue/bulk/", {"records": [own, theirs], "all_or_none": True}, format="json"
    )
    assert [r["status"] for r in response.json()["results"]] == ["error", "error"]
    assert db_state() == before


# --- the pages ----------------------------------------------------------------------


class PageWrite(NamedTuple):
    """One request to a page; `written(world)` says whether an allowed POST's change is
    there. `data` is a dict, or data(world) -> dict."""

    method: str
    url: Callable[[World], str]
    data: Any = None
    htmx: bool = False
    written: Callable[[World], bool] | None = None


def page(name: str, *ids: str) -> Callable[[World], str]:
    def build(w: World) -> str:
        objects = {
            "account": w.account,
            "agreement": w.agreement,
            "deployment": w.deployment,
            "named": w.named,
        }
        return reverse(f"accounts:{name}", args=[objects[i].pk for i in ("account", *ids)])

    return build


def account_form(w: World) -> dict:
    a = w.account
    return {
        "name": "Renamed Plc",
        "segment": a.segment,
        "ltp": str(a.ltp),
        "industry": a.industry,
        "sector": a.sector,
        "territory": a.territory,
        "owner": a.owner_id,  # ignored (disabled) for the owner AM, kept for the others
        "is_active": "on",
        "version": a.version,
    }


AGREEMENT_FORM = {
    "kind": "EA",
    "number": "EA-3003",
    "start_date": "2026-07-01",
    "end_date": "2029-06-30",
    "annual_value": "600000",
}
EDITED_AGREEMENT = {**AGREEMENT_FORM, "number": "EA-1001", "annual_value": "777", "version": 1}
DEPLOYMENT_FORM = {"product": "Power BI Pro", "licensed_seats": "100", "active_seats": "10"}
EDITED_DEPLOYMENT = {**DEPLOYMENT_FORM, "product": "Microsoft 365 E3", "version": 1}
MEMBER_FORM = {"name": "Chidi Eze", "role": "tam"}
EDITED_MEMBER = {"name": "Ngozi Obi", "role": "tam", "notes": "Licensing desk", "version": 1}


def _renamed(w: World) -> bool:
    return Account.objects.get(pk=w.account.pk).name == "Renamed Plc"


def _agreement_added(w: World) -> bool:
    return w.account.agreements.filter(number="EA-3003").exists()


def _agreement_edited(w: World) -> bool:
    return str(Agreement.objects.get(pk=w.agreement.pk).annual_value) == "777.00"


def _agreement_deleted(w: World) -> bool:
    return not Agreement.objects.filter(pk=w.agreement.pk).exists()


def _deployment_added(w: World) -> bool:
    return w.account.deployments.filter(product__name="Power BI Pro").exists()


def _deployment_edited(w: World) -> bool:
    return ProductDeployment.objects.get(pk=w.deployment.pk).active_seats == 10


def _deployment_deleted(w: World) -> bool:
    return not ProductDeployment.objects.filter(pk=w.deployment.pk).exists()


def _member_added(w: World) -> bool:
    return w.account.team_members.filter(name="Chidi Eze").exists()


def _member_edited(w: World) -> bool:
    return AccountTeamMember.objects.get(pk=w.named.pk).notes == "Licensing desk"


def _member_removed(w: World) -> bool:
    return not AccountTeamMember.objects.filter(pk=w.named.pk).exists()


AGREEMENT = ("agreement_edit", "agreement")
DEPLOYMENT = ("deployment_edit", "deployment")
PAGE_WRITES = {
    "account edit form": PageWrite("get", page("edit")),
    "account edit post": PageWrite("post", page("edit"), account_form, written=_renamed),
    "agreement add form": PageWrite("get", page("agreement_create")),
    "agreement add post": PageWrite(
        "post", page("agreement_create"), AGREEMENT_FORM, written=_agreement_added
    ),
    "agreement edit form": PageWrite("get", page(*AGREEMENT)),
    "agreement edit post": PageWrite(
        "post", page(*AGREEMENT), EDITED_AGREEMENT, written=_agreement_edited
    ),
    "agreement delete": PageWrite(
        "post", page("agreement_delete", "agreement"), {}, written=_agreement_deleted
    ),
    "deployment add form": PageWrite("get", page("deployment_create")),
    "deployment add post": PageWrite(
        "post", page("deployment_create"), DEPLOYMENT_FORM, written=_deployment_added
    ),
    "deployment edit form": PageWrite("get", page(*DEPLOYMENT)),
    "deployment edit post": PageWrite(
        "post", page(*DEPLOYMENT), EDITED_DEPLOYMENT, written=_deployment_edited
    ),
    "deployment delete": PageWrite(
        "post", page("deployment_delete", "deployment"), {}, written=_deployment_deleted
    ),
    "member add form": PageWrite("get", page("team_member_create")),
    "member add form (htmx)": PageWrite("get", page("team_member_create"), htmx=True),
    "member add post": PageWrite(
        "post", page("team_member_create"), MEMBER_FORM, written=_member_added
    ),
    "member add post (htmx)": PageWrite(
        "post", page("team_member_create"), MEMBER_FORM, htmx=True, written=_member_added
    ),
    "member edit form": PageWrite("get", page("team_member_edit", "named")),
    "member edit post": PageWrite(
        "post", page("team_member_edit", "named"), EDITED_MEMBER, written=_member_edited
    ),
    "member remove": PageWrite(
        "post", page("team_member_delete", "named"), {}, written=_member_removed
    ),
    "member remove (htmx)": PageWrite(
        "post", page("team_member_delete", "named"), {}, htmx=True, written=_member_removed
    ),
}

# fmt: off
PAGE_EXPECTED = [
    # request                      owner  vt_am  owning_mgr  other_mgr  ops
    ("account edit form",          200,   403,   200,        404,       200),
    ("account edit post",          302,   403,   302,        404,       302),
    ("agreement add form",         200,   403,   200,        404,       200),
    ("agreement add post",         302,   403,   302,        404,       302),
    ("agreement edit form",        200,   403,   200,        404,       200),
    ("agreement edit post",        302,   403,   302,        404,       302),
    ("agreement delete",           302,   403,   302,        404,       302),
    ("deployment add form",        200,   403,   200,        404,       200),
    ("deployment add post",        302,   403,   302,        404,       302),
    ("deployment edit form",       200,   403,   200,        404,       200),
    ("deployment edit post",       302,   403,   302,        404,       302),
    ("deployment delete",          302,   403,   302,        404,       302),
    ("member add form",            200,   403,   200,        404,       200),
    ("member add form (htmx)",     200,   403,   200,        404,       200),
    ("member add post",            302,   403,   302,        404,       302),
    ("member add post (htmx)",     200,   403,   200,        404,       200),
    ("member edit form",           200,   403,   200,        404,       200),
    ("member edit post",           302,   403,   302,        404,       302),
    ("member remove",              302,   403,   302,        404,       302),
    ("member remove (htmx)",       200,   403,   200,        404,       200),
]
# fmt: on


@pytest.mark.parametrize(("name", "position", "expected"), by_position(PAGE_EXPECTED))
def test_page_write(client, world, name, position, expected):
    request = PAGE_WRITES[name]
    client.force_login(world.people[position])
    url = request.url(world)
    headers = {"HTTP_HX_REQUEST": "true"} if request.htmx else {}
    before = db_state()

    if request.method == "get":
        response = client.get(url, **headers)
    else:
        data = request.data(world) if callable(request.data) else request.data
        response = client.post(url, data, **headers)

    assert response.status_code == expected
    if expected == 403:
        html = response.content.decode()
        assert "You can't make this change" in html
        assert "Only the account&#x27;s owner, their manager or sales operations" in html
    if request.method == "get" or expected >= 400:
        assert db_state() == before
    else:
        assert request.written(world), "the allowed write did not happen"


def _control_urls(w: World) -> list[str]:
    a = w.account.pk
    urls = [
        reverse("accounts:edit", args=[a]),
        reverse("accounts:agreement_create", args=[a]),
        reverse("accounts:agreement_edit", args=[a, w.agreement.pk]),
        reverse("accounts:agreement_delete", args=[a, w.agreement.pk]),
        reverse("accounts:deployment_create", args=[a]),
        reverse("accounts:deployment_edit", args=[a, w.deployment.pk]),
        reverse("accounts:deployment_delete", args=[a, w.deployment.pk]),
        reverse("accounts:team_member_create", args=[a]),
    ]
    for member in (w.seat, w.named):
        urls.append(reverse("accounts:team_member_edit", args=[a, member.pk]))
        urls.append(reverse("accounts:team_member_delete", args=[a, member.pk]))
    return urls


# fmt: off
CONTROLS = {
    # position:         (status of the account page, does it offer the edit/add/delete controls)
    "owner":          (200, True),
    "vt_am":          (200, False),
    "owning_manager": (200, True),
    "other_manager":  (404, False),
    "ops":            (200, True),
}
# fmt: on


@pytest.mark.parametrize("position", POSITIONS)
def test_account_page_offers_only_the_controls_the_rule_allows(client, world, position):
    client.force_login(world.people[position])
    status, offered = CONTROLS[position]
    response = client.get(reverse("accounts:detail", args=[world.account.pk]))
    assert response.status_code == status
    html = response.content.decode()
    for url in _control_urls(world):
        assert (url in html) is offered, url
    if status == 200:
        card = client.get(reverse("accounts:team", args=[world.account.pk]), HTTP_HX_REQUEST="true")
        card_html = card.content.decode()
        create = reverse("accounts:team_member_create", args=[world.account.pk])
        assert (create in card_html) is offered
    if position == "vt_am":
        assert "Read-only: you are on the virtual team" in html


# Who owns an account created or edited through the pages with a forged `owner`: an AM's
# owner field is disabled (their own), so a forged one is ignored; a manager's offers only
# the AMs of their teams, so an outsider is a form error and nothing is written.
# fmt: off
FORGED_OWNER = [
    # position          forged owner  create: (status, owner)  edit: (status, owner)
    ("owner",           "stranger",   (302, "am"),             (302, "am")),
    ("owner",           "teammate",   (302, "am"),             (302, "am")),
    ("vt_am",           "teammate",   (302, "otheram"),        (403, "am")),
    ("owning_manager",  "stranger",   (200, None),             (200, "am")),
    ("owning_manager",  "teammate",   (302, "teammate"),       (302, "teammate")),
    ("other_manager",   "teammate",   (200, None),             (404, "am")),
    ("ops",             "stranger",   (302, "stranger"),       (302, "stranger")),
]
# fmt: on


@pytest.mark.parametrize(("position", "forged", "create", "edit"), FORGED_OWNER)
def test_a_forged_owner_on_the_account_pages(client, world, position, forged, create, edit):
    client.force_login(world.people[position])
    owner = getattr(world, forged).pk
    data = {**account_form(world), "name": "Forged Owner Plc", "owner": owner}
    data.pop("version")

    response = client.post(reverse("accounts:create"), data)
    assert response.status_code == create[0]
    created = Account.objects.filter(name="Forged Owner Plc").first()
    assert (created.owner.username if created else None) == create[1]

    before = db_state()
    edit_data = {**account_form(world), "owner": owner}
    response = client.post(reverse("accounts:edit", args=[world.account.pk]), edit_data)
    assert response.status_code == edit[0]
    account = Account.objects.get(pk=world.account.pk)
    assert account.owner.username == edit[1]
    if edit[0] != 302:
        assert db_state() == before


# --- the admin ----------------------------------------------------------------------


def _admin_change(client, obj) -> tuple[str, dict]:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return url, form_data(response.content.decode(), f"{obj._meta.model_name}_form")


def test_an_admin_edit_of_an_account_goes_through_the_service(client, world):
    ops = world.people["ops"]
    account = world.account
    client.force_login(ops)
    url, data = _admin_change(client, account)
    assert data["opened_version"] == ["1"]
    history = account.history.count()

    response = client.post(url, {**data, "name": ["Renamed in the admin"]})

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.version) == ("Renamed in the admin", 2)  # bumped once
    assert account.history.count() == history + 1
    latest = account.history.latest()
    assert (latest.name, latest.history_user_id) == ("Renamed in the admin", ops.pk)


def test_an_admin_reassignment_follows_the_rule(client, world):
    """The admin is ops' (any AM); the owner must still be an AM, as in the service."""
    client.force_login(world.people["ops"])
    url, data = _admin_change(client, world.account)
    before = db_state()
    response = client.post(url, {**data, "owner": [str(world.people["owning_manager"].pk)]})
    assert response.status_code == 200
    assert "The owner must be an account manager." in response.content.decode()
    assert db_state() == before
    response = client.post(url, {**data, "owner": [str(world.stranger.pk)]})
    assert response.status_code == 302
    assert Account.objects.get(pk=world.account.pk).owner == world.stranger


def test_a_stale_admin_save_of_an_account_shows_the_conflict_and_writes_nothing(
    client, api_as, world
):
    client.force_login(world.people["ops"])
    url, data = _admin_change(client, world.account)
    # Someone changes the account through the API after the admin form was opened.
    response = api_as(world.people["owner"]).patch(
        f"/api/v1/accounts/{world.account.pk}/", {"name": "Their Change"}, format="json"
    )
    assert response.status_code == 200
    before = db_state()

    response = client.post(url, {**data, "name": ["My Admin Change"]})

    assert response.status_code == 200  # the form again, with the conflict on it
    assert "Someone else saved this record since you opened it" in response.content.decode()
    assert db_state() == before
    assert Account.objects.get(pk=world.account.pk).name == "Their Change"


@pytest.mark.parametrize("position", ["owner", "vt_am", "owning_manager", "other_manager"])
def test_only_ops_get_the_admin(client, world, position):
    client.force_login(world.people[position])
    url = reverse("admin:accounts_account_change", args=[world.account.pk])
    before = db_state()
    for response in (
        client.get("/admin/"),
        client.get(url),
        client.post(url, {"name": "Through the admin", "opened_version": "1"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert db_state() == before
