"""domain.md's write permission on relationships, position by position, through the
services (the API, pages and admin call the same ones).

Around one account owned by `am`:

- owner           the account's owner AM: changes everything on it;
- vt_am           an AM of another team on its virtual team: logs interactions and edits
                  those they logged, adds and edits the stakeholders they own (internal
                  owner), never hands one to someone else; nothing else (other stakeholders,
                  others' interactions, survey scores);
- owning_manager  the manager of the owner's team: changes everything on it;
- other_manager   the vt_am's manager: does not see the account, changes nothing on it;
- ops             change anything.

Every expectation is written out, never computed from the policy. A refused write asserts
PermissionDeniedError and that no row of the app's tables moved.
"""

import datetime

import pytest

from core.exceptions import PermissionDeniedError
from relationships import services
from relationships.models import Interaction, Stakeholder, SurveyResponse
from tests.relationships.factories import (
    InteractionFactory,
    StakeholderFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db

POSITIONS = ("owner", "vt_am", "owning_manager", "other_manager", "ops")
TABLES = [Stakeholder, Interaction, Interaction.stakeholders.through, SurveyResponse]


def db_state():
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}


def attempt(write) -> bool:
    """Run the write: True when allowed; on a refusal, nothing was written."""
    before = db_state()
    try:
        write()
    except PermissionDeniedError:
        assert db_state() == before
        return False
    return True


@pytest.fixture
def people(am, vt_am, manager, ops):
    return {
        "owner": am,
        "vt_am": vt_am,
        "owning_manager": manager,
        "other_manager": vt_am.team.manager,
        "ops": ops,
    }


@pytest.fixture
def stakeholders(account, am, vt_am):
    return {
        "owners": StakeholderFactory(account=account, internal_owner=am, name="Owner's contact"),
        "vt_ams": StakeholderFactory(account=account, internal_owner=vt_am, name="VT's contact"),
        "nobodys": StakeholderFactory(account=account, internal_owner=None, name="Unowned"),
    }


@pytest.fixture
def interactions(account, am, vt_am, stakeholders):
    owners = InteractionFactory(account=account, logged_by=am, summary="Owner's meeting")
    vt_ams = InteractionFactory(account=account, logged_by=vt_am, summary="VT's meeting")
    for interaction in (owners, vt_ams):
        interaction.stakeholders.set([stakeholders["owners"]])
    return {"owners": owners, "vt_ams": vt_ams}


# --- stakeholders -----------------------------------------------------------------------

CREATE_STAKEHOLDER = {
    "owner": True,
    "vt_am": True,  # one they own (the internal owner defaults to them)
    "owning_manager": True,
    "other_manager": False,
    "ops": True,
}


@pytest.mark.parametrize("position", POSITIONS)
def test_create_a_stakeholder(position, people, account):
    actor = people[position]
    allowed = attempt(
        lambda: services.stakeholder_create(actor=actor, account=account, name="New person")
    )
    assert allowed is CREATE_STAKEHOLDER[position]
    created = Stakeholder.objects.filter(name="New person").first()
    assert (created is not None) is CREATE_STAKEHOLDER[position]
    if created:
        assert created.internal_owner == (actor if actor.is_am else None)


def test_a_vt_am_cannot_create_a_stakeholder_someone_else_owns(people, account):
    vt_am = people["vt_am"]
    assert (
        attempt(
            lambda: services.stakeholder_create(
                actor=vt_am, account=account, name="New", internal_owner=people["owner"]
            )
        )
        is False
    )


UPDATE_STAKEHOLDER = {  # (owner's, vt_am's, nobody's)
    "owner": (True, True, True),
    "vt_am": (False, True, False),
    "owning_manager": (True, True, True),
    "other_manager": (False, False, False),
    "ops": (True, True, True),
}
WHICH = ("owners", "vt_ams", "nobodys")


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("which", WHICH)
def test_update_a_stakeholder(position, which, people, stakeholders):
    person = stakeholders[which]
    expected = UPDATE_STAKEHOLDER[position][WHICH.index(which)]
    allowed = attempt(
        lambda: services.stakeholder_update(
            actor=people[position], instance=person, data={"strength": 5}
        )
    )
    assert allowed is expected
    person.refresh_from_db()
    assert person.strength == (5 if expected else 2)


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("which", WHICH)
def test_delete_a_stakeholder(position, which, people, stakeholders):
    person = stakeholders[which]
    expected = UPDATE_STAKEHOLDER[position][WHICH.index(which)]
    allowed = attempt(lambda: services.stakeholder_delete(actor=people[position], instance=person))
    assert allowed is expected
    assert Stakeholder.objects.filter(pk=person.pk).exists() is not expected


def test_a_vt_am_cannot_hand_their_stakeholder_to_someone_else(people, stakeholders):
    person = stakeholders["vt_ams"]
    assert (
        attempt(
            lambda: services.stakeholder_update(
                actor=people["vt_am"], instance=person, data={"internal_owner": people["owner"]}
            )
        )
        is False
    )


def test_the_owner_may_hand_a_stakeholder_to_the_vt_am(people, stakeholders):
    person = stakeholders["owners"]
    services.stakeholder_update(
        actor=people["owner"], instance=person, data={"internal_owner": people["vt_am"]}
    )
    person.refresh_from_db()
    assert person.internal_owner == people["vt_am"]


def test_the_internal_owner_must_see_the_account(people, stakeholders, other_am):
    from django.core.exceptions import ValidationError

    outsider = people["other_manager"]  # sees nothing of the account
    person = stakeholders["owners"]
    with pytest.raises(ValidationError) as refused:
        services.stakeholder_update(
            actor=people["ops"], instance=person, data={"internal_owner": outsider}
        )
    assert refused.value.message_dict == {"internal_owner": [services.INTERNAL_OWNER_MESSAGE]}
    person.refresh_from_db()
    assert person.internal_owner == people["owner"]


# --- interactions -----------------------------------------------------------------------

LOG = {
    "owner": True,
    "vt_am": True,
    "owning_manager": True,
    "other_manager": False,
    "ops": True,
}


@pytest.mark.parametrize("position", POSITIONS)
def test_log_an_interaction(position, people, account, stakeholders):
    actor = people[position]
    allowed = attempt(
        lambda: services.interaction_create(
            actor=actor,
            account=account,
            date=datetime.date(2026, 11, 2),
            stakeholders=[stakeholders["nobodys"]],
            summary="Logged",
        )
    )
    assert allowed is LOG[position]
    logged = Interaction.objects.filter(summary="Logged").first()
    assert (logged is not None) is LOG[position]
    if logged:
        assert logged.logged_by == actor
        stakeholders["nobodys"].refresh_from_db()
        assert stakeholders["nobodys"].last_interaction_at == datetime.date(2026, 11, 2)


UPDATE_INTERACTION = {  # (owner's, vt_am's)
    "owner": (True, True),
    "vt_am": (False, True),
    "owning_manager": (True, True),
    "other_manager": (False, False),
    "ops": (True, True),
}


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("which", ["owners", "vt_ams"])
def test_update_and_delete_an_interaction(position, which, people, interactions):
    interaction = interactions[which]
    expected = UPDATE_INTERACTION[position][0 if which == "owners" else 1]
    actor = people[position]
    allowed = attempt(
        lambda: services.interaction_update(
            actor=actor, instance=interaction, data={"business_value_discussed": True}
        )
    )
    assert allowed is expected
    interaction.refresh_from_db()
    assert interaction.business_value_discussed is expected
    allowed = attempt(lambda: services.interaction_delete(actor=actor, instance=interaction))
    assert allowed is expected
    assert Interaction.objects.filter(pk=interaction.pk).exists() is not expected


# --- surveys ----------------------------------------------------------------------------

SURVEY = {
    "owner": True,
    "vt_am": False,
    "owning_manager": True,
    "other_manager": False,
    "ops": True,
}


@pytest.mark.parametrize("position", POSITIONS)
def test_survey_scores(position, people, stakeholders):
    actor, expected = people[position], SURVEY[position]
    person = stakeholders["vt_ams"]  # even on the stakeholder the vt_am owns
    allowed = attempt(
        lambda: services.survey_create(actor=actor, stakeholder=person, fiscal_year=2027, score=5)
    )
    assert allowed is expected
    assert SurveyResponse.objects.filter(fiscal_year=2027).count() == (1 if expected else 0)

    answer = SurveyResponseFactory(stakeholder=person, fiscal_year=2026, score=3)
    allowed = attempt(
        lambda: services.survey_update(actor=actor, instance=answer, data={"score": 1})
    )
    assert allowed is expected
    answer.refresh_from_db()
    assert answer.score == (1 if expected else 3)
    allowed = attempt(lambda: services.survey_delete(actor=actor, instance=answer))
    assert allowed is expected
    assert SurveyResponse.objects.filter(pk=answer.pk).exists() is not expected
