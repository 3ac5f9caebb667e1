"""Model rules and services: LTP flag, renewal status at its edges, revenue periods,
adoption, lost-update protection."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import Account, Agreement, RevenueRecord
from core.exceptions import PermissionDeniedError, StaleVersionError
from core.fiscal import fiscal_year_bounds, fiscal_year_of
from tests.factories import (
    AccountFactory,
    AgreementFactory,
    ProductDeploymentFactory,
    UserFactory,
)

TODAY = datetime.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("segment", "ltp", "below"),
    [
        ("mature", "999999.99", True),
        ("mature", "1000000.00", False),
        ("emerging", "499999.99", True),
        ("emerging", "500000.00", False),
        ("emerging", "0", True),
    ],
)
@pytest.mark.django_db
def test_ltp_threshold_flag_at_its_edges(segment, ltp, below):
    account = AccountFactory(segment=segment, ltp=Decimal(ltp))
    assert account.below_ltp_threshold is below
    assert Account.objects.below_ltp().filter(pk=account.pk).exists() is below


@pytest.mark.django_db
def test_ltp_minimum_comes_from_settings(settings):
    settings.LTP_MINIMUM = {"mature": 2_000_000, "emerging": 500_000}
    account = AccountFactory(segment="mature", ltp=Decimal("1500000"))
    assert account.below_ltp_threshold is True
    assert list(Account.objects.below_ltp()) == [account]


def status_on(agreement: Agreement, today: datetime.date) -> str:
    return Agreement.objects.with_renewal_status(today).get(pk=agreement.pk).renewal_status


@pytest.mark.parametrize(
    ("start_date", "end_date", "status"),
    [
        (datetime.date(2020, 1, 1), TODAY - datetime.timedelta(days=1), "lapsed"),
        (datetime.date(2020, 1, 1), TODAY, "due"),
        (datetime.date(2020, 1, 1), TODAY + datetime.timedelta(days=180), "due"),
        (datetime.date(2020, 1, 1), TODAY + datetime.timedelta(days=181), "active"),
        (TODAY, TODAY + datetime.timedelta(days=1000), "active"),
        (TODAY + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=1000), "upcoming"),
        # upcoming comes before due: a short term that starts tomorrow is not yet due.
        (TODAY + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=30), "upcoming"),
    ],
)
@pytest.mark.django_db
def test_renewal_status_at_its_edges(start_date, end_date, status):
    agreement = AgreementFactory(start_date=start_date, end_date=end_date)
    assert status_on(agreement, TODAY) == status


@pytest.mark.django_db
def test_the_model_property_reads_the_same_rule_as_of_today():
    today = timezone.localdate()
    due = AgreementFactory(start_date=datetime.date(2020, 1, 1), end_date=today)
    active = AgreementFactory(
        start_date=datetime.date(2020, 1, 1), end_date=today + datetime.timedelta(days=400)
    )
    assert (due.renewal_status, active.renewal_status) == ("due", "active")
    annotated = Agreement.objects.with_renewal_status().get(pk=due.pk)
    assert annotated.renewal_status == "due"
    # A change of dates is read anew, not from the value cached before the save.
    services.agreement_update(
        actor=UserFactory(role="ops"),
        instance=annotated,
        data={"end_date": today + datetime.timedelta(days=400)},
    )
    assert annotated.renewal_status == "active"


@pytest.mark.django_db
def test_a_successor_makes_an_agreement_renewed_even_after_it_ended():
    old = AgreementFactory(
        start_date=datetime.date(2020, 1, 1), end_date=TODAY - datetime.timedelta(days=30)
    )
    assert status_on(old, TODAY) == "lapsed"
    AgreementFactory(
        account=old.account,
        renews=old,
        start_date=TODAY,
        end_date=TODAY + datetime.timedelta(days=1000),
    )
    assert status_on(old, TODAY) == "renewed"


@pytest.mark.django_db
def test_agreement_end_before_start_is_refused(am):
    account = AccountFactory(owner=am)
    with pytest.raises(ValidationError) as error:
        services.agreement_create(
            actor=am,
            account=account,
            kind="EA",
            number="EA-9",
            start_date=datetime.date(2026, 7, 1),
            end_date=datetime.date(2026, 6, 30),
            annual_value=Decimal("1"),
        )
    assert "end_date" in error.value.message_dict
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_revenue_period_must_be_first_of_month(am):
    account = AccountFactory(owner=am)
    with pytest.raises(ValidationError) as error:
        services.revenue_record_upsert(
            actor=am, account=account, period=datetime.date(2026, 7, 2), amount=Decimal("1")
        )
    assert "period" in error.value.message_dict
    assert not RevenueRecord.objects.exists()


@pytest.mark.django_db
def test_revenue_upsert_replaces_on_its_key(am):
    account = AccountFactory(owner=am)
    period = datetime.date(2026, 7, 1)
    record, status = services.revenue_record_upsert(
        actor=am, account=account, period=period, amount=Decimal("10")
    )
    assert status == "created"
    again, status = services.revenue_record_upsert(
        actor=am, account=account, period=period, amount=Decimal("10")
    )
    assert (again.pk, status, again.version) == (record.pk, "unchanged", 1)
    again, status = services.revenue_record_upsert(
        actor=am, account=account, period=period, amount=Decimal("11")
    )
    assert (again.pk, status, again.version) == (record.pk, "updated", 2)
    other, status = services.revenue_record_upsert(
        actor=am, account=account, period=period, amount=Decimal("1"), source="erp"
    )
    assert status == "created" and other.pk != record.pk


@pytest.mark.django_db
def test_adoption_is_active_over_licensed():
    assert ProductDeploymentFactory(licensed_seats=800, active_seats=600).adoption == Decimal(
        "0.75"
    )
    assert ProductDeploymentFactory(licensed_seats=0, active_seats=0).adoption is None


@pytest.mark.django_db
def test_account_update_with_a_stale_version_writes_nothing(am):
    account = AccountFactory(owner=am, name="Before")
    services.account_update(actor=am, instance=account, data={"name": "First"}, expected_version=1)
    stale = Account.objects.get(pk=account.pk)
    stale.version = 1  # the copy a second person loaded before the first save
    with pytest.raises(StaleVersionError):
        services.account_update(
            actor=am, instance=stale, data={"name": "Second"}, expected_version=1
        )
    account.refresh_from_db()
    assert (account.name, account.version) == ("First", 2)


@pytest.mark.django_db
def test_account_history_records_who_changed_what(am):
    account = AccountFactory(owner=am, name="Before")
    services.account_update(actor=am, instance=account, data={"name": "After"})
    names = [h.name for h in account.history.order_by("history_date")]
    assert names == ["Before", "After"]


@pytest.mark.django_db
def test_account_owner_must_be_an_am(manager, ops):
    with pytest.raises(ValidationError) as error:
        services.account_create(
            actor=ops, name="X", segment="mature", ltp=Decimal("1"), owner=manager
        )
    assert "owner" in error.value.message_dict


@pytest.mark.django_db
def test_manager_assigns_accounts_within_their_team_only(manager, am, other_am):
    account = services.account_create(
        actor=manager, name="Ok", segment="mature", ltp=Decimal("1000000"), owner=am
    )
    assert account.owner == am
    with pytest.raises(PermissionDeniedError):
        services.account_create(
            actor=manager, name="No", segment="mature", ltp=Decimal("1000000"), owner=other_am
        )
    assert not Account.objects.filter(name="No").exists()


@pytest.mark.django_db
def test_capacity_flag_counts_active_owned_accounts(settings, am):
    from teams.selectors import am_account_load, is_over_capacity

    settings.AM_ACCOUNT_CAPACITY = 2
    AccountFactory.create_batch(3, owner=am)
    AccountFactory(owner=am, is_active=False)
    load = am_account_load(user_ids=[am.pk])[am.pk]
    assert load == 3
    assert is_over_capacity(load) is True
    assert is_over_capacity(2) is False


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (datetime.date(2026, 6, 30), 2026),
        (datetime.date(2026, 7, 1), 2027),
        (datetime.date(2027, 6, 30), 2027),
    ],
)
def test_fiscal_year_is_named_by_the_year_it_ends(day, fy):
    assert fiscal_year_of(day) == fy


def test_fiscal_year_bounds():
    assert fiscal_year_bounds(2027) == (datetime.date(2026, 7, 1), datetime.date(2027, 6, 30))


def test_fiscal_year_follows_the_start_month_setting(settings):
    settings.FISCAL_YEAR_START_MONTH = 1
    assert fiscal_year_of(datetime.date(2026, 11, 27)) == 2026
    assert fiscal_year_bounds(2026) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
