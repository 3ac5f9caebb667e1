"""The RM survey page's reads and its CSV: for a fiscal year, the CPE survey recipients on the
accounts a user sees (an AM their accounts, a manager their teams', ops all), with the
warnings a manager acts on before the survey goes out, the RM score per account and its
change from last year, and the import of scores from a CSV (parse_scores).

Warnings: an active account with no recipient; a recipient whose relationship strength is 2
or less (unknown or vendor: they will not score us well, or will not answer).
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from accounts.access import change_q, changeable_account_ids
from accounts.models import Account
from teams.models import User

from .models import Stakeholder, SurveyResponse

WEAK_STRENGTH = 2  # a recipient at this strength or below is a warning
NO_RECIPIENT = "No survey recipient"
WEAK_RECIPIENT = "Relationship strength {strength} ({label}): unlikely to score us well"
EXPORT_COLUMNS = [
    "account",
    "account_owner",
    "stakeholder_id",
    "name",
    "title",
    "level",
    "email",
    "phone",
    "strength",
    "strength_label",
    "internal_owner",
    "score",
]
MAX_IMPORT_ROWS = 2000
MAX_IMPORT_BYTES = 1_000_000


def _mean(qs) -> Subquery:
    return Subquery(
        qs.order_by().values("account").annotate(mean=Avg("score")).values("mean")[:1],
        output_field=DecimalField(max_digits=6, decimal_places=4),
    )


def _count(qs) -> Coalesce:
    sub = qs.order_by().values("account").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def survey_accounts(*, user: User, fiscal_year: int) -> QuerySet[Account]:
    """The active accounts `user` sees, each with (one query, correlated subqueries):
    `recipients`, `weak_recipients` (strength <= WEAK_STRENGTH), `rm_score` (mean score of
    the year), `rm_score_prior` (of the year before) and `can_score` (may `user` enter
    scores on it)."""
    recipients = Stakeholder.objects.filter(account=OuterRef("pk"), cpe_survey_recipient=True)
    answers = SurveyResponse.objects.filter(account=OuterRef("pk"))
    return (
        Account.objects.visible_to(user)
        .filter(is_active=True)
        .annotate(
            recipients=_count(recipients),
            weak_recipients=_count(recipients.filter(strength__lte=WEAK_STRENGTH)),
            rm_score=_mean(answers.filter(fiscal_year=fiscal_year)),
            rm_score_prior=_mean(answers.filter(fiscal_year=fiscal_year - 1)),
            can_score=Exists(Account.objects.filter(change_q(user, Account), pk=OuterRef("pk"))),
        )
        .select_related("owner")
        .order_by("name", "pk")
    )


def rm_change(score: Decimal | None, prior: Decimal | None) -> Decimal | None:
    """The RM score's change from last year (None unless both years have scores)."""
    if score is None or prior is None:
        return None
    return Decimal(score) - Decimal(prior)


def survey_recipients(*, accounts: list[int], fiscal_year: int) -> QuerySet[Stakeholder]:
    """The recipients on these accounts, each with `score` (this year's, or None)."""
    score = SurveyResponse.objects.filter(
        stakeholder=OuterRef("pk"), fiscal_year=fiscal_year
    ).values("score")[:1]
    return (
        Stakeholder.objects.filter(account_id__in=accounts, cpe_survey_recipient=True)
        .annotate(score=Subquery(score, output_field=IntegerField()))
        .select_related("account__owner", "internal_owner")
        .order_by("account__name", "account_id", "name", "pk")
    )


@dataclass
class SurveySummary:
    accounts: int
    without_recipient: int
    recipients: int
    weak_recipients: int
    scored: int


def survey_summary(*, user: User, fiscal_year: int) -> SurveySummary:
    """The page's headline counts, in two queries."""
    accounts = Account.objects.visible_to(user).filter(is_active=True)
    counts = accounts.aggregate(
        total=Count("pk"),
        without=Count(
            "pk",
            filter=~Q(
                Exists(
                    Stakeholder.objects.filter(account=OuterRef("pk"), cpe_survey_recipient=True)
                )
            ),
        ),
    )
    people = Stakeholder.objects.filter(account__in=accounts, cpe_survey_recipient=True).aggregate(
        total=Count("pk"),
        weak=Count("pk", filter=Q(strength__lte=WEAK_STRENGTH)),
        scored=Count(
            "pk",
            filter=Q(
                Exists(
                    SurveyResponse.objects.filter(
                        stakeholder=OuterRef("pk"), fiscal_year=fiscal_year
                    )
                )
            ),
        ),
    )
    return SurveySummary(
        accounts=counts["total"],
        without_recipient=counts["without"],
        recipients=people["total"],
        weak_recipients=people["weak"],
        scored=people["scored"],
    )


def export_rows(*, user: User, fiscal_year: int):
    """The recipient list as CSV rows (EXPORT_COLUMNS), streamed."""
    accounts = Account.objects.visible_to(user).filter(is_active=True).values("pk")
    for person in survey_recipients(accounts=accounts, fiscal_year=fiscal_year).iterator(
        chunk_size=500
    ):
        owner = person.account.owner
        yield [
            person.account.name,
            owner.get_full_name() or owner.username,
            person.pk,
            person.name,
            person.title,
            person.get_level_display(),
            person.email,
            person.phone,
            person.strength,
            person.strength_label,
            person.internal_owner.username if person.internal_owner else "",
            "" if person.score is None else person.score,
        ]


# --- import -----------------------------------------------------------------------------


@dataclass
class ParsedScores:
    rows: list[tuple[Stakeholder, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "Row 3: ..." in file order


def parse_scores(*, user: User, data: bytes) -> ParsedScores:
    """Read an upload: a CSV with a header naming `score` and `stakeholder_id` or `email`
    (the export's own columns work). Every row is checked before anything is saved: the
    stakeholder must be one `user` sees (by id, or by an email that names exactly one),
    the score a whole number 1-5, and no stakeholder twice. Three queries whatever the size
    (ids, emails, the accounts the user may score on); a row on an account the user may not
    change is an error too."""
    result = ParsedScores()
    if len(data) > MAX_IMPORT_BYTES:
        result.errors.append(f"The file is larger than {MAX_IMPORT_BYTES // 1000} kB.")
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append("The file is not UTF-8 text: save it as CSV (UTF-8).")
        return result
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        records = list(reader)
    except csv.Error as exc:
        result.errors.append(f"The file could not be read as CSV: {exc}.")
        return result
    if "score" not in header or not ({"stakeholder_id", "email"} & set(header)):
        result.errors.append(
            "The first line must name the columns: score, and stakeholder_id or email."
        )
        return result
    if len(records) > MAX_IMPORT_ROWS:
        result.errors.append(f"At most {MAX_IMPORT_ROWS} rows at a time.")
        return result
    if not records:
        result.errors.append("The file has no rows under its header.")
        return result
    reader_names = reader.fieldnames or []
    key = {name: (name or "").strip().lower() for name in reader_names}
    cleaned = [
        {key[name]: (value or "").strip() for name, value in record.items() if name in key}
        for record in records
    ]

    ids, emails = set(), set()
    for record in cleaned:
        if record.get("stakeholder_id", "").isdigit():
            ids.add(int(record["stakeholder_id"]))
        elif record.get("email"):
            emails.add(record["email"].lower())
    visible = Stakeholder.objects.visible_to(user).select_related("account")
    by_id = {p.pk: p for p in visible.filter(pk__in=[i for i in ids if i < 2**63])}
    by_email: dict[str, list[Stakeholder]] = {}
    if emails:
        matched = visible.annotate(email_key=Lower("email")).filter(email_key__in=emails)
        for person in matched:
            by_email.setdefault(person.email.lower(), []).append(person)

    allowed = changeable_account_ids(
        user,
        {p.account_id for p in by_id.values()}
        | {p.account_id for people in by_email.values() for p in people},
    )
    seen: set[int] = set()
    for number, record in enumerate(cleaned, start=2):  # line 1 is the header
        where = f"Row {number}"
        person = None
        ref = record.get("stakeholder_id", "")
        email = record.get("email", "").lower()
        if ref:
            if not ref.isdigit() or int(ref) not in by_id:
                result.errors.append(f"{where}: no stakeholder you can see has the id {ref!r}.")
                continue
            person = by_id[int(ref)]
        elif email:
            matches = {p.pk: p for p in by_email.get(email, [])}
            if len(matches) != 1:
                problem = "no stakeholder you can see" if not matches else "several stakeholders"
                result.errors.append(
                    f"{where}: {problem} with the email {email!r}; give the stakeholder_id."
                )
                continue
            (person,) = matches.values()
        else:
            result.errors.append(f"{where}: give the stakeholder_id or the email.")
            continue
        if person.account_id not in allowed:
            result.errors.append(
                f"{where}: scores on {person.account.name} are entered by its owner, their "
                "manager or sales operations."
            )
            continue
        raw = record.get("score", "")
        if not raw.isdigit() or not 1 <= int(raw) <= 5:
            result.errors.append(f"{where}: the score must be a whole number from 1 to 5.")
            continue
        if person.pk in seen:
            result.errors.append(f"{where}: {person.name} appears twice in the file.")
            continue
        seen.add(person.pk)
        result.rows.append((person, int(raw)))
    return result
