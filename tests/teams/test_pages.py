"""People, teams and quotas in the product: who sees which page, who may change what (the
services' rules), inline quota editing with and without htmx, constant query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Sector
from core.exceptions import PermissionDeniedError
from teams import services
from teams.access import PEOPLE_PAGES_RULE, PEOPLE_RULE, QUOTA_RULE
from teams.models import Quota, Team, User
from tests.factories import (
    AccountFactory,
    ManagerFactory,
    QuotaFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
FY = 2027


@pytest.fixture
def people(am, manager, other_am, ops):
    """ops; the team's manager and its AM; another team's manager and AM."""
    return {
        "ops": ops,
        "manager": manager,
        "other_manager": other_am.team.manager,
        "am": am,
        "other_am": other_am,
    }


def status(client, user, method, url, data=None):
    client.force_login(user)
    response = getattr(client, method)(url, data or {})
    return response.status_code


# --- reads --------------------------------------------------------------------------------

READ_MATRIX = {
    # page: who gets what (ops, manager, other manager, am)
    "teams:people": (200, 200, 200, 403),
    "teams:teams": (200, 200, 200, 403),
    "teams:quotas": (200, 200, 200, 403),
}


@pytest.mark.parametrize("name", READ_MATRIX)
def test_the_people_pages_are_for_ops_and_managers(client, people, name):
    who = ("ops", "manager", "other_manager", "am")
    got = tuple(status(client, people[w], "get", reverse(name)) for w in who)
    assert got == READ_MATRIX[name]
    client.force_login(people["am"])
    assert PEOPLE_PAGES_RULE.replace("'", "&#x27;") in client.get(reverse(name)).content.decode()


def test_a_manager_sees_their_own_team_only(client, people):
    client.force_login(people["manager"])
    names = [p.username for p in client.get(reverse("teams:people")).context["page"]]
    assert "am" in names and "otheram" not in names and "ops" not in names
    teams = [t.name for t in client.get(reverse("teams:teams")).context["page"]]
    assert teams == [people["am"].team.name]
    rows = client.get(reverse("teams:quotas")).context["rows"]
    assert [row["am"].username for row in rows] == ["am"]


def test_people_show_role_team_capacity_and_active_accounts(client, people, settings):
    settings.AM_ACCOUNT_CAPACITY = 2
    AccountFactory.create_batch(3, owner=people["am"])
    AccountFactory(owner=people["am"], is_active=False)
    client.force_login(people["ops"])
    page = client.get(reverse("teams:people")).context["page"]
    am = next(p for p in page if p.username == "am")
    assert (am.active_account_count, am.over_capacity, am.team.name) == (
        3,
        True,
        people["am"].team.name,
    )
    html = client.get(reverse("teams:people")).content.decode()
    assert "Over capacity" in html and "Add person" in html
    client.force_login(people["manager"])
    assert "Add person" not in client.get(reverse("teams:people")).content.decode()


def test_the_sidebar_offers_people_to_managers_and_ops_only(client, people):
    for who, shown in (("ops", True), ("manager", True), ("am", False)):
        client.force_login(people[who])
        html = client.get(reverse("home")).content.decode()
        assert (f'href="{reverse("teams:people")}"' in html) is shown


# --- writes: people and teams (ops only) ----------------------------------------------------


def test_ops_add_and_edit_people_and_nobody_else_does(client, people):
    url = reverse("teams:person_create")
    data = {"username": "new.am", "first_name": "New", "role": "am", "team": people["am"].team_id}
    for who in ("manager", "other_manager", "am"):
        assert status(client, people[who], "post", url, data) == 403
        assert status(client, people[who], "get", url) == 403
    assert not User.objects.filter(username="new.am").exists()
    assert status(client, people["ops"], "post", url, data) == 302
    person = User.objects.get(username="new.am")
    assert (person.role, person.team_id, person.has_usable_password()) == (
        "am",
        people["am"].team_id,
        False,
    )

    edit = reverse("teams:person_edit", args=[person.pk])
    changed = {**data, "last_name": "Person", "version": person.version}
    assert status(client, people["manager"], "post", edit, changed) == 403
    assert status(client, people["ops"], "post", edit, changed) == 302
    person.refresh_from_db()
    assert (person.last_name, person.is_active) == ("Person", False)  # unticked: deactivated


def test_a_stale_person_edit_is_refused_and_keeps_the_input(client, people):
    person = people["am"]
    edit = reverse("teams:person_edit", args=[person.pk])
    client.force_login(people["ops"])
    data = {"username": "am", "first_name": "Mine", "role": "am", "version": person.version}
    client.post(edit, {**data, "first_name": "Theirs", "is_active": "on"})
    response = client.post(edit, {**data, "is_active": "on"})
    assert response.status_code == 409
    person.refresh_from_db()
    assert person.first_name == "Theirs"


def test_ops_add_and_edit_teams(client, people):
    url = reverse("teams:team_create")
    data = {"name": "Abuja Public", "territory": "Abuja", "manager": people["manager"].pk}
    assert status(client, people["manager"], "post", url, data) == 403
    assert status(client, people["ops"], "post", url, data) == 302
    team = Team.objects.get(name="Abuja Public")
    edit = reverse("teams:team_edit", args=[team.pk])
    data = {**data, "territory": "Abuja Central", "version": 1}
    assert status(client, people["am"], "post", edit, data) == 403
    assert status(client, people["ops"], "post", edit, data) == 302
    team.refresh_from_db()
    assert (team.territory, team.manager_id) == ("Abuja Central", people["manager"].pk)
    client.force_login(people["manager"])
    assert PEOPLE_RULE.replace("'", "&#x27;") in client.post(edit, data).content.decode()


# --- writes: quotas (ops, or the AM's manager) ----------------------------------------------

QUOTA = {"amount": "4,000,000", "q1": "1,000,000", "q2": "1 000 000", "q3": "1000000", "q4": ""}


def test_quota_permission_matrix(client, people):
    url = reverse("teams:quota_edit", args=[people["am"].pk, FY])
    full = {**QUOTA, "q4": "1,000,000"}
    assert status(client, people["am"], "post", url, full) == 403
    assert status(client, people["other_manager"], "post", url, full) == 404  # not visible
    assert not Quota.objects.exists()
    assert status(client, people["manager"], "post", url, full) == 302
    quota = Quota.objects.get(user=people["am"], fiscal_year=FY)
    assert (quota.amount, quota.q2, quota.version) == (Decimal("4000000"), Decimal("1000000"), 1)
    more = {**full, "amount": "4,400,000", "q4": "1,400,000", "version": 1}
    assert status(client, people["ops"], "post", url, more) == 302
    quota.refresh_from_db()
    assert (quota.amount, quota.version) == (Decimal("4400000"), 2)
    client.force_login(people["am"])
    assert PEOPLE_PAGES_RULE.replace("'", "&#x27;") in client.post(url, full).content.decode()
    with pytest.raises(PermissionDeniedError, match=QUOTA_RULE):
        services.quota_update(
            actor=people["other_manager"], instance=quota, data={"amount": Decimal("1")}
        )


def test_a_split_that_does_not_add_up_is_a_form_error_and_writes_nothing(client, people):
    url = reverse("teams:quota_edit", args=[people["am"].pk, FY])
    client.force_login(people["manager"])
    response = client.post(url, QUOTA)  # q4 missing
    assert response.status_code == 200
    assert "Give all four quarters or none" in response.content.decode()
    wrong = client.post(url, {**QUOTA, "q4": "5"})
    assert "The quarters add up to 3,000,005.00, not 4,000,000.00." in wrong.content.decode()
    assert not Quota.objects.exists()


def test_quotas_edit_inline_with_htmx_and_fall_back_to_a_page(client, people):
    am = people["am"]
    url = reverse("teams:quota_edit", args=[am.pk, FY])
    client.force_login(people["manager"])
    page = client.get(url)
    assert page.status_code == 200 and "kp-sidebar" in page.content.decode()  # no JS: a page
    htmx = {"HTTP_HX_REQUEST": "true"}
    row = client.get(url, **htmx)
    html = row.content.decode()
    assert html.lstrip().startswith(f'<tr id="quota-{am.pk}"') and 'hx-post="' in html
    bad = client.post(url, {**QUOTA, "amount": "lots"}, **htmx)
    assert bad.status_code == 422 and "Enter an amount" in bad.content.decode()
    saved = client.post(url, {"amount": "2,000,000"}, **htmx)
    assert saved.status_code == 200
    assert "Quota for" in saved.content.decode() and "USD 2,000,000" in saved.content.decode()
    cancel = client.get(url + "?cancel=1", **htmx)
    assert "USD 2,000,000" in cancel.content.decode() and "<form" not in cancel.content.decode()
    assert client.get(url + "?cancel=1").status_code == 302


def test_a_fiscal_year_outside_the_offered_range_is_404(client, people):
    client.force_login(people["ops"])
    assert client.get(reverse("teams:quota_edit", args=[people["am"].pk, 1999])).status_code == 404
    listed = client.get(reverse("teams:quotas"), {"fy": "abc"})
    assert listed.status_code == 200 and listed.context["fy"] in listed.context["fiscal_years"]


# --- query counts -----------------------------------------------------------------------------


def _grow(n: int) -> None:
    for _ in range(n):
        manager = ManagerFactory()
        team = TeamFactory(manager=manager)
        for _ in range(3):
            am = UserFactory(team=team)
            AccountFactory(owner=am)
            QuotaFactory(user=am, fiscal_year=FY)


@pytest.mark.parametrize("name", ["teams:people", "teams:teams", "teams:quotas"])
def test_the_pages_cost_the_same_queries_however_many_people(
    client, people, name, django_assert_num_queries
):
    client.force_login(people["ops"])
    url = reverse(name) + f"?fy={FY}"
    _grow(1)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _grow(5)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


# --- catalogues -------------------------------------------------------------------------------


def test_the_catalogue_pages_are_for_ops(client, people):
    url = reverse("catalogue", args=["sectors"])
    for who in ("manager", "am"):
        assert status(client, people[who], "get", url) == 403
        assert (
            status(client, people[who], "post", reverse("catalogue_create", args=["sectors"]), {})
            == 403
        )
    assert status(client, people["ops"], "get", url) == 200
    assert status(client, people["ops"], "get", reverse("catalogue", args=["nothing"])) == 404


def test_ops_add_rename_and_deactivate_a_value(client, people):
    client.force_login(people["ops"])
    create = reverse("catalogue_create", args=["sectors"])
    assert client.post(create, {"name": "Non-profit", "order": 9, "is_active": "on"}).status_code
    entry = Sector.objects.get(name="Non-profit")
    assert entry.slug == "non-profit"
    AccountFactory(owner=people["am"], sector=entry)
    listed = client.get(reverse("catalogue", args=["sectors"]))
    row = next(e for e in listed.context["entries"] if e.pk == entry.pk)
    assert row.uses == 1
    edit = reverse("catalogue_edit", args=["sectors", entry.pk])
    response = client.post(edit, {"name": "NGO", "slug": "ngo", "order": 9, "version": 1})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.name, entry.slug, entry.is_active) == ("NGO", "ngo", False)
    duplicate = client.post(create, {"name": "ngo", "order": 1, "is_active": "on"})
    assert duplicate.status_code == 200
    assert Sector.objects.filter(name__iexact="ngo").count() == 1
