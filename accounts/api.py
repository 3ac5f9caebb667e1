"""REST endpoints for accounts, agreements, revenue (with /bulk/), deployments and the
virtual account team (api.md). Lists filter through the FilterSets the pages use too
(accounts.filters); writes go through accounts.services."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from core.api.bulk import BulkEnvelopeSerializer, bulk_response_serializer, run_bulk
from core.api.records import Date, DecimalValue, Integer, RecordSchema, Text
from core.api.serializers import UsernameField, VersionedModelSerializer, VisibleRelatedField
from core.api.viewsets import ServiceModelViewSet, ServiceSet

from . import selectors, services
from .access import ACCOUNT_RULE, can_see_account, changeable_account_ids
from .filters import (
    AccountFilter,
    AccountTeamMemberFilter,
    AgreementFilter,
    DeploymentFilter,
    RevenueFilter,
)
from .models import (
    PERIOD_MESSAGE,
    Account,
    AccountTeamMember,
    Agreement,
    ProductDeployment,
    RevenueRecord,
)

TIMESTAMPS = ["created_at", "updated_at"]


# --- accounts -----------------------------------------------------------------------


class AccountSerializer(VersionedModelSerializer):
    parent = VisibleRelatedField(
        model=Account,
        allow_null=True,
        required=False,
        help_text=(
            "The HQ account this one is downstream of. A parent outside your view reads as "
            "null, and sending null back keeps it."
        ),
    )
    owner = UsernameField(required=False)
    below_ltp_threshold = serializers.BooleanField(read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "name",
            "parent",
            "segment",
            "ltp",
            "industry",
            "sector",
            "territory",
            "owner",
            "is_active",
            "below_ltp_threshold",
            "description",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = TIMESTAMPS
        extra_kwargs = {"external_id": {"allow_null": True, "required": False}}

    def _parent_hidden(self, account: Account) -> bool:
        if not account.parent_id:
            return False
        if hasattr(account, "visible_parent_id"):
            return account.visible_parent_id is None
        return not can_see_account(self.context["request"].user, account.parent)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self._parent_hidden(instance):
            data["parent"] = None
        return data

    def validate(self, attrs):
        # A parent the client was shown as null (outside their view) is kept, not cleared.
        keeps_hidden = self.instance is not None and attrs.get("parent", False) is None
        if keeps_hidden and self._parent_hidden(self.instance):
            attrs.pop("parent")
        return attrs


class AccountViewSet(ServiceModelViewSet):
    """Customer accounts. Deactivate with `is_active: false`; accounts are never deleted."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering = ["name", "id"]
    services = ServiceSet(create=services.account_create, update=services.account_update)

    def scoped_queryset(self):
        return selectors.account_list(user=self.request.user)


# --- virtual team -------------------------------------------------------------------


class AccountTeamMemberSerializer(VersionedModelSerializer):
    account = VisibleRelatedField(model=Account)
    user = UsernameField(allow_null=True, required=False)

    class Meta:
        model = AccountTeamMember
        fields = ["id", "account", "user", "name", "email", "role", "notes", *TIMESTAMPS, "version"]
        read_only_fields = TIMESTAMPS
        # The model's conditional unique constraint is checked by full_clean in the service.
        validators = []


class AccountTeamMemberViewSet(ServiceModelViewSet):
    """The virtual team around an account (ATS, SSP, SE, TAM, partners, ...)."""

    serializer_class = AccountTeamMemberSerializer
    filterset_class = AccountTeamMemberFilter
    ordering = ["account_id", "role", "id"]
    services = ServiceSet(
        create=services.team_member_create,
        update=services.team_member_update,
        delete=services.team_member_delete,
    )

    def scoped_queryset(self):
        return AccountTeamMember.objects.visible_to(self.request.user).select_related("user")


# --- agreements ---------------------------------------------------------------------


class AgreementSerializer(VersionedModelSerializer):
    account = VisibleRelatedField(model=Account)
    renews = VisibleRelatedField(model=Agreement, allow_null=True, required=False)
    renewal_status = serializers.ChoiceField(
        choices=Agreement.RenewalStatus.choices, read_only=True
    )

    class Meta:
        model = Agreement
        fields = [
            "id",
            "account",
            "kind",
            "number",
            "start_date",
            "end_date",
            "annual_value",
            "renews",
            "renewal_status",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = TIMESTAMPS


class AgreementViewSet(ServiceModelViewSet):
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    ordering = ["end_date", "id"]
    services = ServiceSet(
        create=services.agreement_create,
        update=services.agreement_update,
        delete=services.agreement_delete,
    )

    def scoped_queryset(self):
        return selectors.agreement_list(user=self.request.user)


# --- revenue ------------------------------------------------------------------------


class RevenueRecordSerializer(VersionedModelSerializer):
    account = VisibleRelatedField(model=Account)

    class Meta:
        model = RevenueRecord
        fields = ["id", "account", "period", "amount", "source", *TIMESTAMPS, "version"]
        read_only_fields = TIMESTAMPS
        # Re-sending a record replaces it (upsert), so no unique-together 400 on POST.
        validators = []

    def validate_period(self, value):
        if value.day != 1:
            raise serializers.ValidationError(PERIOD_MESSAGE)
        return value


class RevenueBulkRecordSerializer(serializers.Serializer):
    """One record of POST /revenue/bulk/, for the schema: the account by `account` id or
    `account_external_id`. The endpoint validates records with REVENUE_RECORD (plain Python,
    same rules and messages), not with this serializer."""

    account = serializers.IntegerField(required=False)
    account_external_id = serializers.CharField(required=False)
    period = serializers.DateField(help_text="The first day of a month.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    source = serializers.CharField(max_length=60, required=False, default="manual")


class RevenueBulkEnvelopeSerializer(BulkEnvelopeSerializer):
    """POST /revenue/bulk/'s body, for the schema."""

    records = RevenueBulkRecordSerializer(many=True, allow_empty=False, max_length=1000)


REVENUE_RECORD = RecordSchema(
    account=Integer(required=False, minimum=1),
    account_external_id=Text(required=False, max_length=100),
    period=Date(),
    amount=DecimalValue(max_digits=14, decimal_places=2),
    source=Text(required=False, default="manual", max_length=60),
)


def validate_revenue_record(raw, context) -> tuple[dict, dict]:
    """A bulk revenue record: its fields, its account (visible and changeable by the
    requester, found in `context` loaded once for the whole upload) and its period."""
    data, errors = REVENUE_RECORD.parse(raw)
    period = data.get("period")
    if period is not None and period.day != 1:
        errors["period"] = [PERIOD_MESSAGE]
    if "account" in data:
        account = context["accounts_by_id"].get(data["account"])
        if account is None:
            errors.setdefault("account", ["No such account."])
    elif "account_external_id" in data:
        account = context["accounts_by_external_id"].get(data["account_external_id"])
        if account is None:
            errors.setdefault("account_external_id", ["No account with this external id."])
    else:
        account = None
        if "account" not in errors and "account_external_id" not in errors:
            errors["account"] = ["Give the account id or account_external_id."]
    if account is not None and account.pk not in context["changeable_account_ids"]:
        errors["account"] = [ACCOUNT_RULE]
    if errors:
        return {}, errors
    data.pop("account_external_id", None)
    data["account"] = account
    return data, {}


# Each bulk result echoes the record's key (api.md), as `bulk` below describes it.
REVENUE_BULK_ECHO = ("account", "account_external_id", "period", "source")
RevenueBulkResponseSerializer = bulk_response_serializer("RevenueBulk", REVENUE_BULK_ECHO)


@extend_schema_view(
    create=extend_schema(
        responses={201: RevenueRecordSerializer, 200: RevenueRecordSerializer},
        description=(
            "Upsert on (account, period, source): 201 when it created the record, 200 when it "
            "replaced or kept one."
        ),
    )
)
class RevenueViewSet(ServiceModelViewSet):
    """The AR ledger. POST upserts on (account, period, source): re-sending replaces."""

    serializer_class = RevenueRecordSerializer
    filterset_class = RevenueFilter
    ordering = ["-period", "account_id", "id"]
    # POST upserts: 201 when it created the record, 200 when it replaced or kept one.
    services = ServiceSet(
        create=services.revenue_record_upsert,
        update=services.revenue_record_update,
        delete=services.revenue_record_delete,
    )

    def scoped_queryset(self):
        return selectors.revenue_list(user=self.request.user)

    def _bulk_context(self, records: list[dict]) -> dict:
        ids = {
            r["account"]
            for r in records
            if type(r.get("account")) is int and 0 < r["account"] < 2**63  # a valid id only
        }
        external = {
            r.get("account_external_id")
            for r in records
            if isinstance(r.get("account_external_id"), str)
        }
        accounts = selectors.accounts_by_reference(
            user=self.request.user, ids=ids, external_ids=external
        )
        return {
            "accounts_by_id": {a.pk: a for a in accounts},
            "accounts_by_external_id": {a.external_id: a for a in accounts if a.external_id},
            "changeable_account_ids": changeable_account_ids(
                self.request.user, [a.pk for a in accounts]
            ),
        }

    def _bulk_save(self, rows):
        results = services.revenue_bulk_upsert(
            actor=self.request.user, rows=[services.RevenueRow(**data) for _, data in rows]
        )
        return [{"id": result.pk, "status": result.status} for result in results]

    @extend_schema(
        request=RevenueBulkEnvelopeSerializer,
        responses={200: RevenueBulkResponseSerializer},
        description=(
            "Upsert up to 1000 revenue records keyed on (account, period, source). Bad "
            "records are reported by index; with all_or_none true one bad record saves nothing."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        return run_bulk(
            request=request,
            validate=validate_revenue_record,
            describe=lambda raw: {
                "account": raw.get("account") if isinstance(raw, dict) else None,
                "account_external_id": raw.get("account_external_id"),
                "period": raw.get("period"),
                "source": raw.get("source", "manual"),
            },
            save=self._bulk_save,
            context=self._bulk_context,
        )


# --- deployments --------------------------------------------------------------------


class DeploymentSerializer(VersionedModelSerializer):
    account = VisibleRelatedField(model=Account)
    adoption = serializers.DecimalField(
        max_digits=None, decimal_places=6, read_only=True, allow_null=True
    )

    class Meta:
        model = ProductDeployment
        fields = [
            "id",
            "account",
            "product",
            "licensed_seats",
            "active_seats",
            "is_current_version",
            "adoption",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = TIMESTAMPS


class DeploymentViewSet(ServiceModelViewSet):
    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilter
    ordering = ["account_id", "product", "id"]
    services = ServiceSet(
        create=services.deployment_create,
        update=services.deployment_update,
        delete=services.deployment_delete,
    )

    def scoped_queryset(self):
        return selectors.deployment_list(user=self.request.user)


def register(router) -> None:
    router.register("accounts", AccountViewSet, basename="account")
    router.register("account-team-members", AccountTeamMemberViewSet, basename="accountteammember")
    router.register("agreements", AgreementViewSet, basename="agreement")
    router.register("revenue", RevenueViewSet, basename="revenuerecord")
    router.register("deployments", DeploymentViewSet, basename="productdeployment")
