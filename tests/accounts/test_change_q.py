"""accounts.access.change_q is can_change in set form: for every position around an account
and every row on it, the row is in the set exactly when can_change allows it."""

import pytest

from accounts.access import can_change, change_q
from accounts.models import Agreement
from opportunities.models import Escalation, Opportunity
from tests.factories import (
    AccountTeamMemberFactory,
    AgreementFactory,
    EscalationFactory,
    OpportunityFactory,
    OpsFactory,
)

pytestmark = pytest.mark.django_db


def test_change_q_agrees_with_can_change(am, manager, other_am, account):
    AccountTeamMemberFactory(account=account, user=other_am)
    other_manager = other_am.team.manager
    ops = OpsFactory()
    inactive = OpsFactory(is_active=False)
    rows = {
        Opportunity: [
            OpportunityFactory(account=account, owner=am),
            OpportunityFactory(account=account, owner=other_am),
        ],
        Agreement: [AgreementFactory(account=account)],
    }
    rows[Escalation] = [
        EscalationFactory(opportunity=rows[Opportunity][1], raised_by=other_am),
        EscalationFactory(opportunity=rows[Opportunity][0], raised_by=am),
    ]
    expected_any = 0
    for actor in (am, other_am, manager, other_manager, ops, inactive):
        for model, objects in rows.items():
            allowed = set(
                model.objects.visible_to(actor)
                .filter(change_q(actor, model))
                .values_list("pk", flat=True)
            )
            visible = set(model.objects.visible_to(actor).values_list("pk", flat=True))
            for obj in objects:
                if obj.pk in visible:
                    assert (obj.pk in allowed) == can_change(actor, obj), (actor, obj)
                    expected_any += obj.pk in allowed
    # The owner, the owning manager and ops change all 5 rows; the vt AM their deal and
    # their escalation.
    assert expected_any == 5 * 3 + 2
