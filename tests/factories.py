import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.catalogues import normalise, slug_for
from accounts.models import (
    Account,
    AccountTeamMember,
    Agreement,
    Industry,
    Product,
    ProductDeployment,
    RevenueRecord,
    Sector,
    Territory,
)
from teams.models import Quota, Team, User

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.AM
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


class ManagerFactory(UserFactory):
    role = User.Role.MANAGER


class OpsFactory(UserFactory):
    role = User.Role.OPS


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Lagos Corporate {n}")
    territory = "Lagos Corporate West"
    manager = factory.SubFactory(ManagerFactory)


class QuotaFactory(DjangoModelFactory):
    class Meta:
        model = Quota

    user = factory.SubFactory(UserFactory)
    fiscal_year = 2027
    amount = Decimal("2000000.00")


def catalogue_entry(model, name: str | None):
    """The catalogue value named `name` (any case), created when missing; None for none."""
    if name is None or isinstance(name, model):
        return name
    name = normalise(name)
    if not name:
        return None
    entry = model.objects.filter(name__iexact=name).first()
    if entry is None:
        taken = set(model.objects.values_list("slug", flat=True))
        entry = model.objects.create(name=name, slug=slug_for(name, taken))
    return entry


CATALOGUE_FIELDS = {
    Account: {"sector": Sector, "industry": Industry, "territory": Territory},
    ProductDeployment: {"product": Product},
}


class CatalogueNamesFactory(DjangoModelFactory):
    """Catalogue fields may be given as names in tests: AccountFactory(sector="Public")."""

    class Meta:
        abstract = True

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        for name, model in CATALOGUE_FIELDS[cls._meta.model].items():
            if name in kwargs:
                kwargs[name] = catalogue_entry(model, kwargs[name])
        return kwargs


class AccountFactory(CatalogueNamesFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n} Plc")
    segment = Account.Segment.MATURE
    ltp = Decimal("1500000.00")
    industry = "Banking"
    sector = "Commercial"
    territory = "Lagos Corporate West"
    owner = factory.SubFactory(UserFactory)


class AccountTeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = AccountTeamMember.Role.SSP


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = Agreement

    account = factory.SubFactory(AccountFactory)
    kind = Agreement.Kind.EA
    number = factory.Sequence(lambda n: f"EA-{10000 + n}")
    start_date = datetime.date(2024, 7, 1)
    end_date = datetime.date(2027, 6, 30)
    annual_value = Decimal("450000.00")


class RevenueRecordFactory(DjangoModelFactory):
    class Meta:
        model = RevenueRecord

    account = factory.SubFactory(AccountFactory)
    period = datetime.date(2026, 7, 1)
    amount = Decimal("100000.00")
    source = "manual"


class ProductDeploymentFactory(CatalogueNamesFactory):
    class Meta:
        model = ProductDeployment

    account = factory.SubFactory(AccountFactory)
    product = factory.Sequence(lambda n: f"Product {n}")
    licensed_seats = 1000
    active_seats = 750
    is_current_version = True


# --- opportunities ------------------------------------------------------------------


def stage(slug: str):
    """One of the stages seeded by the opportunities migration."""
    from opportunities.models import Stage

    return Stage.objects.get(slug=slug)


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = "opportunities.Partner"

    name = factory.Sequence(lambda n: f"Partner {n} Ltd")
    kind = "si"
    external_id = factory.Sequence(lambda n: f"P-{1000 + n}")


class OpportunityFactory(DjangoModelFactory):
    class Meta:
        model = "opportunities.Opportunity"

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    owner = factory.LazyAttribute(lambda o: o.account.owner)
    kind = "new"
    stage = factory.LazyFunction(lambda: stage("qualify"))
    amount = Decimal("250000.00")
    currency = "USD"
    close_date = datetime.date(2027, 3, 31)
    source = "keyplan"
    external_id = factory.Sequence(lambda n: f"OPP-{1000 + n}")


class EscalationFactory(DjangoModelFactory):
    class Meta:
        model = "opportunities.Escalation"

    opportunity = factory.SubFactory(OpportunityFactory)
    raised_by = factory.LazyAttribute(lambda e: e.opportunity.owner)
    note = "Customer asks for a 10% discount to sign this quarter."
