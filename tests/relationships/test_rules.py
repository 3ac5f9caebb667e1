"""Relationships' rules through the services: coverage and its gaps in words, the strength
ladder, last_interaction_at, reports_to as a tree inside one account, and bad input (a
clear message on the field, nothing saved)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from relationships import selectors, services
from relationships.models import (
    ATTITUDE_MESSAGE,
    INFLUENCE_MESSAGE,
    LEVELS_UP,
    REPORTS_TO_ACCOUNT_MESSAGE,
    SCORE_MESSAGE,
    STRENGTH_MESSAGE,
    SURVEY_ACCOUNT_MESSAGE,
    Interaction,
    Level,
    Stakeholder,
    SurveyResponse,
    strength_label,
)
from tests.factories import AccountFactory
from tests.relationships.factories import (
    InteractionFactory,
    StakeholderFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db


def rows(model):
    return list(model.objects.order_by("pk").values())


# --- ladder -----------------------------------------------------------------------------


def test_the_strength_ladder_in_words():
    assert [strength_label(n) for n in range(1, 6)] == [
        "Unknown",
        "Vendor",
        "Credible source",
        "Problem solver",
        "Trusted advisor",
    ]
    assert strength_label(None) == ""
    assert Stakeholder(strength=5).strength_label == "Trusted advisor"
    assert Stakeholder(attitude=-2).attitude_label == "Detractor"


def test_levels_run_from_front_line_to_cxo():
    assert LEVELS_UP == [
        "front_line",
        "it_pro",
        "it_decision_maker",
        "lob_director",
        "executive",
        "assistant",
        "cxo",
    ]
    ranked = [Stakeholder(level=level).level_rank_value for level in LEVELS_UP]
    assert ranked == [1, 2, 3, 4, 5, 6, 7]


# --- coverage ---------------------------------------------------------------------------


def test_an_empty_account_has_every_gap_cxo_first(account, django_assert_num_queries):
    with django_assert_num_queries(1):
        coverage = selectors.coverage_for_account(account)
    assert coverage.covered_count == 0
    assert coverage.gaps == [
        "No relationship at CXO level",
        "No relationship at Assistant level",
        "No relationship at Executive level",
        "No relationship at LOB director level",
        "No relationship at IT decision maker level",
        "No relationship at IT pro level",
        "No relationship at Front line level",
    ]


def test_a_level_is_covered_from_strength_3(account, other_account):
    StakeholderFactory(account=account, level=Level.CXO, strength=2)  # a vendor: not enough
    StakeholderFactory(account=account, level=Level.EXECUTIVE, strength=3)
    StakeholderFactory(account=account, level=Level.EXECUTIVE, strength=1)
    StakeholderFactory(account=account, level=Level.FRONT_LINE, strength=5)
    StakeholderFactory(account=other_account, level=Level.CXO, strength=5)  # not this account
    coverage = selectors.coverage_for_account(account.pk)
    by_level = {
        level.level: (level.people, level.strong, level.covered) for level in coverage.levels
    }
    assert by_level == {
        "front_line": (1, 1, True),
        "it_pro": (0, 0, False),
        "it_decision_maker": (0, 0, False),
        "lob_director": (0, 0, False),
        "executive": (2, 1, True),
        "assistant": (0, 0, False),
        "cxo": (1, 0, False),
    }
    assert coverage.gaps == [
        "No relationship at CXO level",
        "No relationship at Assistant level",
        "No relationship at LOB director level",
        "No relationship at IT decision maker level",
        "No relationship at IT pro level",
    ]
    assert not coverage.is_complete


def test_full_coverage_has_no_gaps(account):
    for level in LEVELS_UP:
        StakeholderFactory(account=account, level=level, strength=4)
    coverage = selectors.coverage_for_account(account)
    assert coverage.gaps == []
    assert coverage.is_complete


def test_coverage_of_many_accounts_in_one_query(am, django_assert_num_queries):
    accounts = [AccountFactory(owner=am) for _ in range(4)]
    for i, account in enumerate(accounts):
        for level in LEVELS_UP[: i * 2]:
            StakeholderFactory(account=account, level=level, strength=3)
    with django_assert_num_queries(1):
        coverage = selectors.coverage_for_accounts(accounts)
    assert [coverage[a.pk].covered_count for a in accounts] == [0, 2, 4, 6]
    assert coverage[accounts[3].pk].gaps == ["No relationship at CXO level"]


# --- last_interaction_at ----------------------------------------------------------------


def test_last_interaction_at_follows_every_interaction_write(am, account):
    ada, bola = (StakeholderFactory(account=account) for _ in range(2))

    def last(person):
        person.refresh_from_db()
        return person.last_interaction_at

    first = services.interaction_create(
        actor=am, account=account, date=datetime.date(2026, 8, 1), stakeholders=[ada]
    )
    assert (last(ada), last(bola)) == (datetime.date(2026, 8, 1), None)
    assert first.logged_by == am

    later = services.interaction_create(
        actor=am, account=account, date=datetime.date(2026, 10, 5), stakeholders=[ada, bola]
    )
    assert (last(ada), last(bola)) == (datetime.date(2026, 10, 5), datetime.date(2026, 10, 5))

    # An earlier interaction logged afterwards does not move it back.
    services.interaction_create(
        actor=am, account=account, date=datetime.date(2026, 7, 1), stakeholders=[bola]
    )
    assert last(bola) == datetime.date(2026, 10, 5)

    # Taking bola off the later meeting: their latest is the July one again.
    services.interaction_update(actor=am, instance=later, data={"stakeholders": [ada]})
    assert (last(ada), last(bola)) == (datetime.date(2026, 10, 5), datetime.date(2026, 7, 1))

    # Moving its date moves it.
    services.interaction_update(actor=am, instance=later, data={"date": datetime.date(2026, 9, 9)})
    assert last(ada) == datetime.date(2026, 9, 9)

    services.interaction_delete(actor=am, instance=later)
    assert last(ada) == datetime.date(2026, 8, 1)
    services.interaction_delete(actor=am, instance=first)
    assert last(ada) is None


def test_last_interaction_is_one_update_for_all_its_people(am, account, django_assert_num_queries):
    people = [StakeholderFactory(account=account) for _ in range(5)]
    interaction = InteractionFactory(account=account, logged_by=am)
    interaction.stakeholders.set(people)
    with django_assert_num_queries(2):  # lock the rows, then one UPDATE with the Max
        services.refresh_last_interaction(p.pk for p in people)
    assert set(Stakeholder.objects.values_list("last_interaction_at", flat=True)) == {
        interaction.date
    }


# --- reports_to -------------------------------------------------------------------------


def test_reports_to_builds_the_org_chart(am, account):
    ceo = services.stakeholder_create(actor=am, account=account, name="Ceo", level=Level.CXO)
    cio = services.stakeholder_create(
        actor=am, account=account, name="Cio", level=Level.EXECUTIVE, reports_to=ceo
    )
    assert list(ceo.reports.all()) == [cio]
    services.stakeholder_update(actor=am, instance=ceo, data={"reports_to": None})


def test_a_cycle_is_refused_with_a_message_and_nothing_saved(am, account):
    a = StakeholderFactory(account=account, name="A")
    b = StakeholderFactory(account=account, name="B", reports_to=a)
    c = StakeholderFactory(account=account, name="C", reports_to=b)
    before = rows(Stakeholder)
    for child, parent in [(a, b), (a, c), (a, a)]:
        with pytest.raises(ValidationError) as refused:
            services.stakeholder_update(actor=am, instance=child, data={"reports_to": parent})
        assert refused.value.message_dict == {"reports_to": [services.CYCLE_MESSAGE]}
        assert rows(Stakeholder) == before


def test_reports_to_another_accounts_stakeholder_is_refused(am, account):
    elsewhere = StakeholderFactory(account=AccountFactory(owner=am))
    person = StakeholderFactory(account=account)
    before = rows(Stakeholder)
    with pytest.raises(ValidationError) as refused:
        services.stakeholder_update(actor=am, instance=person, data={"reports_to": elsewhere})
    assert refused.value.message_dict == {"reports_to": [REPORTS_TO_ACCOUNT_MESSAGE]}
    with pytest.raises(ValidationError) as refused:
        services.stakeholder_create(actor=am, account=account, name="New", reports_to=elsewhere)
    assert refused.value.message_dict == {"reports_to": [REPORTS_TO_ACCOUNT_MESSAGE]}
    assert rows(Stakeholder) == before


def test_a_stakeholder_stays_on_their_account(am, account):
    person = StakeholderFactory(account=account)
    with pytest.raises(ValidationError) as refused:
        services.stakeholder_update(
            actor=am, instance=person, data={"account": AccountFactory(owner=am)}
        )
    assert refused.value.message_dict == {"account": ["This field cannot be changed here."]}


def test_deleting_a_manager_leaves_their_reports_at_the_top(am, account):
    boss = StakeholderFactory(account=account)
    report = StakeholderFactory(account=account, reports_to=boss)
    services.stakeholder_delete(actor=am, instance=boss)
    report.refresh_from_db()
    assert report.reports_to is None


def test_a_stakeholder_with_survey_scores_is_not_deleted(am, account):
    person = StakeholderFactory(account=account, name="Ada Obi")
    SurveyResponseFactory(stakeholder=person, fiscal_year=2026)
    SurveyResponseFactory(stakeholder=person, fiscal_year=2027)
    with pytest.raises(ProtectedError) as refused:
        services.stakeholder_delete(actor=am, instance=person)
    assert "Ada Obi has RM survey scores (FY2027, FY2026)" in refused.value.args[0]
    assert Stakeholder.objects.filter(pk=person.pk).exists()


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("influence", 0, INFLUENCE_MESSAGE),
        ("influence", 6, INFLUENCE_MESSAGE),
        ("strength", 0, STRENGTH_MESSAGE),
        ("strength", 6, STRENGTH_MESSAGE),
        ("attitude", -3, ATTITUDE_MESSAGE),
        ("attitude", 3, ATTITUDE_MESSAGE),
    ],
)
def test_out_of_range_is_refused_on_create_and_update(am, account, field, value, message):
    person = StakeholderFactory(account=account)
    before = rows(Stakeholder)
    with pytest.raises(ValidationError) as refused:
        services.stakeholder_create(actor=am, account=account, name="New", **{field: value})
    assert refused.value.message_dict[field] == [message]
    with pytest.raises(ValidationError) as refused:
        services.stakeholder_update(actor=am, instance=person, data={field: value})
    assert refused.value.message_dict[field] == [message]
    assert rows(Stakeholder) == before


def test_the_database_refuses_out_of_range_too(account):
    from django.db import IntegrityError, transaction

    person = StakeholderFactory(account=account)
    for field, value in [("influence", 9), ("strength", 0), ("attitude", 5)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Stakeholder.objects.filter(pk=person.pk).update(**{field: value})


def test_an_interaction_with_another_accounts_stakeholder_is_refused(am, account):
    mine = StakeholderFactory(account=account)
    theirs = StakeholderFactory(account=AccountFactory(owner=am))
    with pytest.raises(ValidationError) as refused:
        services.interaction_create(
            actor=am, account=account, date=datetime.date(2026, 9, 1), stakeholders=[mine, theirs]
        )
    assert refused.value.message_dict == {
        "stakeholders": [services.INTERACTION_STAKEHOLDERS_MESSAGE]
    }
    assert Interaction.objects.count() == 0
    interaction = InteractionFactory(account=account, logged_by=am)
    with pytest.raises(ValidationError):
        services.interaction_update(actor=am, instance=interaction, data={"stakeholders": [theirs]})
    assert list(interaction.stakeholders.all()) == []
    theirs.refresh_from_db()
    assert theirs.last_interaction_at is None


def test_a_survey_for_another_accounts_stakeholder_is_refused(am, account):
    theirs = StakeholderFactory(account=AccountFactory(owner=am))
    with pytest.raises(ValidationError) as refused:
        services.survey_create(
            actor=am, account=account, stakeholder=theirs, fiscal_year=2027, score=4
        )
    assert refused.value.message_dict == {"stakeholder": [SURVEY_ACCOUNT_MESSAGE]}
    survey = SurveyResponseFactory(stakeholder=StakeholderFactory(account=account))
    with pytest.raises(ValidationError) as refused:
        services.survey_update(actor=am, instance=survey, data={"stakeholder": theirs})
    assert refused.value.message_dict == {"stakeholder": [SURVEY_ACCOUNT_MESSAGE]}
    assert list(SurveyResponse.objects.values_list("stakeholder", flat=True)) == [
        survey.stakeholder_id
    ]


@pytest.mark.parametrize("score", [0, 6])
def test_a_survey_score_out_of_range_is_refused(am, account, score):
    person = StakeholderFactory(account=account)
    with pytest.raises(ValidationError) as refused:
        services.survey_create(actor=am, stakeholder=person, fiscal_year=2027, score=score)
    assert refused.value.message_dict == {"score": [SCORE_MESSAGE]}
    assert SurveyResponse.objects.count() == 0


def test_one_survey_score_per_stakeholder_and_year(am, account):
    person = StakeholderFactory(account=account)
    services.survey_create(actor=am, stakeholder=person, fiscal_year=2027, score=4)
    with pytest.raises(ValidationError) as refused:
        services.survey_create(actor=am, stakeholder=person, fiscal_year=2027, score=2)
    assert refused.value.messages == ["This stakeholder already has a score for this fiscal year."]
    assert list(SurveyResponse.objects.values_list("score", flat=True)) == [4]
    services.survey_create(actor=am, stakeholder=person, fiscal_year=2026, score=2)


# --- summary ----------------------------------------------------------------------------


def test_relationship_summary_rate_of_business_value(am, account, django_assert_num_queries):
    StakeholderFactory(account=account, level=Level.CXO, strength=4)
    summary = selectors.account_relationship_summary(account=account)
    assert (summary.interactions, summary.business_value_rate) == (0, None)
    for discussed in (True, True, False, True):
        InteractionFactory(account=account, logged_by=am, business_value_discussed=discussed)
    InteractionFactory(logged_by=am, business_value_discussed=False)  # another account
    with django_assert_num_queries(2):
        summary = selectors.account_relationship_summary(account=account)
    assert (summary.stakeholders, summary.interactions, summary.business_value_rate) == (1, 4, 0.75)
    assert "No relationship at CXO level" not in summary.coverage.gaps
