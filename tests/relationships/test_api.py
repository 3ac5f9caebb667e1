"""GET/POST/PUT/PATCH/DELETE /api/v1/stakeholders/, /interactions/ and /surveys/ (api.md):
shapes, visibility (others' objects 404), write permission (403, nothing written), bad input
(400 naming the field), filters, sync, and query counts."""

import datetime

import pytest

from relationships.models import (
    ATTITUDE_MESSAGE,
    INFLUENCE_MESSAGE,
    REPORTS_TO_ACCOUNT_MESSAGE,
    SCORE_MESSAGE,
    STRENGTH_MESSAGE,
    SURVEY_ACCOUNT_MESSAGE,
    Interaction,
    Level,
    Stakeholder,
    SurveyResponse,
)
from relationships.services import CYCLE_MESSAGE, INTERACTION_STAKEHOLDERS_MESSAGE
from tests.factories import AccountFactory
from tests.relationships.factories import (
    InteractionFactory,
    StakeholderFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db
STAKEHOLDERS = "/api/v1/stakeholders/"
INTERACTIONS = "/api/v1/interactions/"
SURVEYS = "/api/v1/surveys/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def rows(model):
    return list(model.objects.order_by("pk").values())


# --- shapes -----------------------------------------------------------------------------


def test_a_stakeholder_has_every_field_of_api_md(api_as, am, account):
    boss = StakeholderFactory(account=account, name="Boss", level=Level.CXO)
    person = StakeholderFactory(
        account=account,
        name="Ada Obi",
        title="Group CIO",
        email="ada@example.com",
        level=Level.EXECUTIVE,
        reports_to=boss,
        buying_role="champion",
        influence=5,
        attitude=2,
        strength=4,
        internal_owner=am,
        cpe_survey_recipient=True,
    )
    response = api_as(am).get(f"{STAKEHOLDERS}{person.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{person.pk}-1"'
    body = response.json()
    assert body == {
        "id": person.pk,
        "account": account.pk,
        "name": "Ada Obi",
        "title": "Group CIO",
        "email": "ada@example.com",
        "phone": "",
        "level": "executive",
        "department": "",
        "reports_to": boss.pk,
        "buying_role": "champion",
        "influence": 5,
        "attitude": 2,
        "attitude_label": "Supporter",
        "strength": 4,
        "strength_label": "Problem solver",
        "internal_owner": "am",
        "cpe_survey_recipient": True,
        "last_interaction_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "version": 1,
    }


def test_interactions_and_surveys_through_the_api(api_as, am, account):
    client = api_as(am)
    ada = StakeholderFactory(account=account)
    response = client.post(
        INTERACTIONS,
        {
            "account": account.pk,
            "date": "2026-10-01",
            "kind": "briefing",
            "stakeholders": [ada.pk],
            "summary": "Roadmap briefing",
            "business_value_discussed": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["logged_by"], body["stakeholders"], body["version"]) == ("am", [ada.pk], 1)
    assert client.get(f"{STAKEHOLDERS}{ada.pk}/").json()["last_interaction_at"] == "2026-10-01"

    response = client.post(SURVEYS, {"stakeholder": ada.pk, "fiscal_year": 2027, "score": 4})
    assert response.status_code == 201, response.content
    survey = response.json()
    assert (survey["account"], survey["score"]) == (account.pk, 4)
    again = client.post(SURVEYS, {"stakeholder": ada.pk, "fiscal_year": 2027, "score": 5})
    assert again.status_code == 400
    assert SurveyResponse.objects.get().score == 4
    assert client.patch(f"{SURVEYS}{survey['id']}/", {"score": 5, "version": 1}).status_code == 200
    assert client.patch(f"{SURVEYS}{survey['id']}/", {"score": 3, "version": 1}).status_code == 409
    assert client.delete(f"{SURVEYS}{survey['id']}/").status_code == 204
    assert client.delete(f"{INTERACTIONS}{body['id']}/").status_code == 204
    assert client.get(f"{STAKEHOLDERS}{ada.pk}/").json()["last_interaction_at"] is None


# --- visibility -------------------------------------------------------------------------


def test_others_objects_answer_404_on_every_endpoint(api_as, am, other_am, other_account):
    theirs = StakeholderFactory(account=other_account)
    interaction = InteractionFactory(account=other_account, logged_by=other_am)
    survey = SurveyResponseFactory(stakeholder=theirs)
    client = api_as(am)
    for url, obj in [
        (STAKEHOLDERS, theirs),
        (INTERACTIONS, interaction),
        (SURVEYS, survey),
    ]:
        assert ids(client.get(url)) == []
        assert client.get(f"{url}{obj.pk}/").status_code == 404
        assert client.patch(f"{url}{obj.pk}/", {}).status_code == 404
        assert client.delete(f"{url}{obj.pk}/").status_code == 404
    assert ids(api_as(other_am).get(STAKEHOLDERS)) == [theirs.pk]
    before = [rows(Stakeholder), rows(Interaction), rows(SurveyResponse)]
    # Nor can a write point at them.
    assert client.post(STAKEHOLDERS, {"account": other_account.pk, "name": "X"}).status_code == 400
    response = client.post(SURVEYS, {"stakeholder": theirs.pk, "fiscal_year": 2027, "score": 3})
    assert response.status_code == 400
    assert "stakeholder" in response.json()
    assert [rows(Stakeholder), rows(Interaction), rows(SurveyResponse)] == before


def test_a_manager_sees_their_teams_and_ops_see_all(api_as, am, manager, ops, other_account):
    mine = StakeholderFactory(account=AccountFactory(owner=am))
    theirs = StakeholderFactory(account=other_account)
    assert ids(api_as(manager).get(STAKEHOLDERS)) == [mine.pk]
    assert sorted(ids(api_as(ops).get(STAKEHOLDERS))) == sorted([mine.pk, theirs.pk])


# --- write permission -------------------------------------------------------------------


def test_a_vt_am_is_refused_403_on_what_they_do_not_own(api_as, vt_am, am, account):
    owners = StakeholderFactory(account=account, internal_owner=am, strength=2)
    own = StakeholderFactory(account=account, internal_owner=vt_am, strength=2)
    logged = InteractionFactory(account=account, logged_by=am)
    survey = SurveyResponseFactory(stakeholder=owners)
    client = api_as(vt_am)
    before = [rows(Stakeholder), rows(Interaction), rows(SurveyResponse)]
    for url, obj, body in [
        (STAKEHOLDERS, owners, {"strength": 5}),
        (INTERACTIONS, logged, {"summary": "Mine now"}),
        (SURVEYS, survey, {"score": 1}),
    ]:
        response = client.patch(f"{url}{obj.pk}/", body)
        assert response.status_code == 403, (url, response.content)
        assert "virtual team" in response.json()["detail"]
        assert client.delete(f"{url}{obj.pk}/").status_code == 403
    # A body that does not even validate is still a 403 for them.
    assert client.patch(f"{STAKEHOLDERS}{owners.pk}/", {"strength": 9}).status_code == 403
    response = client.post(SURVEYS, {"stakeholder": own.pk, "fiscal_year": 2027, "score": 5})
    assert response.status_code == 403
    assert [rows(Stakeholder), rows(Interaction), rows(SurveyResponse)] == before
    # What they own they change; what they log is theirs.
    assert client.patch(f"{STAKEHOLDERS}{own.pk}/", {"strength": 4}).status_code == 200
    response = client.post(INTERACTIONS, {"account": account.pk, "date": "2026-10-02"})
    assert (response.status_code, response.json()["logged_by"]) == (201, vt_am.username)


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("influence", 0, INFLUENCE_MESSAGE),
        ("influence", 6, INFLUENCE_MESSAGE),
        ("strength", 99999999999, STRENGTH_MESSAGE),
        ("attitude", -3, ATTITUDE_MESSAGE),
        ("attitude", 3, ATTITUDE_MESSAGE),
    ],
)
def test_out_of_range_is_a_400_naming_the_field(api_as, am, account, field, value, message):
    response = api_as(am).post(STAKEHOLDERS, {"account": account.pk, "name": "X", field: value})
    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert Stakeholder.objects.count() == 0


def test_reports_to_refusals_are_400_on_the_field(api_as, am, account):
    client = api_as(am)
    a = StakeholderFactory(account=account)
    b = StakeholderFactory(account=account, reports_to=a)
    elsewhere = StakeholderFactory(account=AccountFactory(owner=am))
    before = rows(Stakeholder)
    for child, parent, message in [
        (a, b, CYCLE_MESSAGE),
        (a, a, CYCLE_MESSAGE),
        (a, elsewhere, REPORTS_TO_ACCOUNT_MESSAGE),
    ]:
        response = client.patch(f"{STAKEHOLDERS}{child.pk}/", {"reports_to": parent.pk})
        assert (response.status_code, response.json()) == (400, {"reports_to": [message]})
    assert rows(Stakeholder) == before


def test_other_account_references_are_400(api_as, am, account):
    client = api_as(am)
    elsewhere = StakeholderFactory(account=AccountFactory(owner=am))
    response = client.post(
        INTERACTIONS,
        {"account": account.pk, "date": "2026-10-01", "stakeholders": [elsewhere.pk]},
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"stakeholders": [INTERACTION_STAKEHOLDERS_MESSAGE]},
    )
    response = client.post(
        SURVEYS,
        {"account": account.pk, "stakeholder": elsewhere.pk, "fiscal_year": 2027, "score": 4},
    )
    assert (response.status_code, response.json()) == (
        400,
        {"stakeholder": [SURVEY_ACCOUNT_MESSAGE]},
    )
    response = client.post(SURVEYS, {"stakeholder": elsewhere.pk, "fiscal_year": 2027, "score": 9})
    assert (response.status_code, response.json()) == (400, {"score": [SCORE_MESSAGE]})
    assert (Interaction.objects.count(), SurveyResponse.objects.count()) == (0, 0)


# --- filters and sync -------------------------------------------------------------------


def test_filters(api_as, am, account):
    other = AccountFactory(owner=am)
    cxo = StakeholderFactory(account=account, level=Level.CXO, strength=5, internal_owner=am)
    pro = StakeholderFactory(
        account=account, level=Level.IT_PRO, reports_to=cxo, cpe_survey_recipient=True
    )
    far = StakeholderFactory(account=other, level=Level.IT_PRO)
    client = api_as(am)
    assert sorted(ids(client.get(STAKEHOLDERS, {"account": account.pk}))) == [cxo.pk, pro.pk]
    assert ids(client.get(STAKEHOLDERS, {"level": "it_pro", "account": other.pk})) == [far.pk]
    assert ids(client.get(STAKEHOLDERS, {"reports_to": cxo.pk})) == [pro.pk]
    assert ids(client.get(STAKEHOLDERS, {"internal_owner": "am"})) == [cxo.pk]
    assert ids(client.get(STAKEHOLDERS, {"cpe_survey_recipient": "true"})) == [pro.pk]
    assert ids(client.get(STAKEHOLDERS, {"strength_min": 3})) == [cxo.pk]
    assert ids(client.get(STAKEHOLDERS, {"sort": "-level", "account": account.pk})) == [
        cxo.pk,
        pro.pk,
    ]
    one = InteractionFactory(account=account, logged_by=am, business_value_discussed=True)
    one.stakeholders.set([pro])
    two = InteractionFactory(account=other, logged_by=am)
    assert ids(client.get(INTERACTIONS, {"stakeholder": pro.pk})) == [one.pk]
    assert ids(client.get(INTERACTIONS, {"account": other.pk})) == [two.pk]
    assert ids(client.get(INTERACTIONS, {"business_value_discussed": "true"})) == [one.pk]
    s1 = SurveyResponseFactory(stakeholder=pro, fiscal_year=2026)
    s2 = SurveyResponseFactory(stakeholder=pro, fiscal_year=2027)
    assert ids(client.get(SURVEYS, {"fiscal_year": 2026})) == [s1.pk]
    assert ids(client.get(SURVEYS, {"stakeholder": pro.pk})) == [s2.pk, s1.pk]
    assert client.get(SURVEYS, {"fiscal_year": 99999999999}).status_code == 400


@pytest.mark.parametrize("url", [STAKEHOLDERS, INTERACTIONS, SURVEYS])
def test_updated_since_lists_in_sync_order_with_sync_until(api_as, am, account, url):
    person = StakeholderFactory(account=account)
    InteractionFactory(account=account, logged_by=am)
    SurveyResponseFactory(stakeholder=person)
    response = api_as(am).get(url, {"updated_since": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 1
    assert "sync_until" in body


def test_an_interaction_makes_its_people_reach_sync_clients(api_as, am, account):
    person = StakeholderFactory(account=account)
    Stakeholder.objects.filter(pk=person.pk).update(
        updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    client = api_as(am)
    since = {"updated_since": "2021-01-01T00:00:00Z"}
    assert client.get(STAKEHOLDERS, since).json()["results"] == []
    client.post(
        INTERACTIONS,
        {"account": account.pk, "date": "2026-10-01", "stakeholders": [person.pk]},
        format="json",
    )
    (row,) = client.get(STAKEHOLDERS, since).json()["results"]
    assert (row["id"], row["last_interaction_at"]) == (person.pk, "2026-10-01")


# --- query counts -----------------------------------------------------------------------


@pytest.mark.parametrize("url", [STAKEHOLDERS, INTERACTIONS, SURVEYS])
def test_list_query_count_stays_flat_as_rows_grow(
    api_as, am, account, url, django_assert_max_num_queries
):
    client = api_as(am)
    boss = StakeholderFactory(account=account, internal_owner=am)

    def grow(n):
        for _ in range(n):
            person = StakeholderFactory(account=account, reports_to=boss, internal_owner=am)
            InteractionFactory(account=account, logged_by=am).stakeholders.set([person, boss])
            SurveyResponseFactory(stakeholder=person)

    grow(3)
    with django_assert_max_num_queries(8) as small:
        count = len(ids(client.get(url)))
    grow(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(ids(client.get(url))) == count + 30
    with django_assert_max_num_queries(len(small.captured_queries) + 1):
        response = client.get(url, {"updated_since": "2000-01-01T00:00:00Z"})
        assert len(response.json()["results"]) == count + 30


def test_deleting_a_stakeholder_with_survey_scores_is_409(api_as, am, account):
    person = StakeholderFactory(account=account)
    SurveyResponseFactory(stakeholder=person)
    response = api_as(am).delete(f"{STAKEHOLDERS}{person.pk}/")
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "Still referenced by RM survey scores; remove those first."},
    )
    assert Stakeholder.objects.filter(pk=person.pk).exists()
