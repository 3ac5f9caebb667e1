"""The opportunity pages: the pipeline table (filters, totals, CSV), the opportunity page
(history, escalations), add / edit (stale-save merge) / delete, the account page's section;
visibility (others' deals answer 404) and write permission (a forged POST gets the 403 page
and changes nothing) on each. The board and its stage move are in test_board.py."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities import services
from opportunities.filters import fiscal_quarter_bounds
from opportunities.models import Escalation, Opportunity, StageChange
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    EscalationFactory,
    OpportunityFactory,
    PartnerFactory,
    UserFactory,
    stage,
)
from tests.html_forms import form_data as form_data_of

pytestmark = pytest.mark.django_db

LIST = reverse("opportunities:list")
EXPORT = reverse("opportunities:export")


def names(response) -> list[str]:
    return [o.name for o in response.context["rows"]]


def row(pk) -> dict:
    values = Opportunity.objects.filter(pk=pk).values().first()
    assert values is not None
    return values


def read_csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def push_close_date(opportunity, actor, *days):
    """Move the close date later, once per entry of `days` (recorded as StageChange rows)."""
    for step in days:
        opportunity = services.opportunity_update(
            actor=actor,
            instance=opportunity,
            data={"close_date": opportunity.close_date + datetime.timedelta(days=step)},
        )
    return opportunity


# --- visibility -----------------------------------------------------------------------


def test_table_lists_what_the_user_sees(client, am, manager, ops, account, other_account):
    mine = OpportunityFactory(account=account, name="Mine")
    OpportunityFactory(account=other_account, name="Theirs")
    shared = AccountFactory(owner=other_account.owner, name="Shared Co")
    AccountTeamMemberFactory(account=shared, user=am)
    OpportunityFactory(account=shared, name="On my virtual team")
    OpportunityFactory(account=account, name="Deleted", is_deleted=True)

    client.force_login(am)
    assert sorted(names(client.get(LIST))) == ["Mine", "On my virtual team"]
    client.force_login(manager)
    assert names(client.get(LIST)) == ["Mine"]
    client.force_login(ops)
    assert sorted(names(client.get(LIST))) == ["Mine", "On my virtual team", "Theirs"]
    assert mine.pk


def test_others_deals_answer_404_on_every_page(client, am, other_account, other_am):
    theirs = OpportunityFactory(account=other_account, name="Theirs")
    escalation = EscalationFactory(opportunity=theirs)
    before = row(theirs.pk)
    client.force_login(am)
    pk = theirs.pk
    for url in [
        reverse("opportunities:detail", args=[pk]),
        reverse("opportunities:edit", args=[pk]),
        reverse("opportunities:create") + f"?account={other_account.pk}",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("opportunities:edit", args=[pk]),
        reverse("opportunities:delete", args=[pk]),
        reverse("opportunities:move", args=[pk]),
        reverse("opportunities:escalation_raise", args=[pk]),
        reverse("opportunities:escalation_resolve", args=[pk, escalation.pk]),
    ]:
        assert client.post(url, {"stage": "develop", "note": "x", "name": "x"}).status_code == 404
    assert row(pk) == before
    assert Escalation.objects.count() == 1
    # Not in the export either, nor named by a filter on its account.
    assert read_csv(client.get(EXPORT)) == []
    assert names(client.get(LIST, {"account": other_account.pk})) == []


def test_a_deleted_deal_answers_404(client, am, account):
    gone = OpportunityFactory(account=account, is_deleted=True)
    client.force_login(am)
    assert client.get(reverse("opportunities:detail", args=[gone.pk])).status_code == 404


# --- write permission through the pages -----------------------------------------------


@pytest.fixture
def vt_am(other_am, account):
    AccountTeamMemberFactory(account=account, user=other_am)
    return other_am


def test_virtual_team_am_sees_the_owners_deal_read_only(client, am, vt_am, account):
    deal = OpportunityFactory(account=account, owner=am, name="Owner's deal")
    before = row(deal.pk)
    client.force_login(vt_am)
    page = client.get(reverse("opportunities:detail", args=[deal.pk]))
    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert reverse("opportunities:edit", args=[deal.pk]).encode() not in page.content
    assert b"Escalate to the manager" not in page.content

    assert client.get(reverse("opportunities:edit", args=[deal.pk])).status_code == 403
    forged = client.post(
        reverse("opportunities:edit", args=[deal.pk]),
        {"name": "Hijacked", "version": deal.version},
    )
    assert forged.status_code == 403
    assert b"Only the account" in forged.content  # the 403 page names the rule
    assert client.post(reverse("opportunities:delete", args=[deal.pk])).status_code == 403
    assert (
        client.post(reverse("opportunities:move", args=[deal.pk]), {"stage": "develop"}).status_code
        == 403
    )
    raise_url = reverse("opportunities:escalation_raise", args=[deal.pk])
    assert client.post(raise_url, {"note": "Please"}).status_code == 403
    assert row(deal.pk) == before
    assert not Escalation.objects.exists()


def test_virtual_team_am_adds_and_edits_their_own_deal(client, am, vt_am, account):
    client.force_login(vt_am)
    url = reverse("opportunities:create") + f"?account={account.pk}"
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"].fields["owner"].disabled
    response = client.post(
        url,
        {
            "name": "VT deal",
            "owner": am.pk,  # a disabled field: the posted value is ignored
            "kind": "new",
            "stage": stage("prospect").pk,
            "amount": "1000",
            "currency": "usd",
            "close_date": "2027-05-31",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[account.pk]) + "#opportunities"
    deal = Opportunity.objects.get(name="VT deal")
    assert (deal.owner, deal.currency, deal.amount) == (vt_am, "USD", Decimal("1000.00"))
    assert client.get(reverse("opportunities:edit", args=[deal.pk])).status_code == 200


def test_other_manager_cannot_reach_the_account_or_its_deals(client, account, other_am):
    deal = OpportunityFactory(account=account)
    client.force_login(other_am.team.manager)
    assert client.get(reverse("opportunities:detail", args=[deal.pk])).status_code == 404
    url = reverse("opportunities:create") + f"?account={account.pk}"
    assert client.post(url, {"name": "x"}).status_code == 404
    assert Opportunity.objects.count() == 1


# --- add, edit, delete ----------------------------------------------------------------


def form_data(opportunity, **overrides) -> dict:
    data = {
        "name": opportunity.name,
        "owner": opportunity.owner_id,
        "kind": opportunity.kind,
        "stage": opportunity.stage_id,
        "amount": str(opportunity.amount),
        "currency": opportunity.currency,
        "close_date": opportunity.close_date.isoformat(),
        "probability": "" if opportunity.probability is None else opportunity.probability,
        "forecast_category": opportunity.forecast_category or "",
        "business_value": opportunity.business_value,
        "loss_reason": opportunity.loss_reason,
        "partners": [p.pk for p in opportunity.partners.all()],
        "licensing_vehicle": opportunity.licensing_vehicle,
        "agreement": opportunity.agreement_id or "",
        "competitor": opportunity.competitor,
        "version": opportunity.version,
    }
    data.update(overrides)
    return data


def test_add_from_the_account_page_is_prefilled_with_the_account(client, am, account):
    client.force_login(am)
    page = client.get(reverse("accounts:detail", args=[account.pk]))
    add_url = reverse("opportunities:create") + f"?account={account.pk}"
    assert add_url.encode() in page.content.replace(b"&amp;", b"&")
    form = client.get(add_url)
    assert form.context["form"].initial["owner"] == am.pk
    partner = PartnerFactory(name="Lagos SI")
    response = client.post(
        add_url,
        {
            "name": "Azure landing zone",
            "owner": am.pk,
            "kind": "expansion",
            "stage": stage("propose").pk,
            "amount": "125000.50",
            "currency": "USD",
            "close_date": "2027-04-30",
            "business_value": "Cuts hosting cost by a third.",
            "partners": [partner.pk],
        },
    )
    assert response.status_code == 302
    deal = Opportunity.objects.get(name="Azure landing zone")
    assert deal.account == account
    assert list(deal.partners.all()) == [partner]
    assert list(deal.changes.values_list("field", "to_value")) == [("stage", "propose")]


def test_add_refused_by_a_stage_rule_keeps_the_input_and_names_the_rule(client, am, account):
    client.force_login(am)
    response = client.post(
        reverse("opportunities:create") + f"?account={account.pk}",
        {
            "name": "No value yet",
            "owner": am.pk,
            "kind": "new",
            "stage": stage("propose").pk,
            "amount": "-5",
            "currency": "US",
            "close_date": "not a date",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"amount", "currency", "close_date"}
    response = client.post(
        reverse("opportunities:create") + f"?account={account.pk}",
        {
            "name": "No value yet",
            "owner": am.pk,
            "kind": "new",
            "stage": stage("propose").pk,
            "amount": "5",
            "currency": "USD",
            "close_date": "2027-01-31",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["business_value"] == [services.BUSINESS_VALUE_RULE]
    assert b"No value yet" in response.content
    assert not Opportunity.objects.exists()


def test_add_without_an_account_sends_the_user_to_pick_one(client, am):
    client.force_login(am)
    response = client.get(reverse("opportunities:create"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:list")


def test_edit_saves_and_records_history(client, am, account):
    deal = OpportunityFactory(account=account, amount=Decimal("100"))
    client.force_login(am)
    url = reverse("opportunities:edit", args=[deal.pk])
    response = client.post(url, form_data(deal, amount="150", close_date="2027-06-30"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.amount, deal.close_date, deal.version) == (
        Decimal("150.00"),
        datetime.date(2027, 6, 30),
        2,
    )
    page = client.get(reverse("opportunities:detail", args=[deal.pk]))
    fields = [r["change"].field for r in page.context["history"]]
    # Newest first (saved together: the last recorded first); the factory records no creation.
    assert fields == ["close_date", "amount"]
    assert b"Close date 31 Mar 2027" in page.content


def test_stale_edit_merges_and_keeps_the_users_input(client, am, manager, account):
    deal = OpportunityFactory(account=account, name="Original", amount=Decimal("100"))
    deal.partners.add(PartnerFactory(name="Kept SI"))
    client.force_login(am)
    url = reverse("opportunities:edit", args=[deal.pk])
    loaded = form_data_of(client.get(url).content.decode())
    # Someone else changes the amount and the partners meanwhile.
    services.opportunity_update(
        actor=manager, instance=deal, data={"amount": Decimal("900"), "partners": []}
    )
    response = client.post(url, {**loaded, "name": ["Mine"]})
    assert response.status_code == 409
    conflicts = response.context["conflicts"]
    assert [(c["label"], c["theirs"], c["kept"]) for c in conflicts] == [
        ("Amount", "USD 900", "theirs"),
        ("Partners", "—", "theirs"),
    ]
    form = response.context["form"]
    assert (form.data["name"], form.data["amount"], form.data.getlist("partners")) == (
        "Mine",
        "900",
        [],
    )
    deal.refresh_from_db()
    assert (deal.name, deal.amount, deal.version) == ("Original", Decimal("900.00"), 2)
    # Saving the merged form again applies the user's change on top of theirs.
    merged = form_data_of(response.content.decode())
    assert client.post(url, merged).status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.amount, list(deal.partners.all())) == (
        "Mine",
        Decimal("900.00"),
        [],
    )


def test_delete_is_soft_and_goes_back_to_the_account(client, am, account):
    deal = OpportunityFactory(account=account)
    client.force_login(am)
    response = client.post(reverse("opportunities:delete", args=[deal.pk]))
    assert response["Location"] == reverse("accounts:detail", args=[account.pk]) + "#opportunities"
    deal.refresh_from_db()
    assert deal.is_deleted and deal.deleted_at is not None
    assert names(client.get(LIST)) == []


# --- escalations ----------------------------------------------------------------------


def test_owner_escalates_and_the_manager_decides(client, am, manager, account):
    deal = OpportunityFactory(account=account)
    client.force_login(am)
    page = client.get(reverse("opportunities:detail", args=[deal.pk]))
    assert page.context["can_resolve"] is False
    empty = client.post(reverse("opportunities:escalation_raise", args=[deal.pk]), {"note": " "})
    assert empty.status_code == 422
    assert not Escalation.objects.exists()
    client.post(reverse("opportunities:escalation_raise", args=[deal.pk]), {"note": "10% off?"})
    escalation = Escalation.objects.get()
    assert (escalation.raised_by, escalation.note, escalation.is_open) == (am, "10% off?", True)
    page = client.get(reverse("opportunities:detail", args=[deal.pk]))
    assert b"Record the decision" not in page.content  # the AM does not resolve
    resolve = reverse("opportunities:escalation_resolve", args=[deal.pk, escalation.pk])
    forged = client.post(
        resolve, {f"e{escalation.pk}-decision": "Yes", f"e{escalation.pk}-version": 1}
    )
    assert forged.status_code == 403
    escalation.refresh_from_db()
    assert escalation.is_open

    client.force_login(manager)
    page = client.get(reverse("opportunities:detail", args=[deal.pk]))
    assert b"Record the decision" in page.content
    response = client.post(
        resolve, {f"e{escalation.pk}-decision": "Yes, 5% at most.", f"e{escalation.pk}-version": 1}
    )
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.decision, escalation.decided_by, escalation.is_open) == (
        "Yes, 5% at most.",
        manager,
        False,
    )
    # A second decision based on the old page: refused, the first one stands.
    again = client.post(
        resolve, {f"e{escalation.pk}-decision": "No", f"e{escalation.pk}-version": 1}
    )
    assert again.status_code == 302
    escalation.refresh_from_db()
    assert escalation.decision == "Yes, 5% at most."
    page = client.get(reverse("opportunities:detail", args=[deal.pk]))
    assert b"Yes, 5% at most." in page.content


# --- table: filters, sort, totals, CSV -------------------------------------------------


@pytest.fixture
def pipeline(am, account, manager):
    """Five deals on `account` with known stages, amounts, kinds, partners and history."""
    partner = PartnerFactory(name="Lagos SI")
    deals = {
        "a": OpportunityFactory(
            account=account,
            name="A",
            stage=stage("prospect"),
            amount=Decimal("100000"),
            close_date=datetime.date(2026, 8, 15),
        ),
        "b": OpportunityFactory(
            account=account,
            name="B",
            stage=stage("negotiate"),
            amount=Decimal("200000"),
            close_date=datetime.date(2026, 11, 20),
            kind="renewal",
            business_value="ROI",
        ),
        "c": OpportunityFactory(
            account=account,
            name="C",
            stage=stage("develop"),
            amount=Decimal("50000"),
            close_date=datetime.date(2027, 2, 1),
            probability=90,
            forecast_category="commit",
        ),
        "won": OpportunityFactory(
            account=account,
            name="Won",
            stage=stage("closed_won"),
            amount=Decimal("70000"),
            close_date=datetime.date(2026, 9, 1),
            business_value="ROI",
        ),
        "lost": OpportunityFactory(
            account=account,
            name="Lost",
            stage=stage("closed_lost"),
            amount=Decimal("30000"),
            close_date=datetime.date(2026, 9, 2),
            loss_reason="Price",
        ),
    }
    deals["b"].partners.add(partner)
    deals["partner"] = partner
    return deals


def test_table_defaults_to_open_deals_by_close_date_with_totals(client, am, pipeline):
    client.force_login(am)
    response = client.get(LIST)
    assert names(response) == ["A", "B", "C"]
    # 100000 x 10% + 200000 x 80% + 50000 x 90% (its override)
    assert response.context["totals"] == {
        "count": 3,
        "amount": Decimal("350000.00"),
        "weighted": Decimal("215000.00"),
    }
    assert b"USD 350,000" in response.content and b"USD 215,000" in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"stage": "negotiate"}, ["B"]),
        ({"kind": "renewal"}, ["B"]),
        ({"forecast_category": "commit"}, ["B", "C"]),  # C by its override
        ({"forecast_category": "pipeline"}, ["A"]),
        ({"status": "won"}, ["Won"]),
        ({"status": "lost"}, ["Lost"]),
        ({"status": "all"}, ["A", "Won", "Lost", "B", "C"]),
        ({"status": "all", "close_quarter": "FY2027-Q1"}, ["A", "Won", "Lost"]),
        ({"close_quarter": "FY2027-Q2"}, ["B"]),
        ({"close_quarter": "fy2027-q3"}, ["C"]),
        ({"q": "c"}, ["C"]),
        ({"owner": "am"}, ["A", "B", "C"]),
        ({"owner": "nobody"}, []),
        ({"sort": "-amount"}, ["B", "A", "C"]),
        ({"sort": "probability"}, ["A", "B", "C"]),
        ({"sort": "-probability"}, ["C", "B", "A"]),
        ({"close_quarter": "Q5"}, ["A", "B", "C"]),  # not a quarter: left out, and named
    ],
)
def test_table_filters(client, am, pipeline, query, expected):
    client.force_login(am)
    assert names(client.get(LIST, query)) == expected


def test_bad_quarter_is_left_out_and_named(client, am, pipeline):
    client.force_login(am)
    response = client.get(LIST, {"close_quarter": "next year"})
    assert response.context["ignored"] == ["close_quarter"]
    assert b"does not apply: close_quarter" in response.content


def test_partner_filter(client, am, pipeline):
    client.force_login(am)
    assert names(client.get(LIST, {"partner": pipeline["partner"].pk})) == ["B"]


def test_fiscal_quarters_follow_the_fiscal_year_start(settings):
    assert fiscal_quarter_bounds(2027, 1) == (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    assert fiscal_quarter_bounds(2027, 3) == (datetime.date(2027, 1, 1), datetime.date(2027, 3, 31))
    assert fiscal_quarter_bounds(2027, 4) == (datetime.date(2027, 4, 1), datetime.date(2027, 6, 30))
    settings.FISCAL_YEAR_START_MONTH = 1
    assert fiscal_quarter_bounds(2027, 4) == (
        datetime.date(2027, 10, 1),
        datetime.date(2027, 12, 31),
    )
    settings.FISCAL_YEAR_START_MONTH = 4
    assert fiscal_quarter_bounds(2027, 4) == (datetime.date(2027, 1, 1), datetime.date(2027, 3, 31))


def test_slipped_means_the_close_date_was_pushed_twice(client, am, pipeline):
    push_close_date(pipeline["a"], am, 30, 30)  # twice later: slipped
    push_close_date(pipeline["b"], am, 30)  # once
    push_close_date(pipeline["c"], am, -10, -10, 5)  # pulled in twice, pushed once
    client.force_login(am)
    response = client.get(LIST, {"slipped": "true"})
    assert names(response) == ["A"]
    assert response.context["rows"][0].slips == 2
    assert b"Slipped" in response.content
    assert sorted(names(client.get(LIST, {"slipped": "false"}))) == ["B", "C"]


def test_manager_filters_the_team_pipeline_by_am(client, am, manager, team, pipeline):
    colleague = UserFactory(username="colleague", team=team)
    theirs = AccountFactory(owner=colleague)
    OpportunityFactory(account=theirs, name="Colleague's")
    client.force_login(manager)
    owners = [u.username for u in client.get(LIST).context["options"]["owners"]]
    assert sorted(owners) == ["am", "colleague"]
    assert names(client.get(LIST, {"owner": "colleague"})) == ["Colleague's"]


def test_csv_export_is_exactly_what_is_shown(client, am, pipeline):
    push_close_date(pipeline["a"], am, 30, 30)
    client.force_login(am)
    rows = read_csv(client.get(EXPORT, {"sort": "-amount"}))
    assert [r["name"] for r in rows] == ["B", "A", "C"]
    b = rows[0]
    assert {k: b[k] for k in ("account", "stage", "kind", "amount", "probability")} == {
        "account": "Zenith Example Bank",
        "stage": "negotiate",
        "kind": "renewal",
        "amount": "200000.00",
        "probability": "80",
    }
    assert (b["weighted_amount"], b["forecast_category"], b["close_date"]) == (
        "160000.00",
        "commit",
        "2026-11-20",
    )
    assert rows[1]["close_date_pushes"] == "2"
    assert [r["name"] for r in read_csv(client.get(EXPORT, {"slipped": "true"}))] == ["A"]
    # The page links to the export of its own filters.
    page = client.get(LIST, {"kind": "renewal", "sort": "-amount"})
    assert page.context["export_url"] == EXPORT + "?kind=renewal&sort=-amount"


def test_large_export_runs_as_a_background_job(
    client, am, pipeline, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_ASYNC_ROWS = 2
    client.force_login(am)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(EXPORT)
    assert response.status_code == 302
    from core.models import Job

    job = Job.objects.get()
    assert (job.kind, job.status) == ("opportunities-csv", Job.Status.DONE)
    body = job.file.read().decode()
    assert [r["name"] for r in csv.DictReader(io.StringIO(body))] == ["A", "B", "C"]


# --- account page section ---------------------------------------------------------------


def test_account_page_lists_open_deals_first(client, am, account, pipeline):
    client.force_login(am)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    section = response.context["sections"][0].context
    assert [o.name for o in section["rows"]] == ["A", "B", "C", "Won", "Lost"]
    assert section["can_add"] is True
    assert section["open_total"]["count"] == 3
    assert b"Add opportunity" in response.content


def test_read_only_virtual_team_member_is_offered_add_for_their_own_deal(
    client, am, vt_am, account
):
    client.force_login(vt_am)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.context["sections"][0].context["can_add"] is True


def test_inactive_or_ops_section(client, ops, account):
    client.force_login(ops)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.context["sections"][0].context["can_add"] is True
    assert b"No opportunities yet" in response.content


# --- query counts ---------------------------------------------------------------------


def grow(account, n, partner=None):
    for i in range(n):
        deal = OpportunityFactory(account=account, name=f"Deal {i}", stage=stage("qualify"))
        StageChange.objects.create(
            opportunity=deal,
            field="close_date",
            from_value="2027-01-01",
            to_value="2027-02-01",
            changed_at=timezone.now(),
        )
        EscalationFactory(opportunity=deal)
        if partner:
            deal.partners.add(partner)


@pytest.mark.parametrize("user_fixture", ["am", "manager", "ops"])
def test_table_query_count_is_constant(
    client, request, account, django_assert_max_num_queries, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    grow(account, 3)
    with django_assert_max_num_queries(20) as small:
        client.get(LIST, {"slipped": "false"})
    grow(account, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(LIST, {"slipped": "false"})
    assert len(response.context["rows"]) == 25


def test_detail_query_count_is_constant(client, am, account, django_assert_max_num_queries):
    partner = PartnerFactory()
    deal = OpportunityFactory(account=account)
    client.force_login(am)
    url = reverse("opportunities:detail", args=[deal.pk])
    deal.partners.add(partner)
    EscalationFactory(opportunity=deal)
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    for _ in range(10):
        deal.partners.add(PartnerFactory())
        EscalationFactory(opportunity=deal)
        deal = push_close_date(deal, am, 1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["history"]) == 10


def test_account_page_query_count_is_constant(client, am, account, django_assert_max_num_queries):
    client.force_login(am)
    url = reverse("accounts:detail", args=[account.pk])
    grow(account, 2)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    grow(account, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


# --- the same FilterSet on the API ----------------------------------------------------


def test_the_api_filters_like_the_table(api_as, am, pipeline):
    push_close_date(pipeline["a"], am, 30, 30)
    client = api_as(am)

    def listed(**query):
        response = client.get("/api/v1/opportunities/", query)
        assert response.status_code == 200, response.content
        return sorted(row["name"] for row in response.json()["results"])

    assert listed(slipped="true") == ["A"]
    assert listed(close_quarter="FY2027-Q2") == ["A", "B"]  # A pushed into October
    assert listed(status="lost") == ["Lost"]
    assert listed(status="open", forecast_category="commit") == ["B", "C"]
    bad = client.get("/api/v1/opportunities/", {"close_quarter": "Q9"})
    assert bad.status_code == 400
    assert "close_quarter" in bad.json()
