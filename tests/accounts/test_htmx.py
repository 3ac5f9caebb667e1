"""The htmx side of the account pages: the list's live filters answer with the results card
alone, and the virtual-team card adds and removes members inline. Each fragment comes from the
same view as the full page, which still answers requests without htmx exactly as before."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import AccountTeamMember
from tests.factories import AccountFactory, AccountTeamMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def templates(response) -> set[str]:
    return {t.name for t in response.templates}


def table_names(response) -> list[str]:
    """The account names in the results table, in order, read from the HTML."""
    html = response.content.decode()
    tbody = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a class="kp-truncate[^"]*" href="/accounts/\d+/"[^>]*>([^<]+)</a>', tbody)


def members(account) -> list[tuple[str, str, str]]:
    return list(
        AccountTeamMember.objects.filter(account=account)
        .order_by("pk")
        .values_list("name", "role", "notes")
    )


# --- list ---------------------------------------------------------------------------


@pytest.fixture
def listed(am, other_am, account):
    """Zenith Example Bank (fixture) and two more of am's accounts, one of another AM's."""
    AccountFactory(owner=am, name="Zeta Freight Ltd")
    AccountFactory(owner=am, name="Alpha Mills")
    AccountFactory(owner=other_am, name="Zebra Not Yours")


def test_htmx_list_returns_only_the_results_card_with_the_filtered_rows(client, am, listed):
    client.force_login(am)

    response = client.get(reverse("accounts:list"), {"q": "ze", "sort": "-name"}, headers=HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert templates(response) >= {"accounts/partials/account_results.html"}
    assert "accounts/account_list.html" not in templates(response)
    assert "base.html" not in templates(response)
    assert "<html" not in html
    assert "kp-sidebar" not in html
    assert 'class="kp-filters kp-filters-compact"' not in html
    assert html.count('id="account-results"') == 1
    assert table_names(response) == ["Zeta Freight Ltd", "Zenith Example Bank"]
    assert "<h2>2 accounts</h2>" in html
    # What sits outside the card follows the filters, swapped out of band.
    assert (
        '<a class="btn btn-outline-primary" id="account-export" '
        'href="/accounts/export/?q=ze&amp;sort=-name" hx-swap-oob="true">'
    ) in html
    assert '<input type="hidden" name="sort" value="-name">' in html
    assert '<p id="account-results-status" hx-swap-oob="innerHTML">2 accounts matching' in html
    # Sorting links fetch in place, keeping the filters.
    assert 'href="?q=ze" hx-get="?q=ze">Account' in html
    assert 'href="?q=ze&amp;sort=-ltp" hx-get="?q=ze&amp;sort=-ltp">LTP' in html
    # The address bar gets the short URL of what is shown.
    assert response["HX-Push-Url"] == "/accounts/?q=ze&sort=-name"
    assert "HX-Request" in response["Vary"]


def test_htmx_list_replaces_the_history_entry_when_the_url_is_unchanged(client, am, listed):
    client.force_login(am)

    response = client.get(
        reverse("accounts:list"),
        {"q": "ze", "segment": "", "owner": ""},
        headers={**HX, "HX-Current-URL": "http://testserver/accounts/?q=ze"},
    )

    assert response["HX-Replace-Url"] == "/accounts/?q=ze"
    assert "HX-Push-Url" not in response


def test_htmx_list_pages_keep_the_filters(client, am, team):
    for i in range(30):
        AccountFactory(owner=am, name=f"Acme {i:02d}")
    client.force_login(am)

    response = client.get(reverse("accounts:list"), {"q": "acme", "page": "2"}, headers=HX)

    assert table_names(response) == [f"Acme {i:02d}" for i in range(25, 30)]
    assert response["HX-Push-Url"] == "/accounts/?q=acme&page=2"
    assert 'href="?q=acme&amp;page=1" hx-get="?q=acme&amp;page=1"' in response.content.decode()


def test_list_without_htmx_is_the_full_page(client, am, listed):
    client.force_login(am)

    response = client.get(reverse("accounts:list"), {"q": "ze"})

    html = response.content.decode()
    assert response.status_code == 200
    assert {"accounts/account_list.html", "base.html"} <= templates(response)
    assert html.startswith("<!doctype html>")
    assert 'class="kp-sidebar"' in html
    assert 'class="kp-filters kp-filters-compact"' in html
    assert html.count('id="account-results"') == 1
    assert table_names(response) == ["Zenith Example Bank", "Zeta Freight Ltd"]
    # In place, not out of band: the export link, the filter state and an empty status line.
    assert 'href="/accounts/export/?q=ze">' in html
    assert "hx-swap-oob" not in html
    assert '<p id="account-results-status" class="visually-hidden" role="status"></p>' in html
    assert "HX-Push-Url" not in response
    assert "HX-Request" in response["Vary"]


def test_boosted_and_history_restore_requests_get_the_full_page(client, am, listed):
    client.force_login(am)
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        response = client.get(reverse("accounts:list"), headers={**HX, **extra})
        assert "accounts/account_list.html" in templates(response)
        assert 'class="kp-sidebar"' in response.content.decode()


@pytest.mark.parametrize("n, rows", [(5, 5), (30, 25)])
def test_htmx_list_query_count_is_constant(client, django_assert_num_queries, am, team, n, rows):
    owners = [am] + [UserFactory(team=team) for _ in range(3)]
    for i in range(n):
        account = AccountFactory(owner=owners[i % 4], parent=None)
        if account.owner_id != am.pk:
            AccountTeamMemberFactory(account=account, user=am)
    client.force_login(am)

    # session, user, count, page rows, owner loads (no filter option lists)
    with django_assert_num_queries(5):
        response = client.get(reverse("accounts:list"), headers=HX)

    assert len(table_names(response)) == rows


# --- virtual team card --------------------------------------------------------------


def test_htmx_add_member_opens_the_inline_form_in_the_card(client, am, account):
    client.force_login(am)

    response = client.get(reverse("accounts:team_member_create", args=[account.pk]), headers=HX)

    html = response.content.decode()
    assert response.status_code == 200
    assert templates(response) >= {
        "accounts/partials/team_card.html",
        "accounts/partials/team_member_form.html",
    }
    assert "base.html" not in templates(response)
    assert html.lstrip().startswith('<section class="card h-100 kp-busy" id="team"')
    assert f'hx-post="/accounts/{account.pk}/team/new/"' in html
    # The person picker's text box takes the focus once the form is swapped in.
    assert re.search(r'name="user_search"[^>]*autofocus', html)
    assert "No virtual team yet" not in html  # the form replaces the empty state
    assert "HX-Request" in response["Vary"]


def test_htmx_add_member_writes_it_and_returns_the_card_with_it(client, am, account):
    AccountTeamMemberFactory(account=account, user=UserFactory(first_name="Ify", last_name="Eze"))
    client.force_login(am)

    response = client.post(
        reverse("accounts:team_member_create", args=[account.pk]),
        {"name": "Tunde Bakare", "email": "tunde@example.com", "role": "se", "notes": "Azure"},
        headers=HX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "accounts/partials/team_card.html" in templates(response)
    assert "accounts/partials/team_member_form.html" not in templates(response)
    assert "base.html" not in templates(response)
    assert [m.display_name for m in response.context["team"]] == ["Tunde Bakare", "Ify Eze"]
    assert "Tunde Bakare added as Solution engineer." in html
    assert 'href="mailto:tunde@example.com"' in html
    assert members(account)[-1] == ("Tunde Bakare", "se", "Azure")
    assert AccountTeamMember.objects.filter(account=account).count() == 2
    # The card said so; no flash message is left for the next page load.
    assert list(get_messages(response.wsgi_request)) == []


def test_htmx_invalid_add_answers_422_with_the_errors_and_writes_nothing(client, am, account):
    client.force_login(am)

    response = client.post(
        reverse("accounts:team_member_create", args=[account.pk]),
        {"name": "", "role": "", "notes": "Knows the CIO"},
        headers=HX,
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "accounts/partials/team_member_form.html" in templates(response)
    assert response.context["team_form"].errors == {
        "name": ["Choose a user or give the person's name."],
        "role": ["This field is required."],
    }
    assert 'id="id_name_error"' in html
    assert 'id="id_role_error"' in html
    assert "Please fix the problems below; nothing has been saved yet." in html
    assert 'value="Knows the CIO"' in html  # the user's input is kept
    assert 'name="name" maxlength="120" class="form-control" autofocus' in html
    assert members(account) == []


def test_add_without_htmx_keeps_the_full_page_form_and_redirect(client, am, account):
    client.force_login(am)
    url = reverse("accounts:team_member_create", args=[account.pk])

    page = client.get(url)
    invalid = client.post(url, {"name": "", "role": ""})
    saved = client.post(url, {"name": "Tunde Bakare", "role": "se"})

    assert "object_form.html" in templates(page)
    assert (invalid.status_code, "object_form.html" in templates(invalid)) == (200, True)
    assert saved.status_code == 302
    assert saved["Location"] == f"/accounts/{account.pk}/#team"
    assert members(account) == [("Tunde Bakare", "se", "")]


def test_htmx_remove_member_returns_the_card_without_it(client, am, account):
    leaving = AccountTeamMemberFactory(account=account, user=None, name="Leaving Person")
    staying = AccountTeamMemberFactory(account=account, user=None, name="Staying Person")
    client.force_login(am)

    response = client.post(
        reverse("accounts:team_member_delete", args=[account.pk, leaving.pk]), headers=HX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "accounts/partials/team_card.html" in templates(response)
    assert [m.pk for m in response.context["team"]] == [staying.pk]
    assert "Leaving Person removed from the virtual team." in html
    assert f'id="team-member-{leaving.pk}"' not in html
    assert list(AccountTeamMember.objects.filter(account=account)) == [staying]


def test_htmx_cancel_returns_the_card_and_without_htmx_redirects(client, am, account):
    client.force_login(am)
    url = reverse("accounts:team", args=[account.pk])

    card = client.get(url, headers=HX)
    page = client.get(url)

    assert card.status_code == 200
    assert "accounts/partials/team_member_form.html" not in templates(card)
    assert "No virtual team yet" in card.content.decode()
    assert page.status_code == 302
    assert page["Location"] == f"/accounts/{account.pk}/#team"


def test_detail_page_shows_the_team_card_partial(client, am, account):
    AccountTeamMemberFactory(account=account, user=None, name="Tunde Bakare")
    client.force_login(am)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert "accounts/partials/team_card.html" in templates(response)
    assert "accounts/partials/team_member_form.html" not in templates(response)
    assert "Tunde Bakare" in response.content.decode()


def test_htmx_requests_on_another_ams_account_answer_404_and_write_nothing(
    client, am, other_account
):
    member = AccountTeamMemberFactory(account=other_account, user=None, name="Kept Person")
    client.force_login(am)
    create = reverse("accounts:team_member_create", args=[other_account.pk])

    answers = [
        client.get(create, headers=HX).status_code,
        client.post(create, {"name": "Intruder", "role": "se"}, headers=HX).status_code,
        client.post(
            reverse("accounts:team_member_delete", args=[other_account.pk, member.pk]),
            headers=HX,
        ).status_code,
        client.get(reverse("accounts:team", args=[other_account.pk]), headers=HX).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert members(other_account) == [("Kept Person", "ssp", "")]
