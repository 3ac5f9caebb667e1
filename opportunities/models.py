"""Opportunities: the pipeline an AM moves, the stages it moves through, the partners on a
deal, every stage/amount/close-date change (StageChange) and escalations to the manager.

Rules (domain.md, Opportunities):
- a stage at or after `propose` needs a business value statement; `closed_lost` needs a loss
  reason (checked in the services, where the refusal names the rule on the field);
- probability and forecast category default to the stage's, an opportunity may override
  either (`effective_probability`, `effective_forecast_category`);
- a won renewal opportunity that points at an agreement renews it (accounts' renewal rule,
  clause registered in OpportunitiesConfig.ready);
- delete is soft: `is_deleted` and `deleted_at`, so sync readers learn of it.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce

from accounts.access import VisibleQuerySet
from accounts.models import MONEY, Account, Agreement
from core.models import VersionedModel, sync_index

CURRENCY_MESSAGE = "Give a three-letter currency code in capitals (e.g. USD, NGN)."
currency_validator = RegexValidator(r"^[A-Z]{3}$", CURRENCY_MESSAGE)


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    CLOSED = "closed", "Closed"
    OMITTED = "omitted", "Omitted"


class Stage(VersionedModel):
    """A step of the pipeline, ordered, edited by sales operations."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    order = models.PositiveIntegerField(help_text="Position in the pipeline (lowest first).")
    probability = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(100)], help_text="Percent, 0-100."
    )
    is_closed = models.BooleanField(default=False)
    is_won = models.BooleanField(default=False)
    forecast_category = models.CharField(
        max_length=16,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
        help_text="The forecast category of an opportunity at this stage, unless it overrides it.",
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="stage_probability_0_100",
                violation_error_message="The probability is a percent, 0-100.",
            ),
            models.CheckConstraint(
                condition=Q(is_won=False) | Q(is_closed=True),
                name="stage_won_is_closed",
                violation_error_message="A won stage is a closed stage.",
            ),
        ]
        indexes = [sync_index("stage_sync")]

    def __str__(self) -> str:
        return self.name


class Partner(VersionedModel):
    class Kind(models.TextChoices):
        SI = "si", "System integrator"
        CSP = "csp", "Cloud solution provider"
        ISV = "isv", "Independent software vendor"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.OTHER)
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [sync_index("partner_sync")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.external_id == "":
            self.external_id = None


class OpportunityQuerySet(VisibleQuerySet):
    def alive(self):
        return self.filter(is_deleted=False)

    def open(self):
        return self.filter(is_deleted=False, stage__is_closed=False)

    def with_effective(self):
        """Annotate `probability_effective` and `forecast_category_effective` (the
        override, else the stage's)."""
        return self.annotate(
            probability_effective=Coalesce(F("probability"), F("stage__probability")),
            forecast_category_effective=Coalesce(
                F("forecast_category"), F("stage__forecast_category")
            ),
        )


class Opportunity(VersionedModel):
    class Kind(models.TextChoices):
        NEW = "new", "New"
        RENEWAL = "renewal", "Renewal"
        EXPANSION = "expansion", "Expansion"

    visibility_account_path = "account"
    owner_field = "owner"

    # The composite indexes in Meta lead with account, owner and stage: no single-column
    # index beside them (each costs every sync write).
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="opportunities", db_index=False
    )
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="opportunities",
        help_text="The account manager who owns the deal.",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NEW)
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="opportunities", db_index=False
    )
    amount = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD", validators=[currency_validator])
    close_date = models.DateField()
    probability = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Percent, 0-100; empty: the stage's probability.",
    )
    forecast_category = models.CharField(
        max_length=16,
        choices=ForecastCategory.choices,
        null=True,
        blank=True,
        help_text="Empty: the stage's default forecast category.",
    )
    partners = models.ManyToManyField(Partner, blank=True, related_name="opportunities")
    business_value = models.TextField(
        blank=True, help_text="The business value / ROI statement for the customer."
    )
    licensing_vehicle = models.CharField(
        max_length=8, choices=Agreement.Kind.choices, blank=True, help_text="e.g. EA, CSP."
    )
    agreement = models.ForeignKey(
        Agreement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewal_opportunities",
        help_text="The agreement a renewal renews.",
    )
    competitor = models.CharField(max_length=200, blank=True)
    loss_reason = models.TextField(blank=True)
    source = models.CharField(
        max_length=60, default="keyplan", help_text="The system the opportunity comes from."
    )
    external_id = models.CharField(
        max_length=100, null=True, blank=True, help_text="Its id in that system."
    )
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["close_date", "id"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="opportunity_unique_source_external_id",
                violation_error_message="An opportunity with this source and external id exists.",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(probability__isnull=True) | Q(probability__gte=0, probability__lte=100),
                name="opportunity_probability_0_100",
            ),
        ]
        indexes = [
            sync_index("opportunity_sync"),
            models.Index(fields=["account", "is_deleted"], name="opportunity_account"),
            models.Index(fields=["owner", "is_deleted"], name="opportunity_owner"),
            models.Index(fields=["stage", "close_date"], name="opportunity_stage_close"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_probability(self) -> int:
        if self.probability is not None:
            return self.probability
        return self.stage.probability

    @property
    def effective_forecast_category(self) -> str:
        return self.forecast_category or self.stage.forecast_category

    def clean(self) -> None:
        if self.external_id == "":
            self.external_id = None
        errors = {}
        if self.agreement_id and self.account_id and self.agreement.account_id != self.account_id:
            errors["agreement"] = "The agreement must belong to the opportunity's account."
        if errors:
            raise ValidationError(errors)


def won_renewal_q():
    """The renewal clause this app adds to accounts' renewal rule: a won renewal
    opportunity (not deleted) points at the agreement."""
    return Exists(
        Opportunity.objects.filter(
            agreement=OuterRef("pk"),
            kind=Opportunity.Kind.RENEWAL,
            stage__is_won=True,
            is_deleted=False,
        )
    )


class StageChange(models.Model):
    """One change of an opportunity's stage, amount or close date: the history the
    slipped-deal and velocity reports read."""

    class Field(models.TextChoices):
        STAGE = "stage", "Stage"
        AMOUNT = "amount", "Amount"
        CLOSE_DATE = "close_date", "Close date"

    visibility_account_path = "opportunity__account"

    # Indexed by the composite (opportunity, field, changed_at) below, not on its own.
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    field = models.CharField(max_length=12, choices=Field.choices)
    from_value = models.CharField(max_length=60, blank=True)
    to_value = models.CharField(max_length=60, blank=True)
    # Append-only history written a thousand rows at a time by sync: no index on who, and
    # Django (not a database trigger per row) sets it to NULL when a user is deleted.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    changed_at = models.DateTimeField(db_index=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "field", "changed_at"], name="stagechange_opp")
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.field}: {self.from_value} -> {self.to_value}"


class Escalation(VersionedModel):
    """An AM asks the manager for a decision on a deal; the owning team's manager or ops
    resolve it."""

    visibility_account_path = "opportunity__account"
    owner_field = "raised_by"

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="escalations"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField()
    decision = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [sync_index("escalation_sync")]

    def __str__(self) -> str:
        return f"Escalation on {self.opportunity_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
