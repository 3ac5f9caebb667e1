"""Stage rules, the StageChange history, effective probability/forecast, soft delete,
escalations and the renewal clause, through the services."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Agreement
from core.exceptions import PermissionDeniedError, StaleVersionError
from opportunities import selectors, services
from opportunities.models import Escalation, Opportunity, StageChange
from opportunities.services import BUSINESS_VALUE_RULE, LOSS_REASON_RULE
from tests.factories import AgreementFactory, EscalationFactory, OpportunityFactory, stage

pytestmark = pytest.mark.django_db


def history(opportunity) -> list[tuple[str, str, str]]:
    return list(
        StageChange.objects.filter(opportunity=opportunity)
        .order_by("id")
        .values_list("field", "from_value", "to_value")
    )


def test_default_stages_are_seeded_in_order():
    rows = list(
        stage("prospect")
        ._meta.model.objects.order_by("order")
        .values_list("slug", "probability", "forecast_category", "is_closed", "is_won")
    )
    assert rows == [
        ("prospect", 10, "pipeline", False, False),
        ("qualify", 20, "pipeline", False, False),
        ("develop", 40, "best_case", False, False),
        ("propose", 60, "best_case", False, False),
        ("negotiate", 80, "commit", False, False),
        ("closed_won", 100, "closed", True, True),
        ("closed_lost", 0, "omitted", True, False),
    ]


def test_create_records_the_first_stage_and_defaults_owner_to_the_am(am, account):
    opportunity = services.opportunity_create(
        actor=am,
        account=account,
        name="Azure migration",
        stage=stage("qualify"),
        close_date=datetime.date(2027, 3, 31),
        amount=Decimal("120000.00"),
    )
    assert opportunity.owner == am
    assert opportunity.version == 1
    assert history(opportunity) == [("stage", "", "qualify")]
    change = StageChange.objects.get(opportunity=opportunity)
    assert change.changed_by == am


@pytest.mark.parametrize("slug", ["propose", "negotiate", "closed_won"])
def test_propose_or_later_needs_business_value(am, opp, slug):
    before = Opportunity.objects.filter(pk=opp.pk).values().get()
    with pytest.raises(ValidationError) as refused:
        services.stage_move(actor=am, instance=opp, stage=stage(slug))
    assert refused.value.message_dict == {"business_value": [BUSINESS_VALUE_RULE]}
    assert Opportunity.objects.filter(pk=opp.pk).values().get() == before
    assert history(opp) == []


def test_propose_is_reached_with_business_value(am, opp):
    moved = services.stage_move(
        actor=am, instance=opp, stage=stage("propose"), business_value="Cuts branch costs 12%"
    )
    moved.refresh_from_db()
    assert moved.stage.slug == "propose"
    assert moved.version == 2
    assert history(opp) == [("stage", "qualify", "propose")]


def test_develop_needs_no_business_value(am, opp):
    services.stage_move(actor=am, instance=opp, stage=stage("develop"))
    assert history(opp) == [("stage", "qualify", "develop")]


def test_business_value_cannot_be_emptied_at_propose(am, opp):
    services.stage_move(actor=am, instance=opp, stage=stage("propose"), business_value="ROI")
    opp.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.opportunity_update(actor=am, instance=opp, data={"business_value": ""})
    assert refused.value.message_dict == {"business_value": [BUSINESS_VALUE_RULE]}
    opp.refresh_from_db()
    assert opp.business_value == "ROI"


def test_closed_lost_needs_a_loss_reason_but_no_business_value(am, opp):
    with pytest.raises(ValidationError) as refused:
        services.stage_move(actor=am, instance=opp, stage=stage("closed_lost"))
    assert refused.value.message_dict == {"loss_reason": [LOSS_REASON_RULE]}
    opp.refresh_from_db()
    assert opp.stage.slug == "qualify"
    services.stage_move(
        actor=am, instance=opp, stage=stage("closed_lost"), loss_reason="Lost on price"
    )
    opp.refresh_from_db()
    assert (opp.stage.slug, opp.loss_reason) == ("closed_lost", "Lost on price")


def test_create_obeys_the_stage_rules_too(am, account):
    with pytest.raises(ValidationError) as refused:
        services.opportunity_create(
            actor=am,
            account=account,
            name="Straight to won",
            stage=stage("closed_won"),
            close_date=datetime.date(2027, 1, 31),
        )
    assert refused.value.message_dict == {"business_value": [BUSINESS_VALUE_RULE]}
    assert not Opportunity.objects.exists()


def test_amount_and_close_date_changes_are_recorded(am, opp):
    services.opportunity_update(
        actor=am,
        instance=opp,
        data={"amount": Decimal("300000"), "close_date": datetime.date(2027, 6, 30)},
    )
    assert history(opp) == [
        ("amount", "250000.00", "300000.00"),
        ("close_date", "2027-03-31", "2027-06-30"),
    ]
    # Nothing to change: nothing recorded, the version stays.
    opp.refresh_from_db()
    services.opportunity_update(
        actor=am, instance=opp, data={"amount": Decimal("300000.00"), "name": opp.name}
    )
    opp.refresh_from_db()
    assert opp.version == 2
    assert len(history(opp)) == 2


def test_a_stale_version_is_refused_and_nothing_recorded(am, opp):
    with pytest.raises(StaleVersionError):
        services.opportunity_update(
            actor=am, instance=opp, data={"amount": Decimal("1")}, expected_version=7
        )
    opp.refresh_from_db()
    assert opp.amount == Decimal("250000.00")
    assert history(opp) == []


def test_effective_probability_and_forecast_category(am, opp):
    row = selectors.opportunity_get(user=am, pk=opp.pk)
    assert (row.probability_effective, row.forecast_category_effective) == (20, "pipeline")
    assert (row.effective_probability, row.effective_forecast_category) == (20, "pipeline")
    services.opportunity_update(
        actor=am, instance=opp, data={"probability": 35, "forecast_category": "best_case"}
    )
    row = selectors.opportunity_get(user=am, pk=opp.pk)
    assert (row.probability_effective, row.forecast_category_effective) == (35, "best_case")
    assert (row.effective_probability, row.effective_forecast_category) == (35, "best_case")


def test_currency_must_be_three_capital_letters(am, account):
    with pytest.raises(ValidationError) as refused:
        services.opportunity_create(
            actor=am,
            account=account,
            name="Bad currency",
            stage=stage("prospect"),
            close_date=datetime.date(2027, 1, 31),
            currency="usd",
        )
    assert list(refused.value.message_dict) == ["currency"]


def test_the_owner_must_be_an_am_who_sees_the_account(manager, account, other_am):
    with pytest.raises(ValidationError) as refused:
        services.opportunity_create(
            actor=manager,
            account=account,
            name="Given away",
            stage=stage("prospect"),
            close_date=datetime.date(2027, 1, 31),
            owner=other_am,
        )
    assert refused.value.message_dict == {"owner": [services.OWNER_MESSAGE]}


def test_the_agreement_must_be_on_the_same_account(am, account, other_account):
    foreign = AgreementFactory(account=other_account)
    with pytest.raises(ValidationError) as refused:
        services.opportunity_create(
            actor=am,
            account=account,
            name="Renewal",
            kind="renewal",
            stage=stage("prospect"),
            close_date=datetime.date(2027, 1, 31),
            agreement=foreign,
        )
    assert list(refused.value.message_dict) == ["agreement"]


def test_delete_is_soft_and_hides_the_row(am, opp):
    services.opportunity_delete(actor=am, instance=opp)
    opp.refresh_from_db()
    assert opp.is_deleted and opp.deleted_at is not None
    assert opp.version == 2
    assert not selectors.opportunity_list(user=am).filter(pk=opp.pk).exists()
    assert selectors.opportunity_list(user=am, include_deleted=True).filter(pk=opp.pk).exists()
    # Deleting again changes nothing.
    services.opportunity_delete(actor=am, instance=opp)
    opp.refresh_from_db()
    assert opp.version == 2


# --- escalations ------------------------------------------------------------------------


def test_escalation_raised_and_resolved_by_the_manager(am, manager, opp):
    escalation = services.escalation_raise(actor=am, opportunity=opp, note="Need 10% off")
    assert (escalation.raised_by, escalation.resolved_at) == (am, None)
    resolved = services.escalation_resolve(
        actor=manager, instance=escalation, decision="Approved: 7%"
    )
    resolved.refresh_from_db()
    assert (resolved.decision, resolved.decided_by) == ("Approved: 7%", manager)
    assert resolved.resolved_at is not None
    with pytest.raises(ValidationError) as again:
        services.escalation_resolve(actor=manager, instance=resolved, decision="No")
    assert again.value.message_dict == {"decision": [services.RESOLVED_MESSAGE]}


def test_an_escalation_needs_a_note_and_a_decision(am, manager, opp):
    with pytest.raises(ValidationError):
        services.escalation_raise(actor=am, opportunity=opp, note="  ")
    escalation = EscalationFactory(opportunity=opp)
    with pytest.raises(ValidationError):
        services.escalation_resolve(actor=manager, instance=escalation, decision="")
    assert Escalation.objects.get().resolved_at is None


# --- the renewal clause ----------------------------------------------------------------


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def status_of(agreement) -> str:
    return Agreement.objects.with_renewal_status().get(pk=agreement.pk).renewal_status


def test_a_won_renewal_opportunity_renews_its_agreement(am, account):
    agreement = AgreementFactory(account=account, start_date=days(-700), end_date=days(30))
    assert status_of(agreement) == "due"
    renewal = OpportunityFactory(
        account=account, kind="renewal", agreement=agreement, stage=stage("negotiate")
    )
    assert status_of(agreement) == "due"  # open: not yet
    services.stage_move(
        actor=am, instance=renewal, stage=stage("closed_won"), business_value="Keeps 4k seats"
    )
    assert status_of(agreement) == "renewed"
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert agreement.renewal_status == "renewed"  # the model property reads the same rule


@pytest.mark.parametrize(
    "kind, slug, deleted",
    [
        ("new", "closed_won", False),  # not a renewal
        ("renewal", "closed_lost", False),  # lost
        ("renewal", "closed_won", True),  # deleted
    ],
)
def test_other_opportunities_do_not_renew(account, kind, slug, deleted):
    agreement = AgreementFactory(account=account, start_date=days(-700), end_date=days(-5))
    OpportunityFactory(
        account=account,
        kind=kind,
        agreement=agreement,
        stage=stage(slug),
        business_value="x",
        loss_reason="y",
        is_deleted=deleted,
    )
    assert status_of(agreement) == "lapsed"


def test_a_successor_agreement_still_renews(account):
    agreement = AgreementFactory(account=account, start_date=days(-700), end_date=days(-5))
    AgreementFactory(account=account, renews=agreement, start_date=days(-4), end_date=days(700))
    assert status_of(agreement) == "renewed"


# --- stages and partners ---------------------------------------------------------------


def test_ops_edit_stages_others_are_refused(ops, manager):
    develop = stage("develop")
    with pytest.raises(PermissionDeniedError):
        services.stage_update(actor=manager, instance=develop, data={"probability": 50})
    develop.refresh_from_db()
    assert develop.probability == 40
    services.stage_update(actor=ops, instance=develop, data={"probability": 50})
    develop.refresh_from_db()
    assert (develop.probability, develop.version) == (50, 2)
    created = services.stage_create(
        actor=ops, slug="verbal", name="Verbal", order=75, probability=90
    )
    assert created.forecast_category == "pipeline"
    with pytest.raises(PermissionDeniedError):
        services.stage_create(actor=manager, slug="x", name="X", order=1, probability=1)


def test_anyone_adds_a_partner_managers_and_ops_change_one(am, manager):
    partner = services.partner_create(actor=am, name="Contoso SI", kind="si", external_id="")
    assert partner.external_id is None
    with pytest.raises(PermissionDeniedError):
        services.partner_update(actor=am, instance=partner, data={"name": "Renamed"})
    partner.refresh_from_db()
    assert partner.name == "Contoso SI"
    services.partner_update(actor=manager, instance=partner, data={"name": "Contoso Services"})
    partner.refresh_from_db()
    assert partner.name == "Contoso Services"
