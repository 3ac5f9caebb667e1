import pytest
from rest_framework.test import APIClient

from tests.factories import (
    AccountFactory,
    ManagerFactory,
    OpsFactory,
    TeamFactory,
    UserFactory,
)


@pytest.fixture
def team(db):
    return TeamFactory(manager=ManagerFactory(username="manager"))


@pytest.fixture
def manager(team):
    return team.manager


@pytest.fixture
def am(team):
    return UserFactory(username="am", team=team)


@pytest.fixture
def other_am(db):
    """An AM in another team, with another manager."""
    other_team = TeamFactory(manager=ManagerFactory(username="othermanager"))
    return UserFactory(username="otheram", team=other_team)


@pytest.fixture
def ops(db):
    return OpsFactory(username="ops")


@pytest.fixture
def catalogues(db):
    """The demo's sectors, industries, territories and products, as a fresh install has them
    (the data migration seeds the same values)."""
    from accounts.catalogues import KINDS, ensure_entries
    from accounts.demo import catalogue_values

    values = {**catalogue_values(), "territories": ["Lagos Corporate West", "Lagos Corporate East"]}
    return {kind: ensure_entries(KINDS[kind].model, names) for kind, names in values.items()}


@pytest.fixture
def account(am, catalogues):
    return AccountFactory(owner=am, name="Zenith Example Bank")


@pytest.fixture
def other_account(other_am):
    return AccountFactory(owner=other_am, name="Other Telecom Ltd")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """api_as(user) -> an APIClient authenticated with that user's token."""
    from rest_framework.authtoken.models import Token

    def login(user):
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return login


@pytest.fixture(autouse=True)
def _empty_cache():
    """API throttling counts requests in the cache (Redis under CI): every test starts with
    no requests counted and leaves none behind."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def default_stages(request):
    """The pipeline stages the opportunities migration seeds. A transactional test (the
    PostgreSQL concurrency suites) empties every table when it ends, migration data
    included: a database test after it finds them seeded again."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    import importlib

    from django.apps import apps

    if not apps.get_model("opportunities", "Stage").objects.exists():
        importlib.import_module("opportunities.migrations.0002_default_stages").seed(apps, None)
