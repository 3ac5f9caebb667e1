"""Schema fuzzing (api.md: a generated client and a schema fuzzer agree with what the server
does). Schemathesis takes the schema the app serves and drives every /api/v1/ operation
in-process through the WSGI app, as an ops user and as an AM, with valid and invalid input.
Every answer must be no server error, a status the schema documents for that operation,
with the documented content type, body and headers.

Generation is seeded and derandomized, so a run is repeatable. (Hypothesis also draws on
literals found in the loaded modules, so this file alone and the whole suite may try
different inputs; each repeats.) Most generated ids and references point at nothing
(404/400); hooks below point part of them at the rows of a small book, so that updates,
deletes, filters and the bulk upsert are exercised too.

FUZZ_EXAMPLES=<n> (default 15) sets the examples per operation; FUZZ_COVERAGE=1 also
runs schemathesis' coverage phase (every boundary and invalid value of every parameter,
several minutes), e.g. before a release.
"""

import datetime
import os
import uuid
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.api.schema import served_schema
from opportunities.models import Stage
from teams.models import User
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    AgreementFactory,
    ManagerFactory,
    OpportunityFactory,
    OpsFactory,
    PartnerFactory,
    ProductDeploymentFactory,
    QuotaFactory,
    RevenueRecordFactory,
    TeamFactory,
    UserFactory,
)
from tests.relationships.factories import (
    InteractionFactory,
    StakeholderFactory,
    SurveyResponseFactory,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

CONFIG = {
    "seed": 20260101,
    "generation": {
        "max-examples": int(os.environ.get("FUZZ_EXAMPLES", "15")),
        "deterministic": True,
        "database": "none",
    },
    "phases": {"coverage": {"enabled": os.environ.get("FUZZ_COVERAGE") == "1"}},
}


# The document /api/schema/ serves, made in-process: pytest collects this module before any
# database (or token to read /api/schema/ with) exists.
schema = schemathesis.openapi.from_dict(
    served_schema(), config=schemathesis.Config.from_dict(CONFIG)
).include(path_regex="^/api/v1/")
# Every request goes in-process through the project's WSGI app (config/wsgi.py's).
schema.app = get_wsgi_application()

# The current test's book: resource -> ids, and the usernames, for the hooks below.
BOOK: dict[str, list] = {}

# A reference in a query or a body, by name -> the book's ids (or usernames) that fit it.
REFERENCES = {
    "account": "accounts",
    "parent": "accounts",
    "renews": "agreements",
    "team": "teams",
    "stakeholder": "stakeholders",
    "reports_to": "stakeholders",
    "owner": "usernames",
    "user": "usernames",
    "manager": "usernames",
    "username": "usernames",
    "external_id": "external_ids",
    "account_external_id": "external_ids",
    "agreement": "agreements",
    "partner": "partners",
    "stage": "stage_slugs",
}
MONTHS = st.dates(datetime.date(2020, 1, 1), datetime.date(2030, 12, 1)).map(
    lambda day: day.replace(day=1).isoformat()
)
MONEY = st.decimals(0, 10**9, places=2).map(str)
# Values the schema cannot say precisely (a period is the first of a month, money is not
# negative), by field name.
VALUES = {
    "period": MONTHS,
    "ltp": MONEY,
    "amount": MONEY,
    "annual_value": MONEY,
    **{quarter: MONEY for quarter in ("q1", "q2", "q3", "q4")},
}


def _resource(context) -> str:
    # "/api/v1/accounts/{id}/" -> "accounts"
    return context.operation.path.split("/")[3]


def _point_at_book(values: dict) -> st.SearchStrategy:
    """Either the generated values, or the same with each known reference pointed at a
    row of the book and each value the schema cannot describe drawn to fit."""
    if not isinstance(values, dict):
        return st.just(values)
    fitting = {
        name: st.sampled_from(BOOK[REFERENCES[name]]) if name in REFERENCES else VALUES[name]
        for name in values
        if name in REFERENCES or name in VALUES
    }
    if not fitting:
        return st.just(values)
    pointed = st.fixed_dictionaries(fitting).map(lambda drawn: {**values, **drawn})
    return st.one_of(pointed, st.just(values))


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    ids = BOOK.get(_resource(context))
    if not ids or not isinstance(path_parameters, dict) or "id" not in path_parameters:
        return st.just(path_parameters)
    existing = st.sampled_from(ids).map(lambda pk: {**path_parameters, "id": pk})
    return st.one_of(existing, st.just(path_parameters))


@schema.hook
def map_path_parameters(context, path_parameters):
    # PUT /opportunities/by-external-id/{source}/{external_id}/: now and then a stored key.
    keys = BOOK.get("opportunity_keys")
    if keys and isinstance(path_parameters, dict) and "source" in path_parameters:
        index = len(str(path_parameters.get("external_id", ""))) % (len(keys) + 1)
        if index < len(keys):
            source, external_id = keys[index]
            return {**path_parameters, "source": source, "external_id": external_id}
    return path_parameters


@schema.hook
def flatmap_query(context, query):
    return _point_at_book(query)


def _revenue_record() -> st.SearchStrategy:
    account = st.one_of(
        st.sampled_from(BOOK["accounts"]).map(lambda pk: {"account": pk}),
        st.sampled_from(BOOK["external_ids"]).map(lambda ref: {"account_external_id": ref}),
    )
    rest = st.fixed_dictionaries(
        {"period": MONTHS, "amount": MONEY, "source": st.sampled_from(["erp", "manual"])}
    )
    return st.tuples(account, rest).map(lambda parts: {**parts[0], **parts[1]})


def _opportunity_record() -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {
            "source": st.sampled_from(["crm", "erp"]),
            "external_id": st.sampled_from(["F1", "F2", "F3"]),
            "account": st.sampled_from(BOOK["accounts"]),
            "name": st.sampled_from(["Deal", "Renewal"]),
            "stage": st.sampled_from(BOOK["stage_slugs"]),
            "amount": MONEY,
            "close_date": st.dates(datetime.date(2026, 1, 1), datetime.date(2028, 12, 31)).map(
                datetime.date.isoformat
            ),
            "business_value": st.sampled_from(["", "ROI 3x"]),
            "loss_reason": st.sampled_from(["", "Price"]),
            "partners": st.lists(st.sampled_from(BOOK["partners"]), max_size=2),
        }
    )


@schema.hook
def flatmap_body(context, body):
    if not isinstance(body, dict):
        return st.just(body)
    bulk_of = {"revenue": _revenue_record, "opportunities": _opportunity_record}
    if _resource(context) in bulk_of and isinstance(body.get("records"), list):
        # The bulk envelope: mostly well-formed records, so the upsert itself runs.
        records = st.lists(bulk_of[_resource(context)](), min_size=1, max_size=5)
        return st.one_of(records.map(lambda rows: {**body, "records": rows}), st.just(body))
    if "version" in body:
        # A random version is almost always stale (409); also send none.
        without = {k: v for k, v in body.items() if k != "version"}
        return st.one_of(_point_at_book(without), _point_at_book(body))
    return _point_at_book(body)


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across requests, as Django's test client does:
    at the end of each request Django closes a connection that is inside a transaction
    (here, the test's), which would end the test's transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def no_throttling(monkeypatch):
    """Throttle counters live in the cache (Redis in CI), which outlives a test run, and
    users' ids repeat between runs: left on, a run's answers would depend on the runs
    before it. 429 is documented for every operation (test_api_schema checks that)."""
    monkeypatch.setattr(APIView, "check_throttles", lambda self, request: None)


@pytest.fixture
def book(db, in_process_requests, no_throttling):
    team = TeamFactory(manager=ManagerFactory(username="fuzz-manager"))
    am = UserFactory(username="fuzz-am", team=team)
    ops = OpsFactory(username="fuzz-ops")
    stranger = UserFactory(username="fuzz-stranger")
    accounts = [AccountFactory(owner=am, external_id=f"CRM-{10001 + n}") for n in range(3)]
    accounts.append(AccountFactory(owner=stranger, external_id="CRM-20001"))
    agreements, revenue, deployments, members = [], [], [], []
    for account in accounts:
        agreements.append(AgreementFactory(account=account))
        revenue.append(RevenueRecordFactory(account=account, amount=Decimal("1250.00")))
        deployments.append(ProductDeploymentFactory(account=account))
        members.append(AccountTeamMemberFactory(account=account, user=stranger))
    quotas = [QuotaFactory(user=am), QuotaFactory(user=stranger)]
    partners = PartnerFactory.create_batch(2)
    opportunities = [
        OpportunityFactory(account=account, source="crm", external_id=f"F{n}")
        for n, account in enumerate(accounts)
    ]
    opportunities[0].partners.set(partners)
    stakeholders = [StakeholderFactory(account=account) for account in accounts]
    interactions = [InteractionFactory(account=s.account, logged_by=am) for s in stakeholders]
    surveys = [SurveyResponseFactory(stakeholder=s) for s in stakeholders]
    BOOK.clear()
    BOOK.update(
        {
            "accounts": [a.pk for a in accounts],
            "external_ids": [a.external_id for a in accounts],
            "agreements": [a.pk for a in agreements],
            "revenue": [r.pk for r in revenue],
            "deployments": [d.pk for d in deployments],
            "account-team-members": [m.pk for m in members],
            "quotas": [q.pk for q in quotas],
            "partners": [p.pk for p in partners],
            "opportunities": [o.pk for o in opportunities],
            "opportunity_keys": [(o.source, o.external_id) for o in opportunities],
            "stages": list(Stage.objects.values_list("pk", flat=True)),
            "stage_slugs": list(Stage.objects.values_list("slug", flat=True)),
            "stakeholders": [s.pk for s in stakeholders],
            "interactions": [i.pk for i in interactions],
            "surveys": [s.pk for s in surveys],
            "teams": [team.pk],
            "users": [u.pk for u in (am, ops, stranger, team.manager)],
            "usernames": [u.username for u in (am, ops, stranger, team.manager)],
        }
    )
    yield {"am": am, "ops": ops}
    BOOK.clear()


@schema.parametrize()
# The book is made once per operation and role; that operation's examples share it.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@pytest.mark.parametrize("role", ["ops", "am"])
def test_api_answers_as_its_schema_says(case, role, book):
    user = book[role]
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}"}
    if case.method == "POST":
        # A fresh key per request: a generated key reused with another body would answer
        # 422 (documented, but it would hide what the body itself does).
        headers["Idempotency-Key"] = uuid.uuid4().hex
    try:
        case.call_and_validate(headers=headers, checks=CHECKS)
    finally:
        # An ops user may deactivate or demote themself through PATCH /users/{id}/; undo
        # it so every example runs with the role the test is for.
        User.objects.filter(pk=user.pk).update(is_active=True, role=user.role)
