import pytest

from tests.factories import AccountTeamMemberFactory, OpportunityFactory


@pytest.fixture
def vt_am(other_am, account):
    """An AM of another team sitting on `account`'s virtual team."""
    AccountTeamMemberFactory(account=account, user=other_am)
    return other_am


@pytest.fixture
def opp(account):
    return OpportunityFactory(account=account, name="Core banking renewal", external_id="SF-1")
