"""Reference pickers on the account forms: suggestions come only from what the user may pick,
and without JavaScript the typed text resolves to exactly one row or says why not."""

import pytest
from django.urls import reverse

from accounts.models import Account, AccountTeamMember
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def suggestions(client, url, text, **params) -> list[str]:
    html = client.get(url, {"x_search": text, **params}).content.decode()
    return [part.split('"')[0] for part in html.split('data-label="')[1:]]


def test_account_suggestions_are_visible_accounts_but_never_the_account_itself(
    client, am, account, other_account
):
    AccountFactory(owner=am, name="Zenith Capital", external_id="ZC-1")
    client.force_login(am)
    url = reverse("accounts:pick_account")
    assert suggestions(client, url, "zen") == ["Zenith Capital (ZC-1)", "Zenith Example Bank"]
    assert suggestions(client, url, "zen", exclude=account.pk) == ["Zenith Capital (ZC-1)"]
    assert suggestions(client, url, "Other Telecom") == []  # other_account: not visible


def test_owner_suggestions_are_the_ams_the_user_may_assign(client, am, manager, other_am):
    UserFactory(username="teammate", first_name="Tola", team=am.team)
    client.force_login(manager)
    url = reverse("accounts:pick_owner")
    assert "teammate" in " ".join(suggestions(client, url, "t"))
    assert not [s for s in suggestions(client, url, "otheram") if "otheram" in s]


def test_member_suggestions_are_the_people_the_actor_may_add(client, am, account, other_am):
    UserFactory(username="sola", first_name="Sola", last_name="Specialist", team=am.team)
    client.force_login(am)
    url = reverse("accounts:pick_member", args=[account.pk])
    assert suggestions(client, url, "sola") == ["Sola Specialist (sola)"]
    assert suggestions(client, url, "otheram") == []
    hidden = AccountFactory(owner=other_am)
    assert client.get(reverse("accounts:pick_member", args=[hidden.pk])).status_code == 404


def post_parent(client, account, **fields):
    url = reverse("accounts:edit", args=[account.pk])
    form = client.get(url).context["form"]
    data = {
        name: str(form[name].value())
        for name in ("name", "segment", "ltp", "version", "original")
        if form[name].value() is not None
    }
    data["owner"] = str(account.owner_id)
    return client.post(url, {**data, **fields})


def test_a_typed_parent_resolves_without_javascript(client, am, account):
    hq = AccountFactory(owner=am, name="Eko Group HQ", external_id="EKO-1")
    client.force_login(am)
    # Typed exactly (case aside): the one account with that name.
    assert post_parent(client, account, parent="", parent_search="eko group hq").status_code == 302
    account.refresh_from_db()
    assert account.parent_id == hq.pk


def test_a_typed_parent_that_matches_several_or_none_is_explained(client, am, account):
    AccountFactory(owner=am, name="Twin Ltd", external_id="T-1")
    AccountFactory(owner=am, name="Twin Ltd", external_id="T-2")
    client.force_login(am)
    many = post_parent(client, account, parent="", parent_search="Twin Ltd")
    assert many.context["form"].errors["parent"] == [
        "2 match “Twin Ltd”: type the full name or the external id."
    ]
    by_id = post_parent(client, account, parent="", parent_search="t-2")
    assert by_id.status_code == 302
    none = post_parent(client, account, parent="", parent_search="Nowhere Ltd")
    assert none.context["form"].errors["parent"] == [
        "Nothing you may choose matches “Nowhere Ltd”."
    ]


def test_a_forged_id_outside_the_users_view_is_refused(client, am, account, other_account):
    client.force_login(am)
    response = post_parent(client, account, parent=str(other_account.pk))
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    account.refresh_from_db()
    assert account.parent_id is None
    assert Account.objects.get(pk=other_account.pk).downstream.count() == 0


def test_a_forged_member_outside_the_candidates_is_refused(client, am, account, other_am):
    client.force_login(am)
    url = reverse("accounts:team_member_create", args=[account.pk])
    response = client.post(url, {"user": str(other_am.pk), "role": "ssp"})
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert not AccountTeamMember.objects.exists()
