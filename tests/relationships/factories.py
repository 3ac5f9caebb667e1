import datetime

import factory
from factory.django import DjangoModelFactory

from relationships.models import Interaction, Level, Stakeholder, SurveyResponse
from tests.factories import AccountFactory, UserFactory


class StakeholderFactory(DjangoModelFactory):
    class Meta:
        model = Stakeholder

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    title = "Head of Digital Banking"
    level = Level.LOB_DIRECTOR
    strength = 2


class InteractionFactory(DjangoModelFactory):
    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    date = datetime.date(2026, 9, 1)
    kind = Interaction.Kind.MEETING
    summary = "Quarterly business review"
    logged_by = factory.SubFactory(UserFactory)


class SurveyResponseFactory(DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    stakeholder = factory.SubFactory(StakeholderFactory)
    account = factory.LazyAttribute(lambda o: o.stakeholder.account)
    fiscal_year = 2027
    score = 4
