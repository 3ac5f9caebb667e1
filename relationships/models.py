"""Relationships: the customer's people an AM works with (Stakeholder, with reports_to for the
org chart), what was discussed with them (Interaction) and the Relationship Management score
of the customer satisfaction survey (SurveyResponse).

Rules (domain.md, Relationships):
- influence and strength are 1-5, attitude -2..+2, a survey score 1-5: validators give the
  message, CheckConstraints have the last word;
- reports_to is a tree inside one account (clean refuses another account's stakeholder;
  services call core.hierarchy.guard_tree for cycles, also under races);
- an interaction's stakeholders and a survey's stakeholder are of its own account (the
  services check the many-to-many; SurveyResponse.clean the foreign key);
- one survey answer per stakeholder per fiscal year (UniqueConstraint);
- the relationship-strength ladder in words lives here once (STRENGTH_LADDER);
- coverage ("helicoptering"): for each level from front line to CXO, is there a stakeholder
  with strength >= COVERED_STRENGTH? See relationships.selectors.coverage_for_account(s).

Write permission (accounts.access): the account's owner, the owning manager and ops change
everything here; an AM on the virtual team logs interactions (Interaction.owner_field
`logged_by`) and edits the stakeholders they own (Stakeholder.owner_field `internal_owner`),
nothing else on the account. Survey answers have no row owner: owner, owning manager, ops.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.access import VisibleQuerySet
from accounts.models import Account
from core.models import VersionedModel, sync_index

# --- the ladders, in words --------------------------------------------------------------

STRENGTH_LADDER = {
    1: "Unknown",
    2: "Vendor",
    3: "Credible source",
    4: "Problem solver",
    5: "Trusted advisor",
}
# A level counts as covered when someone there is at least a credible source.
COVERED_STRENGTH = 3
STRENGTH_CHOICES = [(n, f"{n} · {label}") for n, label in STRENGTH_LADDER.items()]

ATTITUDE_LABELS = {
    -2: "Detractor",
    -1: "Sceptic",
    0: "Neutral",
    1: "Supportive",
    2: "Supporter",
}
ATTITUDE_CHOICES = [
    (n, f"{n:+d} · {label}" if n else f"0 · {label}") for n, label in ATTITUDE_LABELS.items()
]
INFLUENCE_CHOICES = [(n, str(n)) for n in range(1, 6)]

INFLUENCE_MESSAGE = "Influence is a number from 1 (little) to 5 (decides)."
STRENGTH_MESSAGE = (
    "Relationship strength is a number from 1 to 5: 1 unknown, 2 vendor, 3 credible source, "
    "4 problem solver, 5 trusted advisor."
)
ATTITUDE_MESSAGE = "Attitude is a number from -2 (detractor) to +2 (supporter)."
SCORE_MESSAGE = "A survey score is a number from 1 to 5."
REPORTS_TO_ACCOUNT_MESSAGE = "A stakeholder reports to someone of the same account."
SURVEY_ACCOUNT_MESSAGE = "The stakeholder must be one of this account's stakeholders."


def strength_label(strength: int | None) -> str:
    """The ladder's word for a strength (1 unknown … 5 trusted advisor)."""
    return STRENGTH_LADDER.get(strength, "")


def attitude_label(attitude: int | None) -> str:
    return ATTITUDE_LABELS.get(attitude, "")


def _range(low: int, high: int, message: str) -> list:
    return [MinValueValidator(low, message), MaxValueValidator(high, message)]


# --- stakeholders -----------------------------------------------------------------------


class Level(models.TextChoices):
    """A stakeholder's level in the customer's organisation, listed top down (CXO first)."""

    CXO = "cxo", "CXO"
    EXECUTIVE = "executive", "Executive"
    ASSISTANT = "assistant", "Assistant"
    LOB_DIRECTOR = "lob_director", "LOB director"
    IT_DECISION_MAKER = "it_decision_maker", "IT decision maker"
    IT_PRO = "it_pro", "IT pro"
    FRONT_LINE = "front_line", "Front line"


# The rank order, front line (1) up to CXO (7). The CXO's assistant sits just below the CXO:
# the gatekeeper an AM helicopters through ("including the CXO's assistant", issue 9).
LEVEL_RANK = {
    Level.FRONT_LINE: 1,
    Level.IT_PRO: 2,
    Level.IT_DECISION_MAKER: 3,
    Level.LOB_DIRECTOR: 4,
    Level.EXECUTIVE: 5,
    Level.ASSISTANT: 6,
    Level.CXO: 7,
}
# Levels from front line up to CXO: the order of the coverage strip.
LEVELS_UP = sorted(LEVEL_RANK, key=LEVEL_RANK.get)


def level_rank_expression(field: str = "level") -> models.Case:
    """LEVEL_RANK as a database expression, to sort or annotate by it."""
    return models.Case(
        *[
            models.When(**{field: level}, then=models.Value(rank))
            for level, rank in LEVEL_RANK.items()
        ],
        default=models.Value(0),
        output_field=models.PositiveSmallIntegerField(),
    )


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    INFLUENCER = "influencer", "Influencer"
    CHAMPION = "champion", "Champion"
    BLOCKER = "blocker", "Blocker"
    EVALUATOR = "evaluator", "Evaluator"
    USER = "user", "User"


class StakeholderQuerySet(VisibleQuerySet):
    def with_rank(self):
        return self.annotate(level_rank=level_rank_expression())


class Stakeholder(VersionedModel):
    visibility_account_path = "account"
    owner_field = "internal_owner"

    Level = Level
    BuyingRole = BuyingRole

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.FRONT_LINE)
    department = models.CharField(max_length=120, blank=True)
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text="Their manager in the customer's organisation (same account).",
    )
    buying_role = models.CharField(max_length=16, choices=BuyingRole.choices, blank=True)
    influence = models.PositiveSmallIntegerField(
        default=3, validators=_range(1, 5, INFLUENCE_MESSAGE), help_text="1 (little) to 5."
    )
    attitude = models.SmallIntegerField(
        default=0,
        validators=_range(-2, 2, ATTITUDE_MESSAGE),
        help_text="-2 detractor, 0 neutral, +2 supporter.",
    )
    strength = models.PositiveSmallIntegerField(
        default=1,
        validators=_range(1, 5, STRENGTH_MESSAGE),
        help_text="Relationship strength: 1 unknown, 2 vendor, 3 credible source, "
        "4 problem solver, 5 trusted advisor.",
    )
    internal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_stakeholders",
        help_text="Who on our side owns the relationship.",
    )
    cpe_survey_recipient = models.BooleanField(
        default=False, help_text="Receives the customer satisfaction (RM) survey."
    )
    last_interaction_at = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The date of their latest interaction (kept by the interaction service).",
    )

    objects = StakeholderQuerySet.as_manager()

    class Meta:
        ordering = ["account", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(influence__gte=1, influence__lte=5),
                name="stakeholder_influence_1_5",
                violation_error_message=INFLUENCE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(attitude__gte=-2, attitude__lte=2),
                name="stakeholder_attitude_m2_2",
                violation_error_message=ATTITUDE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(strength__gte=1, strength__lte=5),
                name="stakeholder_strength_1_5",
                violation_error_message=STRENGTH_MESSAGE,
            ),
            models.CheckConstraint(
                condition=~Q(reports_to=models.F("pk")),
                name="stakeholder_not_own_manager",
                violation_error_message="A stakeholder cannot report to themselves.",
            ),
        ]
        indexes = [
            sync_index("stakeholder_sync"),
            models.Index(fields=["account", "level", "strength"], name="stakeholder_coverage"),
            models.Index(
                fields=["account"],
                condition=Q(cpe_survey_recipient=True),
                name="stakeholder_recipient",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_rank_value(self) -> int:
        return LEVEL_RANK.get(self.level, 0)

    @property
    def strength_label(self) -> str:
        return strength_label(self.strength)

    @property
    def attitude_label(self) -> str:
        return attitude_label(self.attitude)

    def clean(self) -> None:
        if self.reports_to_id and self.account_id and self.reports_to.account_id != self.account_id:
            raise ValidationError({"reports_to": REPORTS_TO_ACCOUNT_MESSAGE})


# --- interactions -----------------------------------------------------------------------


class Interaction(VersionedModel):
    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        BRIEFING = "briefing", "Briefing"
        EVENT = "event", "Event"

    visibility_account_path = "account"
    owner_field = "logged_by"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MEETING)
    stakeholders = models.ManyToManyField(Stakeholder, blank=True, related_name="interactions")
    summary = models.TextField(blank=True)
    business_value_discussed = models.BooleanField(
        default=False, help_text="Was the business value for the customer discussed?"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_interactions"
    )

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            sync_index("interaction_sync"),
            models.Index(fields=["account", "date"], name="interaction_account_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"


# --- RM survey --------------------------------------------------------------------------


class SurveyResponse(VersionedModel):
    """One stakeholder's Relationship Management (RM) score in the customer satisfaction
    survey of a fiscal year."""

    visibility_account_path = "account"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="survey_responses")
    stakeholder = models.ForeignKey(
        Stakeholder,
        on_delete=models.PROTECT,  # a score counts in rm_score: deleting its person is refused
        related_name="survey_responses",
    )
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(2000, "Give a fiscal year such as 2027."),
            MaxValueValidator(2100, "Give a fiscal year such as 2027."),
        ]
    )
    score = models.PositiveSmallIntegerField(validators=_range(1, 5, SCORE_MESSAGE))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-fiscal_year", "account", "id"]
        verbose_name = "RM survey score"
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder", "fiscal_year"],
                name="survey_unique_stakeholder_year",
                violation_error_message=(
                    "This stakeholder already has a score for this fiscal year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5),
                name="survey_score_1_5",
                violation_error_message=SCORE_MESSAGE,
            ),
        ]
        indexes = [
            sync_index("survey_sync"),
            models.Index(fields=["account", "fiscal_year"], name="survey_account_year"),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder_id} FY{self.fiscal_year}: {self.score}"

    def clean(self) -> None:
        if (
            self.stakeholder_id
            and self.account_id
            and self.stakeholder.account_id != self.account_id
        ):
            raise ValidationError({"stakeholder": SURVEY_ACCOUNT_MESSAGE})
