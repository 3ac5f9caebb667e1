"""The RM survey page (/relationships/survey/): recipients per fiscal year across the
accounts a user sees, the warnings (no recipient; a recipient at strength <= 2), the RM score
per account and its change, the CSV export, score entry and the all-or-nothing import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.fiscal import current_fiscal_year
from relationships.models import SurveyResponse
from tests.factories import AccountFactory, AccountTeamMemberFactory
from tests.relationships.factories import StakeholderFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db
URL = "/relationships/survey/"
FY = current_fiscal_year()


def scores():
    return sorted(SurveyResponse.objects.values_list("stakeholder__name", "fiscal_year", "score"))


@pytest.fixture
def book(am, account, other_account):
    """`account` (am's) with a strong and a weak recipient and scores over two years, a
    second account of am's with no recipient, and another team's account."""
    strong = StakeholderFactory(
        account=account,
        name="Ada Strong",
        strength=4,
        cpe_survey_recipient=True,
        email="ada@bank.example",
    )
    weak = StakeholderFactory(
        account=account, name="Wale Weak", strength=2, cpe_survey_recipient=True
    )
    StakeholderFactory(account=account, name="Not A Recipient", strength=5)
    SurveyResponseFactory(stakeholder=strong, fiscal_year=FY, score=4)
    SurveyResponseFactory(stakeholder=weak, fiscal_year=FY, score=3)
    SurveyResponseFactory(stakeholder=strong, fiscal_year=FY - 1, score=2)
    bare = AccountFactory(owner=am, name="Bare Account Ltd")
    far = StakeholderFactory(account=other_account, name="Far Away", cpe_survey_recipient=True)
    return {"strong": strong, "weak": weak, "bare": bare, "far": far}


def test_the_page_lists_recipients_warnings_and_rm_scores(client, am, book, account):
    client.force_login(am)
    response = client.get(URL, {"fy": FY})
    assert response.status_code == 200
    rows = {a.name: a for a in response.context["rows"]}
    assert list(rows) == ["Bare Account Ltd", "Zenith Example Bank"]
    bank = rows["Zenith Example Bank"]
    assert [p.name for p in bank.recipient_list] == ["Ada Strong", "Wale Weak"]
    assert [p.score for p in bank.recipient_list] == [4, 3]
    assert (bank.recipients, bank.weak_recipients) == (2, 1)
    assert (float(bank.rm_score), float(bank.rm_score_prior), float(bank.rm_change)) == (
        3.5,
        2.0,
        1.5,
    )
    assert rows["Bare Account Ltd"].recipient_list == []
    assert rows["Bare Account Ltd"].rm_change is None
    summary = response.context["summary"]
    assert (summary.accounts, summary.without_recipient, summary.recipients) == (2, 1, 2)
    assert (summary.weak_recipients, summary.scored) == (1, 2)
    html = response.content.decode()
    assert html.count('data-warning="no-recipient"') == 1
    assert html.count('data-warning="weak"') == 1
    assert "Far Away" not in html  # another team's account
    assert "+1.50" in html


def test_a_manager_sees_their_teams_and_ops_all(client, manager, ops, book):
    client.force_login(manager)
    names = [a.name for a in client.get(URL).context["rows"]]
    assert names == ["Bare Account Ltd", "Zenith Example Bank"]
    client.force_login(ops)
    names = [a.name for a in client.get(URL).context["rows"]]
    assert names == ["Bare Account Ltd", "Other Telecom Ltd", "Zenith Example Bank"]


def test_query_count_stays_flat_as_accounts_grow(client, am, book, django_assert_max_num_queries):
    client.force_login(am)
    with django_assert_max_num_queries(20) as small:
        client.get(URL)
    for _ in range(10):
        account = AccountFactory(owner=am)
        for _ in range(3):
            person = StakeholderFactory(account=account, cpe_survey_recipient=True)
            SurveyResponseFactory(stakeholder=person, fiscal_year=FY)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert len(response.context["rows"]) == 12


def test_a_bad_fiscal_year_is_ignored_with_a_notice(client, am, book):
    client.force_login(am)
    response = client.get(URL, {"fy": "nope"})
    assert response.status_code == 200
    assert response.context["fy"] == FY
    assert "could not be read" in response.content.decode()


def test_export_lists_exactly_the_visible_recipients(client, am, book):
    client.force_login(am)
    book["strong"].title = "=HYPERLINK(evil)"
    book["strong"].save()
    response = client.get(f"{URL}export/", {"fy": FY})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == (
        "account,account_owner,stakeholder_id,name,title,level,email,phone,strength,"
        "strength_label,internal_owner,score"
    )
    assert len(lines) == 3
    assert lines[1].startswith(f"Zenith Example Bank,{am.get_full_name()},{book['strong'].pk},")
    assert "'=HYPERLINK(evil)" in lines[1]
    assert lines[1].endswith(",4,Problem solver,,4")
    assert lines[2].endswith(",2,Vendor,,3")


def test_score_entry_creates_then_replaces(client, am, book):
    client.force_login(am)
    weak = book["weak"]
    response = client.post(f"{URL}{weak.pk}/score/", {"fy": FY - 1, "score": "5"})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?fy={FY - 1}#recipient-{weak.pk}"
    client.post(f"{URL}{weak.pk}/score/", {"fy": FY, "score": "1"})
    assert scores() == [
        ("Ada Strong", FY - 1, 2),
        ("Ada Strong", FY, 4),
        ("Wale Weak", FY - 1, 5),
        ("Wale Weak", FY, 1),
    ]


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_a_bad_score_is_refused_with_a_message(client, am, book, score):
    client.force_login(am)
    before = scores()
    response = client.post(
        f"{URL}{book['weak'].pk}/score/", {"fy": FY, "score": score}, follow=True
    )
    assert "Wale Weak: choose a score from 1 to 5." in response.content.decode()
    assert scores() == before


def test_score_entry_permission(client, am, vt_am, manager, book, account, other_am):
    before = scores()
    # Another team's AM does not see the stakeholder: 404.
    client.force_login(other_am)
    assert client.post(f"{URL}{book['strong'].pk}/score/", {"score": "1"}).status_code in (
        403,
        404,
    )
    # vt_am sees the account (virtual team) but may not score: no form, and a forged POST 403.
    client.force_login(vt_am)
    page = client.get(URL).content.decode()
    assert "Zenith Example Bank" in page
    assert f'action="{URL}{book["strong"].pk}/score/"' not in page
    assert client.post(f"{URL}{book['strong'].pk}/score/", {"score": "1"}).status_code == 403
    assert scores() == before
    client.force_login(manager)
    assert (
        client.post(f"{URL}{book['strong'].pk}/score/", {"fy": FY, "score": "1"}).status_code == 302
    )
    assert ("Ada Strong", FY, 1) in scores()


def upload(client, text, fy=FY):
    return client.post(
        f"{URL}import/",
        {"fy": fy, "file": SimpleUploadedFile("scores.csv", text.encode(), "text/csv")},
    )


def test_import_by_id_and_email(client, am, book):
    client.force_login(am)
    text = f"stakeholder_id,email,score\n{book['weak'].pk},,5\n,ADA@bank.example,3\n"
    response = upload(client, text, fy=FY - 1)
    assert response.status_code == 302
    assert scores() == [
        ("Ada Strong", FY - 1, 3),
        ("Ada Strong", FY, 4),
        ("Wale Weak", FY - 1, 5),
        ("Wale Weak", FY, 3),
    ]


def test_the_export_imports_back(client, am, book):
    client.force_login(am)
    exported = b"".join(client.get(f"{URL}export/", {"fy": FY}).streaming_content).decode()
    edited = exported.replace(",4,Problem solver,,4", ",4,Problem solver,,5")
    assert upload(client, edited).status_code == 302
    assert ("Ada Strong", FY, 5) in scores()


def test_import_is_all_or_nothing_with_every_rows_error(client, am, book, other_am):
    client.force_login(am)
    AccountTeamMemberFactory(account=book["far"].account, user=am)  # am sees, cannot score
    StakeholderFactory(account=book["bare"], email="twin@bank.example")
    StakeholderFactory(account=book["bare"], email="twin@bank.example")
    before = scores()
    text = (
        "stakeholder_id,email,score\n"
        f"{book['weak'].pk},,5\n"  # fine, but not saved: the rest is bad
        "999999,,3\n"
        ",twin@bank.example,3\n"
        ",nobody@x.example,3\n"
        f"{book['strong'].pk},,9\n"
        f"{book['weak'].pk},,4\n"
        f"{book['far'].pk},,4\n"
        ",,4\n"
    )
    response = upload(client, text)
    assert response.status_code == 400
    assert response.context["import_errors"] == [
        "Row 3: no stakeholder you can see has the id '999999'.",
        "Row 4: several stakeholders with the email 'twin@bank.example'; give the stakeholder_id.",
        "Row 5: no stakeholder you can see with the email 'nobody@x.example'; give the "
        "stakeholder_id.",
        "Row 6: the score must be a whole number from 1 to 5.",
        "Row 7: Wale Weak appears twice in the file.",
        "Row 8: scores on Other Telecom Ltd are entered by its owner, their manager or sales "
        "operations.",
        "Row 9: give the stakeholder_id or the email.",
    ]
    assert "Nothing was imported" in response.content.decode()
    assert scores() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,score\nA,3\n", "The first line must name the columns"),
        (b"stakeholder_id,score\n", "The file has no rows under its header."),
        (b"\xff\xfe\x00bad", "The file is not UTF-8 text"),
    ],
)
def test_unreadable_files_are_refused(client, am, book, content, message):
    client.force_login(am)
    response = client.post(
        f"{URL}import/", {"fy": FY, "file": SimpleUploadedFile("s.csv", content, "text/csv")}
    )
    assert response.status_code == 400
    assert response.context["import_errors"][0].startswith(message)
    response = client.post(f"{URL}import/", {"fy": FY})
    assert response.context["import_errors"] == ["Choose a CSV file to import."]


def test_the_sidebar_links_here(client, am):
    client.force_login(am)
    html = client.get("/").content.decode()
    assert f'href="{URL}"' in html
