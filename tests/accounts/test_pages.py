import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Account, AccountTeamMember, Agreement, ProductDeployment
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    AgreementFactory,
    ProductDeploymentFactory,
    RevenueRecordFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [a.name for a in response.context["rows"]]


def account_payload(account: Account, **overrides) -> dict:
    data = {
        "name": account.name,
        "external_id": account.external_id or "",
        "parent": account.parent_id or "",
        "segment": account.segment,
        "ltp": str(account.ltp),
        "industry": account.industry,
        "sector": account.sector,
        "territory": account.territory,
        "owner": account.owner_id,
        "is_active": "on" if account.is_active else "",
        "description": account.description,
        "version": account.version,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != "" or k in {"name", "ltp"}}


def snapshot(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().first()
    assert row is not None
    return row


# --- list ---------------------------------------------------------------------------


def test_list_shows_own_and_virtual_team_accounts_only(client, am, other_am, account):
    shared = AccountFactory(owner=other_am, name="Shared Holdings")
    AccountTeamMemberFactory(account=shared, user=am)
    AccountFactory(owner=other_am, name="Not Yours Ltd")
    client.force_login(am)

    response = client.get(reverse("accounts:list"))

    assert response.status_code == 200
    assert names(response) == ["Shared Holdings", "Zenith Example Bank"]
    assert response.context["page_obj"].paginator.count == 2
    assert b"Not Yours Ltd" not in response.content


def test_list_requires_login(client):
    response = client.get(reverse("accounts:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_manager_sees_team_accounts_and_ops_sees_all(client, am, manager, ops, account):
    other = AccountFactory(owner=UserFactory(username="elsewhere"), name="Elsewhere Co")
    client.force_login(manager)
    assert names(client.get(reverse("accounts:list"))) == ["Zenith Example Bank"]
    assert client.get(reverse("accounts:detail", args=[account.pk])).status_code == 200
    assert client.get(reverse("accounts:detail", args=[other.pk])).status_code == 404

    client.force_login(ops)
    assert names(client.get(reverse("accounts:list"))) == ["Elsewhere Co", "Zenith Example Bank"]


@pytest.fixture
def portfolio(am):
    """Five of am's accounts with distinct attributes, plus one inactive."""
    second_am = UserFactory(username="second", first_name="Bola", last_name="Second")
    rows = [
        dict(
            name="Alpha Bank",
            external_id="NG-001",
            segment="mature",
            ltp=Decimal("2000000"),
            sector="Commercial",
            industry="Banking",
            territory="Lagos West",
        ),
        dict(
            name="Beta Telecom",
            external_id="NG-002",
            segment="emerging",
            ltp=Decimal("400000"),
            sector="Commercial",
            industry="Telecoms",
            territory="Lagos East",
        ),
        dict(
            name="Gamma University",
            external_id="EDU-9",
            segment="mature",
            ltp=Decimal("900000"),
            sector="Academic",
            industry="Education",
            territory="Lagos West",
        ),
        dict(
            name="Delta Ministry",
            segment="emerging",
            ltp=Decimal("750000"),
            sector="Public",
            industry="Government",
            territory="Abuja",
        ),
    ]
    accounts = [AccountFactory(owner=am, **row) for row in rows]
    shared = AccountFactory(
        owner=second_am,
        name="Epsilon Insurance",
        segment="mature",
        ltp=Decimal("5000000"),
        sector="Commercial",
        industry="Insurance",
        territory="Lagos East",
    )
    AccountTeamMemberFactory(account=shared, user=am)
    AccountFactory(owner=am, name="Zeta Dormant", is_active=False, industry="Banking")
    return accounts + [shared]


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            {},
            [
                "Alpha Bank",
                "Beta Telecom",
                "Delta Ministry",
                "Epsilon Insurance",
                "Gamma University",
            ],
        ),
        ({"q": "bank"}, ["Alpha Bank"]),
        ({"q": "NG-00"}, ["Alpha Bank", "Beta Telecom"]),
        ({"q": "educ"}, ["Gamma University"]),
        ({"segment": "emerging"}, ["Beta Telecom", "Delta Ministry"]),
        ({"sector": "Commercial"}, ["Alpha Bank", "Beta Telecom", "Epsilon Insurance"]),
        ({"territory": "Lagos West"}, ["Alpha Bank", "Gamma University"]),
        ({"industry": "Telecoms"}, ["Beta Telecom"]),
        ({"owner": "second"}, ["Epsilon Insurance"]),
        ({"below_ltp_threshold": "1"}, ["Beta Telecom", "Gamma University"]),
        ({"below_ltp_threshold": "1", "segment": "mature"}, ["Gamma University"]),
        ({"status": "inactive"}, ["Zeta Dormant"]),
        ({"status": "all", "industry": "Banking"}, ["Alpha Bank", "Zeta Dormant"]),
        (
            {"segment": "nonsense"},
            [
                "Alpha Bank",
                "Beta Telecom",
                "Delta Ministry",
                "Epsilon Insurance",
                "Gamma University",
            ],
        ),
        ({"q": "no such thing"}, []),
    ],
)
def test_list_filters_and_search(client, am, portfolio, query, expected):
    client.force_login(am)
    response = client.get(reverse("accounts:list"), query)
    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize(
    "sort, expected",
    [
        (
            "name",
            [
                "Alpha Bank",
                "Beta Telecom",
                "Delta Ministry",
                "Epsilon Insurance",
                "Gamma University",
            ],
        ),
        (
            "-name",
            [
                "Gamma University",
                "Epsilon Insurance",
                "Delta Ministry",
                "Beta Telecom",
                "Alpha Bank",
            ],
        ),
        (
            "ltp",
            [
                "Beta Telecom",
                "Delta Ministry",
                "Gamma University",
                "Alpha Bank",
                "Epsilon Insurance",
            ],
        ),
        (
            "-ltp",
            [
                "Epsilon Insurance",
                "Alpha Bank",
                "Gamma University",
                "Delta Ministry",
                "Beta Telecom",
            ],
        ),
        (
            "owner",
            [
                "Alpha Bank",
                "Beta Telecom",
                "Gamma University",
                "Delta Ministry",
                "Epsilon Insurance",
            ],
        ),
        (
            "territory",
            [
                "Delta Ministry",
                "Beta Telecom",
                "Epsilon Insurance",
                "Alpha Bank",
                "Gamma University",
            ],
        ),
        (
            "segment",
            [
                "Beta Telecom",
                "Delta Ministry",
                "Alpha Bank",
                "Gamma University",
                "Epsilon Insurance",
            ],
        ),
        (
            "bogus",
            [
                "Alpha Bank",
                "Beta Telecom",
                "Delta Ministry",
                "Epsilon Insurance",
                "Gamma University",
            ],
        ),
    ],
)
def test_list_sorts(client, am, portfolio, sort, expected):
    client.force_login(am)
    assert names(client.get(reverse("accounts:list"), {"sort": sort})) == expected


def test_list_sort_links_keep_filters_and_toggle(client, am, portfolio):
    client.force_login(am)
    response = client.get(reverse("accounts:list"), {"sector": "Commercial", "sort": "ltp"})
    headers = response.context["sort_headers"]
    assert headers["ltp"] == {"href": "?sector=Commercial&sort=-ltp", "state": "ascending"}
    assert headers["name"] == {"href": "?sector=Commercial", "state": ""}
    assert response.context["querystring_without_page"] == "sector=Commercial&sort=ltp"
    assert response.context["export_url"] == "/accounts/export/?sector=Commercial&sort=ltp"


def test_list_paginates_25_per_page_and_keeps_filters(client, am):
    for i in range(30):
        AccountFactory(owner=am, name=f"Customer {i:02d}", sector="Public")
    client.force_login(am)

    first = client.get(reverse("accounts:list"), {"sector": "Public"})
    second = client.get(reverse("accounts:list"), {"sector": "Public", "page": 2})

    assert names(first) == [f"Customer {i:02d}" for i in range(25)]
    assert names(second) == [f"Customer {i:02d}" for i in range(25, 30)]
    assert b'href="?sector=Public&amp;page=2"' in first.content


def test_list_empty_state_offers_new_account(client, am):
    client.force_login(am)
    response = client.get(reverse("accounts:list"))
    assert b"No accounts yet" in response.content
    assert reverse("accounts:create").encode() in response.content


def test_list_flags_below_ltp_with_money_format(client, am):
    AccountFactory(owner=am, name="Small Co", segment="mature", ltp=Decimal("999999.99"))
    client.force_login(am)
    content = client.get(reverse("accounts:list")).content.decode()
    assert "USD 1,000,000" in content
    assert "Below LTP" in content


def read_csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()  # streamed as the rows are read
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_export_has_exactly_the_filtered_sorted_rows(client, am, portfolio, other_account):
    for i in range(30):
        AccountFactory(owner=am, name=f"Bulk {i:02d}", sector="Public", ltp=Decimal(600000 + i))
    client.force_login(am)

    query = {"sector": "Public", "sort": "-ltp", "page": 2}
    rows = read_csv(client.get(reverse("accounts:export"), query))

    expected = ["Delta Ministry"] + [f"Bulk {i:02d}" for i in range(29, -1, -1)]
    assert [r["name"] for r in rows] == expected  # every page, in the list's order
    assert rows[1]["owner_username"] == "am"
    assert rows[1]["ltp"] == "600029.00"
    assert rows[1]["below_ltp"] == "yes"
    same = read_csv(client.get(reverse("accounts:list"), {**query, "format": "csv"}))
    assert [r["name"] for r in same] == expected


def test_csv_export_only_visible_rows_and_defuses_formulas(client, am, other_account):
    AccountFactory(owner=am, name="=HYPERLINK(1)")
    client.force_login(am)
    rows = read_csv(client.get(reverse("accounts:export"), {"status": "all"}))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(1)"]


# --- account page -------------------------------------------------------------------


def test_detail_shows_facts_and_related_objects(client, am, other_am, account):
    parent = AccountFactory(owner=am, name="Parent Group")
    hidden_child = AccountFactory(owner=other_am, name="Hidden Child", parent=account)
    child = AccountFactory(owner=am, name="Visible Child", parent=account)
    Account.objects.filter(pk=account.pk).update(parent=parent)
    AccountTeamMemberFactory(account=account, user=None, name="Chidi Eze", role="tam")
    old = AgreementFactory(
        account=account,
        number="EA-1",
        start_date=datetime.date(2020, 7, 1),
        end_date=datetime.date(2023, 6, 30),
    )
    today = timezone.localdate()
    AgreementFactory(
        account=account,
        number="EA-2",
        start_date=datetime.date(2023, 7, 1),
        end_date=today + datetime.timedelta(days=30),
        renews=old,
    )
    ProductDeploymentFactory(
        account=account, product="M365 E5", licensed_seats=200, active_seats=50
    )
    RevenueRecordFactory(account=account)
    client.force_login(am)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert response.context["parent"] == parent
    assert [a.name for a in response.context["downstream"]] == [child.name]
    assert hidden_child.name not in content
    assert "Technical account manager" in content
    statuses = {a.number: a.renewal_status for a in response.context["agreements"]}
    assert statuses == {"EA-1": "renewed", "EA-2": "due"}
    assert "Due for renewal" in content and "Renewed" in content
    assert "25.0%" in content
    assert 'data-chart="bar"' in content and 'id="ar-chart"' in content


def test_detail_ar_this_fiscal_year_and_growth(client, am, account):
    # The user picked FY2026 (2025-07-01 .. 2026-06-30), a closed year: the whole year is
    # the window, compared with FY2025; FY2027's record counts only in the chart.
    client.force_login(am)
    session = client.session
    session["fiscal_year"] = 2026  # a closed year: the whole year is the window
    session.save()
    RevenueRecordFactory(account=account, period=datetime.date(2025, 7, 1), amount=Decimal("110"))
    RevenueRecordFactory(account=account, period=datetime.date(2026, 6, 1), amount=Decimal("10"))
    RevenueRecordFactory(account=account, period=datetime.date(2024, 7, 1), amount=Decimal("100"))
    RevenueRecordFactory(account=account, period=datetime.date(2026, 7, 1), amount=Decimal("999"))

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    ar = response.context["ar"]
    assert ar["ar"] == Decimal("120")
    assert ar["prior_ar"] == Decimal("100")
    assert ar["growth"] == Decimal("0.2")
    assert "+20.0% ▲" in response.content.decode()
    assert response.context["revenue"] == [
        (2025, Decimal("100.00")),
        (2026, Decimal("120.00")),
        (2027, Decimal("999.00")),
    ]
    assert response.context["chart"]["datasets"][0]["data"] == [100.0, 120.0, 999.0]


def test_detail_chart_marks_the_current_year_to_date_against_the_same_dates(client, am, account):
    from core.fiscal import current_fiscal_year, fiscal_year_bounds, shift_years

    today = timezone.localdate()
    current = current_fiscal_year()
    start, _ = fiscal_year_bounds(current)
    RevenueRecordFactory(account=account, period=start, amount=Decimal("300"))
    RevenueRecordFactory(account=account, period=shift_years(start, -1), amount=Decimal("200"))
    # Later in the prior year than today's date a year ago: in its full-year bar, not the marker.
    later = shift_years(fiscal_year_bounds(current)[1].replace(day=1), -1)
    RevenueRecordFactory(account=account, period=later, amount=Decimal("1000"))
    client.force_login(am)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    chart = response.context["chart"]
    assert chart["labels"] == [f"FY{current - 1}", f"FY{current} (YTD)"]
    bars, marker = chart["datasets"]
    assert bars["data"] == [1200.0, 300.0]
    assert marker["label"] == f"FY{current - 1}, same dates"
    assert marker["type"] == "line" and marker["points"] is True
    # (In the fiscal year's last month, that month a year ago is inside the window.)
    prior = Decimal("200") + (Decimal("1000") if later <= shift_years(today, -1) else 0)
    assert marker["data"] == [None, float(prior)]
    assert response.context["ytd"] == {"fy": current, "prior_ar": prior, "to": today}
    html = response.content.decode()
    assert f"Year to date, to {today:%-d %b %Y}" in html  # the table alternative


def test_detail_chart_of_closed_years_has_no_ytd_marker(client, am, account):
    from core.fiscal import current_fiscal_year, fiscal_year_bounds

    start, _ = fiscal_year_bounds(current_fiscal_year() - 1)
    RevenueRecordFactory(account=account, period=start, amount=Decimal("300"))
    client.force_login(am)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert len(response.context["chart"]["datasets"]) == 1
    assert response.context["ytd"] is None
    assert "(YTD)" not in response.content.decode()


def test_detail_flags_owner_over_capacity(client, am, account, settings):
    settings.AM_ACCOUNT_CAPACITY = 2
    AccountFactory.create_batch(2, owner=am)
    client.force_login(am)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.context["owner_over_capacity"] is True
    assert "Over capacity" in response.content.decode()


# --- visibility: other AMs' accounts answer 404 and nothing changes -------------------


@pytest.fixture
def foreign(other_account):
    """other_am's account with one of each sub-object."""
    return {
        "account": other_account,
        "agreement": AgreementFactory(account=other_account),
        "deployment": ProductDeploymentFactory(account=other_account),
        "member": AccountTeamMemberFactory(account=other_account, user=None, name="Someone"),
    }


def foreign_urls(f):
    pk = f["account"].pk
    a, d, m = f["agreement"].pk, f["deployment"].pk, f["member"].pk
    return [
        reverse("accounts:detail", args=[pk]),
        reverse("accounts:edit", args=[pk]),
        reverse("accounts:agreement_create", args=[pk]),
        reverse("accounts:agreement_edit", args=[pk, a]),
        reverse("accounts:deployment_create", args=[pk]),
        reverse("accounts:deployment_edit", args=[pk, d]),
        reverse("accounts:team_member_create", args=[pk]),
        reverse("accounts:team_member_edit", args=[pk, m]),
    ]


def test_other_ams_account_pages_answer_404(client, am, foreign):
    client.force_login(am)
    for url in foreign_urls(foreign):
        assert client.get(url).status_code == 404, url


def test_posts_to_other_ams_account_answer_404_and_change_nothing(client, am, foreign):
    client.force_login(am)
    before = {
        (model, obj.pk): snapshot(model, obj.pk)
        for model, obj in [
            (Account, foreign["account"]),
            (Agreement, foreign["agreement"]),
            (ProductDeployment, foreign["deployment"]),
            (AccountTeamMember, foreign["member"]),
        ]
    }
    counts = (Agreement.objects.count(), ProductDeployment.objects.count())
    pk = foreign["account"].pk
    payloads = {
        "name": "Hacked",
        "segment": "mature",
        "ltp": "1",
        "owner": am.pk,
        "version": 1,
        "kind": "EA",
        "number": "X-1",
        "start_date": "2026-01-01",
        "end_date": "2027-01-01",
        "annual_value": "1",
        "product": "Hacked",
        "licensed_seats": 1,
        "active_seats": 1,
        "role": "other",
    }
    delete_urls = [
        reverse("accounts:agreement_delete", args=[pk, foreign["agreement"].pk]),
        reverse("accounts:deployment_delete", args=[pk, foreign["deployment"].pk]),
        reverse("accounts:team_member_delete", args=[pk, foreign["member"].pk]),
    ]
    for url in foreign_urls(foreign)[1:] + delete_urls:
        assert client.post(url, payloads).status_code == 404, url

    for (model, obj_pk), row in before.items():
        assert snapshot(model, obj_pk) == row
    assert (Agreement.objects.count(), ProductDeployment.objects.count()) == counts


def test_sub_object_of_another_account_in_the_url_answers_404(client, am, account):
    second = AccountFactory(owner=am, name="Second Co")
    agreement = AgreementFactory(account=second)
    deployment = ProductDeploymentFactory(account=second)
    member = AccountTeamMemberFactory(account=second, user=None, name="Someone")
    client.force_login(am)
    urls = [
        reverse("accounts:agreement_edit", args=[account.pk, agreement.pk]),
        reverse("accounts:agreement_delete", args=[account.pk, agreement.pk]),
        reverse("accounts:deployment_edit", args=[account.pk, deployment.pk]),
        reverse("accounts:deployment_delete", args=[account.pk, deployment.pk]),
        reverse("accounts:team_member_edit", args=[account.pk, member.pk]),
        reverse("accounts:team_member_delete", args=[account.pk, member.pk]),
    ]
    for url in urls:
        assert client.post(url, {"number": "X", "product": "X", "name": "X"}).status_code == 404
    assert Agreement.objects.filter(pk=agreement.pk, number=agreement.number).exists()
    assert ProductDeployment.objects.filter(pk=deployment.pk, product=deployment.product).exists()
    assert AccountTeamMember.objects.filter(pk=member.pk, name="Someone").exists()


def test_delete_needs_post(client, am, account):
    agreement = AgreementFactory(account=account)
    client.force_login(am)
    url = reverse("accounts:agreement_delete", args=[account.pk, agreement.pk])
    assert client.get(url).status_code == 405
    assert Agreement.objects.filter(pk=agreement.pk).exists()


# --- editing the account ------------------------------------------------------------


def test_edit_saves_and_bumps_version(client, am, account):
    client.force_login(am)
    url = reverse("accounts:edit", args=[account.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url, account_payload(account, name="Zenith Bank Group", ltp="2500000", version=1)
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[account.pk])
    account.refresh_from_db()
    assert account.name == "Zenith Bank Group"
    assert account.ltp == Decimal("2500000")
    assert account.version == 2
    page = client.get(response["Location"]).content.decode()
    assert "Account “Zenith Bank Group” saved." in page
    assert "USD 2,500,000" in page


def loaded_form_data(client, url) -> dict:
    """What the edit page's form would post back unchanged (incl. version and snapshot)."""
    form = client.get(url).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None or value is False:
            continue
        data[name] = "on" if value is True else str(value)
    return data


def test_edit_with_stale_version_keeps_input_and_changes_nothing(client, am, account):
    client.force_login(am)
    url = reverse("accounts:edit", args=[account.pk])
    loaded = loaded_form_data(client, url)
    assert loaded["version"] == "1"
    # Someone else saves first: a new name and a description.
    services.account_update(
        actor=am, instance=account, data={"name": "Their Name", "description": "Their notes"}
    )
    before = snapshot(Account, account.pk)

    # The user changed the name too, and the LTP; they never touched the description.
    response = client.post(url, {**loaded, "name": "My Careful Edit", "ltp": "3000000"})

    assert response.status_code == 409  # the stale save is a conflict
    content = response.content.decode()
    assert "This record was changed by someone else" in content
    assert snapshot(Account, account.pk) == before  # nothing written
    assert 'value="My Careful Edit"' in content  # both changed the name: theirs never wins
    assert 'value="3000000"' in content  # only the user changed the LTP
    conflicts = {row["label"]: row for row in response.context["conflicts"]}
    assert (conflicts["Name"]["yours"], conflicts["Name"]["theirs"]) == (
        "My Careful Edit",
        "Their Name",
    )
    assert conflicts["Name"]["kept"] == "yours"
    assert conflicts["Description"]["kept"] == "theirs"  # merged in, not wiped
    assert set(conflicts) == {"Name", "Description"}
    data = response.context["form"].data
    assert (data["version"], data["description"]) == ("2", "Their notes")

    again = client.post(url, data)

    assert again.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.ltp, account.description, account.version) == (
        "My Careful Edit",
        Decimal("3000000"),
        "Their notes",
        3,
    )


def test_stale_edit_with_a_tampered_snapshot_keeps_every_typed_value(client, am, account):
    client.force_login(am)
    url = reverse("accounts:edit", args=[account.pk])
    loaded = loaded_form_data(client, url)
    services.account_update(actor=am, instance=account, data={"description": "Theirs"})
    response = client.post(url, {**loaded, "original": "forged"})
    assert response.status_code == 409
    assert [row["kept"] for row in response.context["conflicts"]] == ["yours"]
    assert response.context["form"].data["description"] == ""


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"ltp": "-5"}, "ltp", "greater than or equal to 0"),
        ({"name": ""}, "name", "This field is required."),
        ({"segment": "giant"}, "segment", "Select a valid choice."),
        ({"ltp": "abc"}, "ltp", "Enter an amount such as 1,250,000"),
    ],
)
def test_edit_invalid_input_shows_field_errors_and_writes_nothing(
    client, am, account, overrides, field, message
):
    before = snapshot(Account, account.pk)
    client.force_login(am)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]), account_payload(account, **overrides)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "Please fix the problems below" in response.content.decode()
    assert snapshot(Account, account.pk) == before


def test_edit_refuses_a_parent_cycle(client, am, account):
    child = AccountFactory(owner=am, name="Child", parent=account)
    client.force_login(am)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]), account_payload(account, parent=child.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "An account cannot be downstream of itself (or of its own downstream accounts)."
    ]
    account.refresh_from_db()
    assert account.parent_id is None


def test_edit_cannot_pick_an_invisible_parent(client, am, account, other_account):
    client.force_login(am)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]),
        account_payload(account, parent=other_account.pk),
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    account.refresh_from_db()
    assert account.parent_id is None


def test_am_cannot_reassign_the_owner(client, am, account, team):
    colleague = UserFactory(username="colleague", team=team)
    client.force_login(am)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]),
        account_payload(account, owner=colleague.pk, name="Renamed"),
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.owner_id) == ("Renamed", am.pk)


def test_manager_reassigns_within_team(client, am, manager, account, team):
    colleague = UserFactory(username="colleague", team=team)
    client.force_login(manager)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]), account_payload(account, owner=colleague.pk)
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.owner_id == colleague.pk


def test_create_account_as_am(client, am):
    client.force_login(am)
    response = client.post(
        reverse("accounts:create"),
        {
            "name": "New Customer Plc",
            "external_id": "NG-777",
            "segment": "emerging",
            "ltp": "450000",
            "sector": "Commercial",
            "is_active": "on",
        },
    )
    created = Account.objects.get(name="New Customer Plc")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[created.pk])
    assert (created.owner_id, created.external_id, created.version) == (am.pk, "NG-777", 1)
    assert created.below_ltp_threshold is True


def test_create_account_duplicate_external_id_is_refused(client, am, account):
    Account.objects.filter(pk=account.pk).update(external_id="NG-1")
    client.force_login(am)
    response = client.post(
        reverse("accounts:create"),
        {"name": "Copy", "external_id": "NG-1", "segment": "mature", "ltp": "1000000"},
    )
    assert response.status_code == 200
    assert "external_id" in response.context["form"].errors
    assert Account.objects.count() == 1


# --- agreements, deployments, virtual team -----------------------------------------


def test_agreement_add_edit_delete(client, am, account):
    client.force_login(am)
    old = AgreementFactory(account=account, number="EA-OLD")
    AgreementFactory(number="EA-ELSEWHERE")  # another account's: never offered
    url = reverse("accounts:agreement_create", args=[account.pk])
    form = client.get(url).context["form"]
    assert list(form.fields["renews"].queryset) == [old]

    response = client.post(
        url,
        {
            "kind": "EA",
            "number": "EA-NEW",
            "start_date": "2026-07-01",
            "end_date": "2029-06-30",
            "annual_value": "500000",
            "renews": old.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#agreements")
    new = Agreement.objects.get(number="EA-NEW")
    assert (new.account_id, new.renews_id, new.version) == (account.pk, old.pk, 1)

    edit = reverse("accounts:agreement_edit", args=[account.pk, new.pk])
    response = client.post(
        edit,
        {
            "kind": "EA",
            "number": "EA-NEW",
            "start_date": "2026-07-01",
            "end_date": "2029-06-30",
            "annual_value": "650000",
            "renews": old.pk,
            "version": 1,
        },
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert (new.annual_value, new.version) == (Decimal("650000"), 2)

    delete = reverse("accounts:agreement_delete", args=[account.pk, new.pk])
    assert client.post(delete).status_code == 302
    assert not Agreement.objects.filter(pk=new.pk).exists()


def test_agreement_end_before_start_and_duplicate_number_are_refused(client, am, account):
    AgreementFactory(account=account, kind="EA", number="EA-1")
    client.force_login(am)
    url = reverse("accounts:agreement_create", args=[account.pk])
    base = {"kind": "EA", "start_date": "2026-07-01", "annual_value": "1"}

    response = client.post(url, {**base, "number": "EA-2", "end_date": "2026-06-30"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["end_date"] == ["The end date must be on or after the start date."]
    assert "__all__" not in errors  # said once, next to the field

    response = client.post(url, {**base, "number": "EA-1", "end_date": "2027-06-30"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "An agreement of this kind with this number exists."
    ]

    response = client.post(
        url, {**base, "number": "EA-3", "end_date": "2027-06-30", "annual_value": "-1"}
    )
    assert "annual_value" in response.context["form"].errors
    assert list(Agreement.objects.values_list("number", flat=True)) == ["EA-1"]


def test_agreement_stale_edit_keeps_input(client, am, account):
    agreement = AgreementFactory(account=account, number="EA-5", annual_value=Decimal("100"))
    services.agreement_update(actor=am, instance=agreement, data={"annual_value": Decimal("200")})
    client.force_login(am)
    response = client.post(
        reverse("accounts:agreement_edit", args=[account.pk, agreement.pk]),
        {
            "kind": "EA",
            "number": "EA-5",
            "start_date": "2024-07-01",
            "end_date": "2027-06-30",
            "annual_value": "777",
            "version": 1,
        },
    )
    assert response.status_code == 409
    assert "This record was changed by someone else" in response.content.decode()
    assert 'value="777"' in response.content.decode()
    agreement.refresh_from_db()
    assert (agreement.annual_value, agreement.version) == (Decimal("200.00"), 2)


def test_deployment_add_edit_delete_and_validation(client, am, account):
    client.force_login(am)
    url = reverse("accounts:deployment_create", args=[account.pk])
    payload = {"product": "Microsoft 365 E3", "licensed_seats": 100, "active_seats": 40}
    assert client.post(url, {**payload, "is_current_version": "on"}).status_code == 302
    deployment = ProductDeployment.objects.get(account=account)
    assert (deployment.adoption, deployment.is_current_version) == (Decimal("0.4"), True)

    duplicate = client.post(url, payload)
    assert duplicate.status_code == 200
    assert duplicate.context["form"].non_field_errors() == [
        "This product is already listed for the account."
    ]
    negative = client.post(url, {**payload, "product": "Other", "licensed_seats": -3})
    assert "licensed_seats" in negative.context["form"].errors
    assert ProductDeployment.objects.count() == 1

    edit = reverse("accounts:deployment_edit", args=[account.pk, deployment.pk])
    assert client.post(edit, {**payload, "active_seats": 90, "version": 1}).status_code == 302
    deployment.refresh_from_db()
    assert (deployment.active_seats, deployment.is_current_version, deployment.version) == (
        90,
        False,
        2,
    )
    delete = reverse("accounts:deployment_delete", args=[account.pk, deployment.pk])
    assert client.post(delete).status_code == 302
    assert ProductDeployment.objects.count() == 0


def test_team_member_add_edit_remove(client, am, account):
    colleague = UserFactory(
        username="ssp1", first_name="Sola", last_name="Specialist", team=am.team
    )
    client.force_login(am)
    url = reverse("accounts:team_member_create", args=[account.pk])

    missing = client.post(url, {"role": "ssp"})
    assert missing.status_code == 200
    assert missing.context["form"].errors["name"] == ["Choose a user or give the person's name."]

    assert client.post(url, {"user": colleague.pk, "role": "ssp"}).status_code == 302
    member = AccountTeamMember.objects.get(account=account)
    assert (member.user_id, member.role) == (colleague.pk, "ssp")
    twice = client.post(url, {"user": colleague.pk, "role": "ssp"})
    assert twice.context["form"].non_field_errors() == [
        "This person already has this role on the account team."
    ]

    edit = reverse("accounts:team_member_edit", args=[account.pk, member.pk])
    response = client.post(
        edit, {"user": colleague.pk, "role": "ats", "notes": "Roadmap", "version": 1}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.notes, member.version) == ("ats", "Roadmap", 2)
    # Being on the virtual team makes the account visible to the colleague.
    client.force_login(colleague)
    assert client.get(reverse("accounts:detail", args=[account.pk])).status_code == 200

    client.force_login(am)
    remove = reverse("accounts:team_member_delete", args=[account.pk, member.pk])
    assert client.post(remove).status_code == 302
    assert AccountTeamMember.objects.count() == 0


# --- home ---------------------------------------------------------------------------


def test_home_cards_renewals_and_capacity(client, am, other_am, account, settings):
    settings.AM_ACCOUNT_CAPACITY = 2
    today = timezone.localdate()
    AccountFactory(owner=am, name="Small", segment="emerging", ltp=Decimal("10"))
    AccountFactory(owner=am, name="Third")
    soon = AgreementFactory(
        account=account, number="EA-SOON", end_date=today + datetime.timedelta(days=10)
    )
    AgreementFactory(
        account=account, number="EA-LATER", end_date=today + datetime.timedelta(days=400)
    )
    AgreementFactory(
        account=AccountFactory(owner=other_am),
        number="EA-HIDDEN",
        end_date=today + datetime.timedelta(days=5),
    )
    client.force_login(am)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["counts"] == {"total": 3, "below_ltp": 1}
    assert [a.number for a in response.context["due"]] == [soon.number]
    content = response.content.decode()
    assert "EA-HIDDEN" not in content
    assert "Over capacity" in content
    assert response.context["own_over_capacity"] is True


def test_home_lists_over_capacity_ams_for_manager(client, am, manager, account, settings):
    settings.AM_ACCOUNT_CAPACITY = 0
    client.force_login(manager)
    response = client.get(reverse("home"))
    assert [(u.username, u.load) for u in response.context["over_capacity_ams"]] == [("am", 1)]


# --- query counts -------------------------------------------------------------------


def list_queries(client, django_assert_num_queries, user, expected_rows):
    client.force_login(user)
    # session, user, count, page rows, owner loads, 3 filter value lists, owners
    with django_assert_num_queries(9):
        response = client.get(reverse("accounts:list"))
    assert len(response.context["rows"]) == expected_rows


@pytest.mark.parametrize("n, rows", [(5, 5), (30, 25)])
def test_list_query_count_is_constant(client, django_assert_num_queries, am, team, n, rows):
    owners = [am] + [UserFactory(team=team) for _ in range(3)]
    for i in range(n):
        account = AccountFactory(owner=owners[i % 4], parent=None)
        if account.owner_id != am.pk:
            AccountTeamMemberFactory(account=account, user=am)
    list_queries(client, django_assert_num_queries, am, rows)


def test_export_query_count_is_constant(client, django_assert_num_queries, am):
    AccountFactory.create_batch(40, owner=am)
    client.force_login(am)
    with django_assert_num_queries(3):  # session, user, rows
        response = client.get(reverse("accounts:export"))
    assert len(read_csv(response)) == 40


def test_detail_query_count(client, django_assert_num_queries, am, account):
    for i in range(4):
        AgreementFactory(account=account)
        ProductDeploymentFactory(account=account)
        AccountTeamMemberFactory(account=account, user=UserFactory(), role="se")
        AccountFactory(owner=am, parent=account)
        RevenueRecordFactory(account=account, period=datetime.date(2024 + i, 7, 1))
    client.force_login(am)
    # session, user, account, owner load, agreements, revenue by FY, AR now and prior (one
    # query), downstream, team, deployments (no parent: no parent query); the opportunities
    # section (settings.KEYPLAN_ACCOUNT_SECTIONS): its rows and its open totals; the
    # relationships section: its people, coverage per level, the interactions' counts
    with django_assert_num_queries(15):
        response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert len(response.context["agreements"]) == 4
    assert len(response.context["team"]) == 4


def test_manager_creates_account_for_a_team_am_only(client, am, manager, other_am):
    client.force_login(manager)
    url = reverse("accounts:create")
    base = {"name": "Team Co", "segment": "mature", "ltp": "1000000"}

    outside = client.post(url, {**base, "owner": other_am.pk})
    assert outside.status_code == 200
    assert "owner" in outside.context["form"].errors
    assert not Account.objects.filter(name="Team Co").exists()

    assert client.post(url, {**base, "owner": am.pk}).status_code == 302
    assert Account.objects.get(name="Team Co").owner_id == am.pk


def test_edit_leaves_an_invisible_parent_alone(client, am, other_am):
    hidden_parent = AccountFactory(owner=UserFactory(username="stranger"), name="Secret HQ")
    shared = AccountFactory(owner=other_am, name="Shared Branch", parent=hidden_parent)
    AccountTeamMemberFactory(account=shared, user=am)
    # The owning manager edits it; the parent is outside their view.
    other_manager = other_am.team.manager
    client.force_login(other_manager)
    url = reverse("accounts:edit", args=[shared.pk])

    page = client.get(url)
    assert "Secret HQ" not in page.content.decode()
    assert "parent" not in page.context["form"].fields
    detail = client.get(reverse("accounts:detail", args=[shared.pk])).content.decode()
    assert "Secret HQ" not in detail and "An account outside your view." in detail

    data = loaded_form_data(client, url)
    response = client.post(url, {**data, "name": "Shared Branch Renamed"})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert (shared.name, shared.parent_id, shared.owner_id) == (
        "Shared Branch Renamed",
        hidden_parent.pk,
        other_am.pk,
    )
