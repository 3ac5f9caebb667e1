"""The relationship pages: the map (full page and the account page's section), the
re-parent form, add / edit (stale-save merge) / delete a stakeholder; visibility (others'
accounts and people answer 404), write permission (a virtual-team AM edits only the people
they own: a forged POST gets the 403 page and changes nothing), bad input as form errors,
and the map's query count at 60 stakeholders."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from relationships import services
from relationships.models import Level, Stakeholder
from tests.html_forms import form_data
from tests.relationships.factories import StakeholderFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def map_url(account):
    return reverse("relationships:map", args=[account.pk])


def edit_url(person):
    return reverse("relationships:stakeholder_edit", args=[person.pk])


def row(person):
    return Stakeholder.objects.filter(pk=person.pk).values().first()


def grow(account, count, owner=None):
    """`count` more people on `account`, in a tree: each reports to an earlier one."""
    existing = list(Stakeholder.objects.filter(account=account).order_by("pk"))
    levels = list(Level)
    for n in range(count):
        manager = existing[(len(existing) - 1) // 3] if existing else None
        person = StakeholderFactory(
            account=account,
            reports_to=manager,
            level=levels[min(len(existing), len(levels) - 1) if manager else 0],
            internal_owner=owner,
            attitude=(n % 5) - 2,
            influence=(n % 5) + 1,
            strength=(n % 5) + 1,
            buying_role="blocker" if n % 7 == 0 else "influencer",
            last_interaction_at=timezone.localdate() - datetime.timedelta(days=n * 10),
        )
        existing.append(person)
    return existing


# --- the map --------------------------------------------------------------------------


def test_map_draws_each_person_with_ladder_words_flags_and_the_gaps(client, am, account):
    ceo = StakeholderFactory(
        account=account,
        name="Ines Ceo",
        title="Group CEO",
        level=Level.CXO,
        strength=2,
        attitude=-2,
        buying_role="blocker",
        influence=5,
    )
    StakeholderFactory(
        account=account,
        name="Hugo Head",
        title="Head of Digital Banking",
        level=Level.LOB_DIRECTOR,
        strength=4,
        attitude=2,
        reports_to=ceo,
        internal_owner=am,
        last_interaction_at=timezone.localdate(),
    )
    client.force_login(am)
    page = client.get(map_url(account))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Ines Ceo" in html and "Hugo Head" in html
    assert "4 · Problem solver" in html and "2 · Vendor" in html
    assert "⚑ Blocker" in html and "Detractor" in html and "Supporter" in html
    assert "kp-att-m2" in html and "kp-att-p2" in html
    assert "No relationship at CXO level" in html
    assert "No relationship at LOB director level" not in html
    assert len(page.context["layout"].lines) == 2  # one reporting line, two segments
    # The text alternative lists the same people with their manager.
    table = html.split('id="people"')[1]
    assert "Hugo Head" in table and "Ines Ceo" in table


def test_account_page_has_the_relationships_section(client, am, account):
    StakeholderFactory(account=account, name="Carla Cio", level=Level.CXO, strength=5)
    client.force_login(am)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'id="relationships"' in html and "Carla Cio" in html
    assert "No relationship at CXO level" not in html
    assert "No relationship at Front line level" in html
    assert reverse("relationships:stakeholder_create", args=[account.pk]) in html
    assert "css/relationships.css" in html


def test_empty_map_invites_the_first_stakeholder(client, am, account):
    client.force_login(am)
    html = client.get(map_url(account)).content.decode()
    assert "No stakeholders yet" in html and "<svg" not in html
    assert "No relationship at CXO level" in html


# --- visibility -----------------------------------------------------------------------


def test_others_accounts_and_people_answer_404(client, am, other_account):
    theirs = StakeholderFactory(account=other_account, name="Theirs")
    before = row(theirs)
    client.force_login(am)
    for url in [
        map_url(other_account),
        edit_url(theirs),
        reverse("relationships:stakeholder_create", args=[other_account.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        edit_url(theirs),
        reverse("relationships:stakeholder_delete", args=[theirs.pk]),
        reverse("relationships:stakeholder_create", args=[other_account.pk]),
        reverse("relationships:reparent", args=[other_account.pk]),
    ]:
        assert client.post(url, {"name": "x", "person": theirs.pk}).status_code == 404, url
    assert row(theirs) == before
    assert Stakeholder.objects.count() == 1
    html = client.get(reverse("accounts:detail", args=[other_account.pk]))
    assert html.status_code == 404


# --- write permission -----------------------------------------------------------------


def test_virtual_team_am_edits_own_people_only(client, am, vt_am, account):
    owners = StakeholderFactory(account=account, name="Owner's contact", internal_owner=am)
    mine = StakeholderFactory(account=account, name="My contact", internal_owner=vt_am)
    before = row(owners)
    client.force_login(vt_am)
    page = client.get(map_url(account))
    assert page.status_code == 200
    html = page.content.decode()
    assert edit_url(mine) in html and edit_url(owners) not in html
    # The re-parent form offers only the people they may move.
    assert [p for p, _ in page.context["reparent_form"].fields["person"].choices] == ["", mine.pk]

    assert client.get(edit_url(owners)).status_code == 403
    forged = client.post(edit_url(owners), {"name": "Hijacked", "version": owners.version})
    assert forged.status_code == 403
    assert b"Only the account" in forged.content
    assert (
        client.post(reverse("relationships:stakeholder_delete", args=[owners.pk])).status_code
        == 403
    )
    moved = client.post(
        reverse("relationships:reparent", args=[account.pk]),
        {"person": owners.pk, "reports_to": mine.pk},
    )
    assert moved.status_code == 403
    assert row(owners) == before

    # Their own contact: editable, and they stay its owner whatever the form says.
    data = form_data(client.get(edit_url(mine)).content.decode())
    data.update({"title": "Head of Payments", "internal_owner": [str(am.pk)]})
    response = client.post(edit_url(mine), data)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.title == "Head of Payments" and mine.internal_owner == vt_am


def test_virtual_team_am_adds_a_person_they_own(client, vt_am, account):
    client.force_login(vt_am)
    url = reverse("relationships:stakeholder_create", args=[account.pk])
    data = form_data(client.get(url).content.decode())
    data.update({"name": "New Contact", "level": "it_pro", "strength": "3"})
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"].endswith("#map")
    person = Stakeholder.objects.get(name="New Contact")
    assert person.internal_owner == vt_am and person.account == account


# --- add / edit / delete --------------------------------------------------------------


def test_add_a_cxo_closes_the_gap(client, am, account):
    client.force_login(am)
    assert "No relationship at CXO level" in client.get(map_url(account)).content.decode()
    url = reverse("relationships:stakeholder_create", args=[account.pk])
    data = form_data(client.get(url).content.decode())
    data.update(
        {
            "name": "Grace Cio",
            "title": "Group CIO",
            "level": "cxo",
            "strength": "4",
            "attitude": "1",
            "influence": "5",
        }
    )
    assert client.post(url, data).status_code == 302
    person = Stakeholder.objects.get(name="Grace Cio")
    assert person.internal_owner == am and person.strength == 4
    assert "No relationship at CXO level" not in client.get(map_url(account)).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("strength", "6", "Select a valid choice"),
        ("influence", "0", "Select a valid choice"),
        ("attitude", "3", "Select a valid choice"),
        ("name", "", "This field is required"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client, am, account, field, value, message):
    client.force_login(am)
    url = reverse("relationships:stakeholder_create", args=[account.pk])
    data = form_data(client.get(url).content.decode())
    data.update({"name": "Someone", field: value})
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Stakeholder.objects.exists()


def test_reports_to_of_another_account_or_self_is_refused(client, am, account, other_account):
    stranger = StakeholderFactory(account=other_account)
    person = StakeholderFactory(account=account)
    before = row(person)
    client.force_login(am)
    data = form_data(client.get(edit_url(person)).content.decode())
    for bad in (stranger.pk, person.pk):
        data["reports_to"] = [str(bad)]
        response = client.post(edit_url(person), data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert row(person) == before


def test_stale_edit_is_merged_not_lost(client, am, account):
    person = StakeholderFactory(account=account, name="Ana", title="CFO")
    client.force_login(am)
    data = form_data(client.get(edit_url(person)).content.decode())
    services.stakeholder_update(actor=am, instance=person, data={"name": "Ana Maria"})
    data["title"] = "Group CFO"
    response = client.post(edit_url(person), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html and "Ana Maria" in html
    person.refresh_from_db()
    assert person.title == "CFO"


def test_delete_and_refused_delete(client, am, account):
    boss = StakeholderFactory(account=account, name="Boss")
    report = StakeholderFactory(account=account, reports_to=boss)
    scored = StakeholderFactory(account=account, name="Scored")
    SurveyResponseFactory(stakeholder=scored, fiscal_year=2026)
    client.force_login(am)
    response = client.post(reverse("relationships:stakeholder_delete", args=[boss.pk]), follow=True)
    assert "Boss deleted." in response.content.decode()
    report.refresh_from_db()
    assert report.reports_to is None
    response = client.post(
        reverse("relationships:stakeholder_delete", args=[scored.pk]), follow=True
    )
    assert "RM survey scores (FY2026)" in response.content.decode()
    assert Stakeholder.objects.filter(pk=scored.pk).exists()


# --- re-parent ------------------------------------------------------------------------


def test_reparent_moves_and_refuses_a_cycle_as_a_form_error(client, am, account):
    top = StakeholderFactory(account=account, name="Top")
    middle = StakeholderFactory(account=account, name="Middle", reports_to=top)
    bottom = StakeholderFactory(account=account, name="Bottom")
    client.force_login(am)
    url = reverse("relationships:reparent", args=[account.pk])
    response = client.post(url, {"person": bottom.pk, "reports_to": middle.pk})
    assert response.status_code == 302
    bottom.refresh_from_db()
    assert bottom.reports_to == middle

    before = row(top)
    response = client.post(url, {"person": top.pk, "reports_to": bottom.pk})
    assert response.status_code == 400
    assert (
        "cannot report to themselves or to someone who reports to them" in response.content.decode()
    )
    assert row(top) == before

    response = client.post(url, {"person": middle.pk, "reports_to": ""})
    assert response.status_code == 302
    middle.refresh_from_db()
    assert middle.reports_to is None


def test_reparent_to_another_accounts_person_is_refused(client, am, account, other_account):
    person = StakeholderFactory(account=account)
    stranger = StakeholderFactory(account=other_account)
    client.force_login(am)
    response = client.post(
        reverse("relationships:reparent", args=[account.pk]),
        {"person": person.pk, "reports_to": stranger.pk},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert row(person)["reports_to_id"] is None


# --- query counts ---------------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["am", "vt_am", "manager", "ops"])
def test_map_query_count_is_constant_up_to_60_people(
    client, request, account, django_assert_max_num_queries, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    grow(account, 5, owner=user)
    with django_assert_max_num_queries(20) as small:
        client.get(map_url(account))
    grow(account, 55, owner=user)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(map_url(account))
    assert len(response.context["layout"].cards) == 60


def test_account_page_query_count_is_constant_with_the_section(
    client, am, account, django_assert_max_num_queries
):
    client.force_login(am)
    url = reverse("accounts:detail", args=[account.pk])
    grow(account, 5)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    grow(account, 55)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
