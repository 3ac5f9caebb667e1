from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from core.models import VersionedModel, sync_index


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import user_visibility_q

        return self.filter(user_visibility_q(user))


class KeyplanUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import team_visibility_q

        return self.filter(team_visibility_q(user))


class User(AbstractUser, VersionedModel):
    class Role(models.TextChoices):
        AM = "am", "Account manager"
        MANAGER = "manager", "Sales manager"
        OPS = "ops", "Sales operations"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AM)
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        help_text="The sales team this person belongs to (AMs report to its manager).",
    )
    title = models.CharField(max_length=120, blank=True)

    objects = KeyplanUserManager()

    class Meta:
        ordering = ["username"]
        indexes = [sync_index("user_sync")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_ops(self) -> bool:
        return self.is_superuser or self.role == self.Role.OPS

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER and not self.is_ops

    @property
    def is_am(self) -> bool:
        return self.role == self.Role.AM and not self.is_superuser


class Team(VersionedModel):
    name = models.CharField(max_length=120, unique=True)
    manager = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
        limit_choices_to={"role": User.Role.MANAGER},
    )
    territory = models.CharField(max_length=120, help_text='e.g. "Lagos Corporate West"')

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [sync_index("team_sync")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.manager_id and self.manager.role != User.Role.MANAGER:
            raise ValidationError({"manager": "The team's manager must have the manager role."})


class Quota(VersionedModel):
    """Revenue target of one AM for one fiscal year, optionally split by quarter."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="quotas")
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000)], help_text="Named by the year it ends: FY2027."
    )
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    q1 = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    q2 = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    q3 = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    q4 = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "fiscal_year"], name="quota_unique_user_fy"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="quota_amount_gte_0"),
        ]
        indexes = [sync_index("quota_sync")]

    def __str__(self) -> str:
        return f"{self.user} FY{self.fiscal_year}"

    def clean(self) -> None:
        if self.user_id and self.user.role != User.Role.AM:
            raise ValidationError({"user": "Quotas are set for account managers."})
        quarters = [self.q1, self.q2, self.q3, self.q4]
        given = [q for q in quarters if q is not None]
        if not given:
            return
        if len(given) != 4:
            raise ValidationError(
                {"q1": "Give all four quarters or none: the split must cover the whole year."}
            )
        if any(q < 0 for q in given):
            raise ValidationError({"q1": "Quarter amounts cannot be negative."})
        if self.amount is not None and sum(given) != self.amount:
            raise ValidationError(
                {"amount": f"The quarters add up to {sum(given):,.2f}, not {self.amount:,.2f}."}
            )
