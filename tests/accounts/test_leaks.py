"""What a user cannot see never leaks out: not by the CSV export, not as an id in the API, not
by an answer that differs between "hidden" and "does not exist", not in a form's choices."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Account, AccountTeamMember, RevenueRecord
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

pytestmark = pytest.mark.django_db

NOWHERE = 987654  # an id no row has


@pytest.fixture
def stranger(db):
    """An AM of a third team: outside the view of everyone in these tests but ops."""
    return UserFactory(
        username="stranger", team=TeamFactory(manager=ManagerFactory(username="thirdmanager"))
    )


@pytest.fixture
def hidden_hq(stranger):
    return AccountFactory(owner=stranger, name="Secret Holdings HQ", external_id="SECRET-1")


@pytest.fixture
def branch(am, hidden_hq):
    """am's account, downstream of an HQ am cannot see."""
    return AccountFactory(owner=am, name="Lagos Branch", parent=hidden_hq)


def db_rows() -> dict:
    return {
        "accounts": list(Account.objects.order_by("pk").values()),
        "members": list(AccountTeamMember.objects.order_by("pk").values()),
        "revenue": list(RevenueRecord.objects.order_by("pk").values()),
    }


# --- the CSV export names no hidden parent ------------------------------------------


def _export(client, query: str = "") -> list[dict]:
    response = client.get(reverse("accounts:export") + query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_never_names_a_parent_the_user_cannot_see(client, am, ops, branch):
    client.force_login(am)
    rows = _export(client)
    assert "Secret Holdings" not in str(rows)
    assert [(r["name"], r["parent"]) for r in rows] == [("Lagos Branch", "")]

    # The page shows the same: the parent is "outside your view", unnamed.
    page = client.get(reverse("accounts:detail", args=[branch.pk])).content.decode()
    assert "Secret Holdings" not in page and "An account outside your view." in page

    client.force_login(ops)  # ops see the HQ, so the export names it
    names = {r["name"]: r["parent"] for r in _export(client)}
    assert names["Lagos Branch"] == "Secret Holdings HQ"


def test_the_export_names_a_visible_parent(client, am):
    hq = AccountFactory(owner=am, name="Visible HQ")
    AccountFactory(owner=am, name="Visible Branch", parent=hq)
    client.force_login(am)
    rows = {r["name"]: r["parent"] for r in _export(client)}
    assert rows == {"Visible Branch": "Visible HQ", "Visible HQ": ""}


def test_filtering_by_a_hidden_parent_reads_like_a_parent_that_does_not_exist(
    client, api_as, am, branch, hidden_hq
):
    """?parent=<the hidden HQ> must not list its children: that would tell the user which
    account it is (and that it exists), which the API's `parent: null` hides."""
    client.force_login(am)
    assert _export(client, f"?parent={hidden_hq.pk}") == _export(client, f"?parent={NOWHERE}")
    assert _export(client, f"?parent={hidden_hq.pk}") == []
    page = client.get(reverse("accounts:list"), {"parent": hidden_hq.pk})
    assert [a.name for a in page.context["rows"]] == []

    api = api_as(am)
    hidden = api.get(f"/api/v1/accounts/?parent={hidden_hq.pk}")
    missing = api.get(f"/api/v1/accounts/?parent={NOWHERE}")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.json()["results"] == []


def test_filtering_by_a_visible_parent_lists_its_children(api_as, am, ops, branch, hidden_hq):
    response = api_as(ops).get(f"/api/v1/accounts/?parent={hidden_hq.pk}")
    assert [r["name"] for r in response.json()["results"]] == ["Lagos Branch"]


# --- the API never returns a hidden parent's id -------------------------------------


def test_the_api_reads_a_hidden_parent_as_null(api_as, am, ops, branch, hidden_hq):
    client = api_as(am)
    assert client.get(f"/api/v1/accounts/{branch.pk}/").json()["parent"] is None
    listed = client.get("/api/v1/accounts/").json()["results"]
    assert [(r["name"], r["parent"]) for r in listed] == [("Lagos Branch", None)]
    # ops see it
    assert api_as(ops).get(f"/api/v1/accounts/{branch.pk}/").json()["parent"] == hidden_hq.pk


def test_sending_the_null_back_keeps_the_hidden_parent(api_as, am, branch, hidden_hq):
    client = api_as(am)
    url = f"/api/v1/accounts/{branch.pk}/"

    response = client.patch(url, {"parent": None, "name": "Lagos Branch Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["parent"] is None
    branch.refresh_from_db()
    assert (branch.name, branch.parent_id) == ("Lagos Branch Renamed", hidden_hq.pk)

    body = client.get(url).json()
    for read_only in ("id", "created_at", "updated_at", "below_ltp_threshold"):
        body.pop(read_only)
    response = client.put(url, {**body, "description": "Put back"}, format="json")
    assert response.status_code == 200
    assert response.json()["parent"] is None
    branch.refresh_from_db()
    assert (branch.description, branch.parent_id) == ("Put back", hidden_hq.pk)


def test_moving_from_a_hidden_parent_to_a_visible_one_reads_the_new_parent(
    api_as, am, branch, hidden_hq
):
    visible = AccountFactory(owner=am, name="Visible HQ")
    response = api_as(am).patch(
        f"/api/v1/accounts/{branch.pk}/", {"parent": visible.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["parent"] == visible.pk
    branch.refresh_from_db()
    assert branch.parent_id == visible.pk


def test_a_hidden_parent_cannot_be_set_and_reads_like_a_missing_one(api_as, am, hidden_hq):
    mine = AccountFactory(owner=am)
    before = db_rows()
    client = api_as(am)
    hidden = client.patch(f"/api/v1/accounts/{mine.pk}/", {"parent": hidden_hq.pk}, format="json")
    missing = client.patch(f"/api/v1/accounts/{mine.pk}/", {"parent": NOWHERE}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert _without_id(hidden.json(), hidden_hq.pk) == _without_id(missing.json(), NOWHERE)
    assert db_rows() == before


# --- existence oracles: hidden reads exactly like missing ---------------------------


def _without_id(body, value) -> str:
    """The answer with the one value the client sent replaced, to compare two answers."""
    return str(body).replace(str(value), "<sent>")


@pytest.fixture
def hidden_rows(other_account):
    """Rows on an account am cannot see."""
    return {
        "agreements": AgreementFactory(account=other_account),
        "revenue": RevenueRecordFactory(account=other_account),
        "deployments": ProductDeploymentFactory(account=other_account),
        "account-team-members": AccountTeamMemberFactory(
            account=other_account, user=None, name="Someone"
        ),
    }


@pytest.mark.parametrize(
    "resource", ["agreements", "revenue", "deployments", "account-team-members"]
)
def test_filtering_by_a_hidden_account_reads_like_a_missing_one(
    api_as, am, account, other_account, hidden_rows, resource
):
    client = api_as(am)
    hidden = client.get(f"/api/v1/{resource}/?account={other_account.pk}")
    missing = client.get(f"/api/v1/{resource}/?account={NOWHERE}")
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json()
    assert hidden.json()["results"] == []
    assert hidden.content == missing.content

    # ... and one object of it, by id, like one that does not exist
    row = hidden_rows[resource]
    hidden = client.get(f"/api/v1/{resource}/{row.pk}/")
    missing = client.get(f"/api/v1/{resource}/{NOWHERE}/")
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)
    assert hidden.status_code == 404


def test_a_hidden_account_on_the_pages_reads_like_a_missing_one(client, am, other_account):
    client.force_login(am)
    for name in ("detail", "edit", "agreement_create", "team_member_create"):
        hidden = client.get(reverse(f"accounts:{name}", args=[other_account.pk]))
        missing = client.get(reverse(f"accounts:{name}", args=[NOWHERE]))
        assert hidden.status_code == missing.status_code == 404
        assert _main(hidden) == _main(missing)
        assert "Other Telecom" not in hidden.content.decode()


def _main(response) -> str:
    """The page's content (the layout around it carries a fresh CSRF token each time)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _same_refusal(send, hidden: str, missing: str = "nobody") -> None:
    before = db_rows()
    a, b = send(hidden), send(missing)
    assert a.status_code == b.status_code == 400
    assert _without_id(a.json(), hidden) == _without_id(b.json(), missing)
    assert db_rows() == before


def test_a_username_or_id_outside_view_in_a_write_reads_like_a_missing_one(
    api_as, am, manager, account, other_am, other_account, stranger
):
    owner_client, manager_client = api_as(am), api_as(manager)
    new = {"name": "New Co", "segment": "mature", "ltp": "2000000.00"}

    # an account created for someone the requester cannot see
    _same_refusal(
        lambda name: owner_client.post("/api/v1/accounts/", {**new, "owner": name}), "otheram"
    )
    _same_refusal(
        lambda name: manager_client.post("/api/v1/accounts/", {**new, "owner": name}), "stranger"
    )
    # an account reassigned to them
    _same_refusal(
        lambda name: manager_client.patch(
            f"/api/v1/accounts/{account.pk}/", {"owner": name}, format="json"
        ),
        "stranger",
    )
    # a virtual-team member who is them
    _same_refusal(
        lambda name: owner_client.post(
            "/api/v1/account-team-members/", {"account": account.pk, "role": "se", "user": name}
        ),
        "otheram",
    )
    # a row on an account they cannot see
    _same_refusal(
        lambda ref: owner_client.post(
            "/api/v1/agreements/",
            {
                "account": ref,
                "kind": "EA",
                "number": "EA-77",
                "start_date": "2026-07-01",
                "end_date": "2027-06-30",
            },
        ),
        str(other_account.pk),
        str(NOWHERE),
    )
    # a quota for them
    _same_refusal(
        lambda name: manager_client.post(
            "/api/v1/quotas/", {"user": name, "fiscal_year": 2027, "amount": "1.00"}
        ),
        "otheram",
    )


def test_filtering_by_a_username_outside_view_reads_like_a_missing_one(
    api_as, am, account, other_am, other_account
):
    AccountTeamMemberFactory(account=other_account, user=other_am)
    client = api_as(am)
    for path in (
        "accounts/?owner={}",
        "account-team-members/?user={}",
        "quotas/?user={}",
        "users/?username={}",
        "teams/?manager={}",
    ):
        hidden = client.get("/api/v1/" + path.format("otheram"))
        missing = client.get("/api/v1/" + path.format("nobody"))
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    hidden = client.get("/api/v1/teams/?manager=othermanager")
    assert hidden.json()["results"] == []


def test_revenue_bulk_reads_a_hidden_account_like_a_missing_one(api_as, am, account, other_account):
    other_account.external_id = "THEIRS-1"
    other_account.save()
    before = db_rows()
    records = [
        {"account": other_account.pk, "period": "2026-07-01", "amount": "1.00"},
        {"account": NOWHERE, "period": "2026-07-01", "amount": "1.00"},
        {"account_external_id": "THEIRS-1", "period": "2026-07-01", "amount": "1.00"},
        {"account_external_id": "NO-SUCH-ID", "period": "2026-07-01", "amount": "1.00"},
    ]
    response = api_as(am).post("/api/v1/revenue/bulk/", {"records": records}, format="json")
    results = response.json()["results"]
    assert [r["errors"] for r in results] == [
        {"account": ["No such account."]},
        {"account": ["No such account."]},
        {"account_external_id": ["No account with this external id."]},
        {"account_external_id": ["No account with this external id."]},
    ]
    assert db_rows() == before


# --- the team-member form offers only the people the actor may add ------------------


def _choices(client, account) -> set[str]:
    response = client.get(reverse("accounts:team_member_create", args=[account.pk]))
    assert response.status_code == 200
    # The person picker's candidates (core.pickers.ReferenceField.queryset is a callable).
    return {user.username for user in response.context["form"].fields["user"].queryset()}


@pytest.fixture
def people(am, manager, other_am, ops, stranger, team):
    teammate = UserFactory(username="teammate", team=team)
    UserFactory(username="gone", team=team, is_active=False)
    return {"teammate": teammate, "stranger": stranger, "other_am": other_am}


def test_an_am_may_add_only_their_own_team(client, am, account, people):
    client.force_login(am)
    assert _choices(client, account) == {"am", "teammate", "manager"}


def test_a_manager_may_add_the_people_of_their_teams(client, manager, account, people):
    client.force_login(manager)
    assert _choices(client, account) == {"am", "teammate", "manager"}


def test_ops_may_add_anyone_active(client, ops, account, people):
    client.force_login(ops)
    assert _choices(client, account) == {
        "am",
        "teammate",
        "manager",
        "otheram",
        "othermanager",
        "stranger",
        "thirdmanager",
        "ops",
    }


@pytest.mark.parametrize("who", ["am", "manager"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_forged_post_with_someone_of_another_team_writes_nothing(
    client, request, account, people, who, htmx
):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "stranger" not in html
    before = db_rows()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = client.post(
        reverse("accounts:team_member_create", args=[account.pk]),
        {"user": people["stranger"].pk, "role": "se"},
        **headers,
    )

    assert response.status_code == (422 if htmx else 200)  # the form again, with the error
    assert "Choose from the suggestions, or type a name exactly." in response.content.decode()
    assert "stranger" not in response.content.decode()
    assert db_rows() == before


def test_editing_a_member_someone_else_added_keeps_them_but_offers_no_one_else(
    client, am, account, people
):
    """Ops put an AM of another team on am's virtual team; am edits that row: the person
    stays a choice (they are on the card already), and no other outsider appears."""
    member = AccountTeamMemberFactory(account=account, user=people["other_am"], role="pam")
    client.force_login(am)
    url = reverse("accounts:team_member_edit", args=[account.pk, member.pk])
    form = client.get(url).context["form"]
    assert {u.username for u in form.fields["user"].queryset()} == {
        "am",
        "teammate",
        "manager",
        "otheram",
    }
    kept = {"user": people["other_am"].pk, "role": "pam", "notes": "Partner desk", "version": 1}
    response = client.post(url, kept)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.user, member.notes, member.version) == (people["other_am"], "Partner desk", 2)
    before = db_rows()
    response = client.post(url, {"user": people["stranger"].pk, "role": "pam", "version": 2})
    assert response.status_code == 200
    assert db_rows() == before
