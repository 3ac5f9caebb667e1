import pytest

from tests.factories import AccountTeamMemberFactory


@pytest.fixture
def vt_am(other_am, account):
    """An AM of another team sitting on `account`'s virtual team."""
    AccountTeamMemberFactory(account=account, user=other_am)
    return other_am
