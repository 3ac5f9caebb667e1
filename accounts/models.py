import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.models import VersionedModel, sync_index

from .access import VisibleQuerySet

MONEY = {"max_digits": 14, "decimal_places": 2}
PERIOD_MESSAGE = "The period must be the first day of a month (e.g. 2026-07-01)."


def ltp_below_threshold_q() -> Q:
    """Accounts whose long-term potential is below their segment's minimum (settings)."""
    minimum = settings.LTP_MINIMUM
    return Q(segment=Account.Segment.MATURE, ltp__lt=minimum["mature"]) | Q(
        segment=Account.Segment.EMERGING, ltp__lt=minimum["emerging"]
    )


# --- catalogues ----------------------------------------------------------------------


class CatalogueQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class CatalogueEntry(VersionedModel):
    """One value of a controlled vocabulary that sales operations manage (accounts.catalogues):
    accounts pick their sector, industry and territory, deployments their product, from
    these. A deactivated value stays on the rows that have it and is offered no more."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, db_index=False)
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Lists show lower numbers first, then by name."
    )

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="A value with this name exists.",
            ),
            models.UniqueConstraint(
                fields=["slug"],
                name="%(app_label)s_%(class)s_unique_slug",
                violation_error_message="A value with this slug exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Sector(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        pass


class Industry(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        verbose_name_plural = "industries"


class Territory(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        verbose_name_plural = "territories"


class Product(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        pass


class AccountQuerySet(VisibleQuerySet):
    def below_ltp(self):
        return self.filter(ltp_below_threshold_q())


class Account(VersionedModel):
    class Segment(models.TextChoices):
        MATURE = "mature", "Mature"
        EMERGING = "emerging", "Emerging"

    visibility_account_path = ""

    name = models.CharField(max_length=200)
    external_id = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text="The account's id in your other systems (ERP, licensing portal).",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="downstream",
        help_text="The HQ or multinational this account is downstream of.",
    )
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.MATURE)
    ltp = models.DecimalField(
        "long-term potential",
        **MONEY,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=(
            "Long-term potential (LTP): the annual revenue this account could reach. "
            "Minimum 1,000,000 for mature and 500,000 for emerging accounts."
        ),
    )
    industry = models.ForeignKey(
        Industry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        help_text="e.g. Banking, Telecoms",
    )
    sector = models.ForeignKey(
        Sector,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        help_text="e.g. Commercial, Public, Academic",
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_accounts",
        help_text="The account manager who owns the account.",
    )
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(ltp__gte=0), name="account_ltp_gte_0"),
        ]
        indexes = [
            sync_index("account_sync"),
            models.Index(fields=["owner", "is_active"]),
            models.Index(fields=["name", "id"], name="account_list_order"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ltp_minimum(self) -> int:
        return settings.LTP_MINIMUM[self.segment]

    @property
    def below_ltp_threshold(self) -> bool:
        return self.ltp is not None and self.ltp < self.ltp_minimum

    def clean(self) -> None:
        # A parent that would close a cycle is refused by the service, under the tree lock
        # (core.hierarchy.guard_tree), where a parallel edit cannot slip past the check.
        if self.external_id == "":
            self.external_id = None
        if self.owner_id and self.owner.role != "am":
            raise ValidationError({"owner": "The owner must be an account manager."})


class AccountTeamMember(VersionedModel):
    """The virtual team around an account ("Internal Following")."""

    class Role(models.TextChoices):
        ATS = "ats", "Account technology strategist"
        SSP = "ssp", "Solution specialist"
        SE = "se", "Solution engineer"
        TAM = "tam", "Technical account manager"
        RBM = "rbm", "Regional business manager"
        PAM = "pam", "Partner account manager"
        DOWNSTREAM_AM = "downstream_am", "Downstream AM"
        INDUSTRY = "industry", "Industry team"
        SERVICES = "services", "Services"
        MARKETING = "marketing", "Marketing"
        PARTNER = "partner", "Partner"
        OTHER = "other", "Other"

    visibility_account_path = "account"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="account_memberships",
        help_text="A Keyplan user; members on the team see the account.",
    )
    name = models.CharField(
        max_length=120, blank=True, help_text="Or a named person without a Keyplan login."
    )
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    notes = models.CharField(max_length=255, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["role", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(name=""), name="atm_user_or_name"
            ),
            models.UniqueConstraint(
                fields=["account", "user", "role"],
                condition=Q(user__isnull=False),
                name="atm_unique_user_role",
                violation_error_message="This person already has this role on the account team.",
            ),
        ]
        indexes = [sync_index("atm_sync")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        if self.user_id:
            return str(self.user)
        return self.name

    def clean(self) -> None:
        if not self.user_id and not self.name.strip():
            raise ValidationError({"name": "Choose a user or give the person's name."})


# Clauses other apps add to "renewed" (name -> a function returning an expression on an
# Agreement queryset, usually an Exists(... OuterRef("pk"))). An app above accounts registers
# its clause in its AppConfig.ready (opportunities: a won renewal opportunity points at the
# agreement), so accounts never imports it and the rule stays in this one place.
RENEWAL_CLAUSES: dict = {}


def register_renewal_clause(name: str, clause) -> None:
    RENEWAL_CLAUSES[name] = clause


def renewed_q():
    """An agreement is renewed when a successor agreement exists, or when a registered
    clause holds (domain.md: or a won renewal opportunity points at it)."""
    rule = Q(Exists(Agreement.objects.filter(renews=OuterRef("pk"))))
    for clause in RENEWAL_CLAUSES.values():
        rule |= Q(clause())
    return rule


class AgreementQuerySet(VisibleQuerySet):
    def with_renewal_status(self, today: datetime.date | None = None):
        """Annotate `renewal_status`: THE renewal-status rule of domain.md, in one place.

        First match wins: renewed (a successor exists, or a registered clause holds: a won
        renewal opportunity points at it), upcoming (starts after today),
        lapsed (ended, not renewed), due (ends within AGREEMENT_DUE_DAYS), active. Pages, the
        API, the home page and the metrics all read this annotation (or the model property,
        which defers to it).
        """
        today = today or timezone.localdate()
        due_by = today + datetime.timedelta(days=settings.AGREEMENT_DUE_DAYS)
        status = Agreement.RenewalStatus
        return self.annotate(
            renewal_status=Case(
                When(renewed_q(), then=Value(status.RENEWED)),
                When(start_date__gt=today, then=Value(status.UPCOMING)),
                When(end_date__lt=today, then=Value(status.LAPSED)),
                When(end_date__lte=due_by, then=Value(status.DUE)),
                default=Value(status.ACTIVE),
                output_field=models.CharField(),
            )
        )


class Agreement(VersionedModel):
    class Kind(models.TextChoices):
        EA = "EA", "Enterprise Agreement"
        SA = "SA", "Software Assurance"
        MPSA = "MPSA", "Microsoft Products and Services Agreement"
        CSP = "CSP", "Cloud Solution Provider"
        OTHER = "OTHER", "Other"

    class RenewalStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        UPCOMING = "upcoming", "Upcoming"
        DUE = "due", "Due for renewal"
        RENEWED = "renewed", "Renewed"
        LAPSED = "lapsed", "Lapsed"

    visibility_account_path = "account"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="agreements")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EA)
    number = models.CharField(max_length=60, help_text="The agreement number.")
    start_date = models.DateField()
    end_date = models.DateField()
    annual_value = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    renews = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="successors",
        help_text="The agreement this one succeeds.",
    )

    history = HistoricalRecords()
    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["end_date", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "number"],
                name="agreement_unique_kind_number",
                violation_error_message="An agreement of this kind with this number exists.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="agreement_end_after_start",
                violation_error_message="The end date must be on or after the start date.",
            ),
            models.CheckConstraint(condition=Q(annual_value__gte=0), name="agreement_value_gte_0"),
        ]
        indexes = [
            sync_index("agreement_sync"),
            models.Index(fields=["end_date", "id"], name="agreement_end_order"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"

    def save(self, *args, **kwargs) -> None:
        self.__dict__.pop("_renewal_status", None)  # the dates may change it: read it anew
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date must be on or after the start date."
        if self.renews_id:
            if self.pk and self.renews_id == self.pk:
                errors["renews"] = "An agreement cannot renew itself."
            elif self.account_id and self.renews.account_id != self.account_id:
                errors["renews"] = "The agreement it renews must belong to the same account."
        if errors:
            raise ValidationError(errors)

    @property
    def renewal_status(self) -> str:
        """The status annotated by `with_renewal_status()` (as of today), else read from the
        database by the same rule."""
        if "_renewal_status" not in self.__dict__:
            self._renewal_status = (
                Agreement.objects.filter(pk=self.pk)
                .with_renewal_status()
                .values_list("renewal_status", flat=True)
                .get()
            )
        return self._renewal_status

    @renewal_status.setter
    def renewal_status(self, value: str) -> None:
        self._renewal_status = value


class RevenueRecord(VersionedModel):
    """Customer addressable revenue (AR) ledger: one amount per account, month and source."""

    visibility_account_path = "account"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="revenue")
    period = models.DateField(help_text="The first day of the month.")
    amount = models.DecimalField(**MONEY)
    source = models.CharField(max_length=60, default="manual")

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period", "source"],
                name="revenue_unique_account_period_source",
                violation_error_message=(
                    "A revenue record for this account, month and source exists."
                ),
            )
        ]
        # The unique key serves lookups by account (and period); the list's default order is
        # newest period first, by account: read straight off this index, no sort of the ledger.
        indexes = [
            sync_index("revenue_sync"),
            models.Index(fields=["-period", "account", "id"], name="revenue_list_order"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.period:%Y-%m} {self.amount}"

    def clean(self) -> None:
        if self.period and self.period.day != 1:
            raise ValidationError({"period": PERIOD_MESSAGE})


class ProductDeployment(VersionedModel):
    """Is the customer current on the installation and use of what they bought?"""

    visibility_account_path = "account"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="deployments")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="deployments")
    licensed_seats = models.PositiveIntegerField(default=0)
    active_seats = models.PositiveIntegerField(default=0)
    is_current_version = models.BooleanField(default=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["product__order", "product__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "product"],
                name="deployment_unique_account_product",
                violation_error_message="This product is already listed for the account.",
            )
        ]
        indexes = [sync_index("deployment_sync")]

    def __str__(self) -> str:
        return f"{self.product} at {self.account}"

    @property
    def adoption(self) -> Decimal | None:
        """active / licensed as a fraction; None when nothing is licensed."""
        if not self.licensed_seats:
            return None
        return (Decimal(self.active_seats) / Decimal(self.licensed_seats)).quantize(
            Decimal("0.000001")
        )
