"""domain.md's write permission on opportunities, position by position, through the
services (the API, pages and admin call the same ones; their answers are tested there).

Around one account owned by `am`:

- owner           the account's owner AM: changes every opportunity on it;
- vt_am           an AM of another team on its virtual team: creates and edits only
                  opportunities they own there, never hands one to someone else;
- owning_manager  the manager of the owner's team: changes everything on it, resolves
                  escalations;
- other_manager   the vt_am's manager: does not see the account, changes nothing on it
                  (not even their own AM's deal there: they cannot see it);
- ops             change anything.

Every expectation is written out, never computed from the policy. A refused write asserts
PermissionDeniedError and that no opportunities row moved.
"""

import datetime
from decimal import Decimal

import pytest

from core.exceptions import PermissionDeniedError
from opportunities import services
from opportunities.models import Escalation, Opportunity, Partner, Stage, StageChange
from tests.factories import EscalationFactory, OpportunityFactory, stage

pytestmark = pytest.mark.django_db

POSITIONS = ("owner", "vt_am", "owning_manager", "other_manager", "ops")
TABLES = [Opportunity, Opportunity.partners.through, StageChange, Escalation, Stage, Partner]


def db_state():
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}


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
def deals(account, am, vt_am):
    return {
        "owners": OpportunityFactory(account=account, owner=am, name="Owner's deal"),
        "vt_ams": OpportunityFactory(account=account, owner=vt_am, name="VT AM's deal"),
    }


def attempt(write) -> bool:
    """Run the write: True when allowed; on a refusal, nothing was written."""
    before = db_state()
    try:
        write()
    except PermissionDeniedError:
        assert db_state() == before
        return False
    return True


def create(actor, account, owner=None):
    return services.opportunity_create(
        actor=actor,
        account=account,
        name="New deal",
        stage=stage("prospect"),
        close_date=datetime.date(2027, 5, 31),
        owner=owner,
    )


CREATE_OWN = {
    "owner": True,
    "vt_am": True,
    "owning_manager": True,
    "other_manager": False,
    "ops": True,
}


@pytest.mark.parametrize("position", POSITIONS)
def test_create_for_oneself(position, people, account):
    actor = people[position]
    assert attempt(lambda: create(actor, account)) is CREATE_OWN[position]
    if CREATE_OWN[position]:
        created = Opportunity.objects.get(name="New deal")
        # An AM owns what they create; a manager or ops default to the account's owner.
        expected = actor if actor.is_am else account.owner
        assert created.owner == expected


def test_a_vt_am_cannot_create_a_deal_owned_by_someone_else(people, account):
    assert attempt(lambda: create(people["vt_am"], account, owner=people["owner"])) is False


UPDATE = {  # (the owner's deal, the vt_am's deal)
    "owner": (True, True),
    "vt_am": (False, True),
    "owning_manager": (True, True),
    "other_manager": (False, False),
    "ops": (True, True),
}


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("deal", ["owners", "vt_ams"])
def test_update(position, deal, people, deals):
    actor, opportunity = people[position], deals[deal]
    expected = UPDATE[position][0 if deal == "owners" else 1]
    allowed = attempt(
        lambda: services.opportunity_update(
            actor=actor, instance=opportunity, data={"amount": Decimal("99.00")}
        )
    )
    assert allowed is expected
    opportunity.refresh_from_db()
    assert opportunity.amount == (Decimal("99.00") if expected else Decimal("250000.00"))


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("deal", ["owners", "vt_ams"])
def test_stage_move(position, deal, people, deals):
    actor, opportunity = people[position], deals[deal]
    expected = UPDATE[position][0 if deal == "owners" else 1]
    allowed = attempt(
        lambda: services.stage_move(actor=actor, instance=opportunity, stage=stage("develop"))
    )
    assert allowed is expected
    opportunity.refresh_from_db()
    assert opportunity.stage.slug == ("develop" if expected else "qualify")


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("deal", ["owners", "vt_ams"])
def test_soft_delete(position, deal, people, deals):
    actor, opportunity = people[position], deals[deal]
    expected = UPDATE[position][0 if deal == "owners" else 1]
    allowed = attempt(lambda: services.opportunity_delete(actor=actor, instance=opportunity))
    assert allowed is expected
    opportunity.refresh_from_db()
    assert opportunity.is_deleted is expected


def test_a_vt_am_cannot_hand_their_deal_to_someone_else(people, deals):
    vt_deal = deals["vt_ams"]
    assert (
        attempt(
            lambda: services.opportunity_update(
                actor=people["vt_am"], instance=vt_deal, data={"owner": people["owner"]}
            )
        )
        is False
    )


def test_the_account_owner_may_hand_a_deal_to_the_vt_am(people, deals):
    deal = deals["owners"]
    services.opportunity_update(
        actor=people["owner"], instance=deal, data={"owner": people["vt_am"]}
    )
    deal.refresh_from_db()
    assert deal.owner == people["vt_am"]


RAISE = {  # on the vt_am's deal: whoever may change it
    "owner": True,
    "vt_am": True,
    "owning_manager": True,
    "other_manager": False,
    "ops": True,
}
RESOLVE = {
    "owner": False,
    "vt_am": False,
    "owning_manager": True,
    "other_manager": False,
    "ops": True,
}


@pytest.mark.parametrize("position", POSITIONS)
def test_raise_an_escalation(position, people, deals):
    actor = people[position]
    allowed = attempt(
        lambda: services.escalation_raise(actor=actor, opportunity=deals["vt_ams"], note="Help")
    )
    assert allowed is RAISE[position]
    assert Escalation.objects.count() == (1 if RAISE[position] else 0)


@pytest.mark.parametrize("position", POSITIONS)
def test_resolve_an_escalation(position, people, deals):
    escalation = EscalationFactory(opportunity=deals["vt_ams"], raised_by=people["vt_am"])
    allowed = attempt(
        lambda: services.escalation_resolve(
            actor=people[position], instance=escalation, decision="Go ahead"
        )
    )
    assert allowed is RESOLVE[position]
    escalation.refresh_from_db()
    assert (escalation.resolved_at is not None) is RESOLVE[position]


STAGES = {
    "owner": False,
    "vt_am": False,
    "owning_manager": False,
    "other_manager": False,
    "ops": True,
}


@pytest.mark.parametrize("position", POSITIONS)
def test_edit_a_stage(position, people):
    develop = stage("develop")
    allowed = attempt(
        lambda: services.stage_update(actor=people[position], instance=develop, data={"name": "D"})
    )
    assert allowed is STAGES[position]
    develop.refresh_from_db()
    assert develop.name == ("D" if STAGES[position] else "Develop")
