"""REST endpoints for accounts, agreements, revenue (with /bulk/), deployments and the
virtual account team (api.md)."""

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from core.api.bulk import BulkEnvelopeSerializer, bulk_response_serializer, run_bulk
from core.api.filters import SyncFilterSet, UsernameFilter
from core.api.serializers import (
    UsernameField,
    VersionedModelSerializer,
    VisibleAccountField,
    VisibleAccountScopedField,
)
from core.api.viewsets import ServiceModelViewSet

from . import selectors, services
from .models import (
    Account,
    AccountTeamMember,
    Agreement,
    ProductDeployment,
    RevenueRecord,
    ltp_below_threshold_q,
)

TIMESTAMPS = ["created_at", "updated_at"]


# --- accounts -----------------------------------------------------------------------


class AccountSerializer(VersionedModelSerializer):
    parent = VisibleAccountField(allow_null=True, required=False)
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


class AccountFilter(SyncFilterSet):
    owner = UsernameFilter(field_name="owner__username")
    below_ltp_threshold = filters.BooleanFilter(method="filter_below_ltp")

    class Meta:
        model = Account
        fields = [
            "parent",
            "segment",
            "industry",
            "sector",
            "territory",
            "is_active",
            "external_id",
        ]

    def filter_below_ltp(self, queryset, name, value):
        condition = ltp_below_threshold_q()
        return queryset.filter(condition) if value else queryset.exclude(condition)


class AccountViewSet(ServiceModelViewSet):
    """Customer accounts. Deactivate with `is_active: false`; accounts are never deleted."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["name", "external_id", "industry"]
    ordering_fields = ["name", "ltp", "updated_at", "segment", "territory"]
    ordering = ["name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def scoped_queryset(self):
        return Account.objects.visible_to(self.request.user).select_related("owner")

    def service_create(self, data):
        return services.account_create(actor=self.request.user, **data)

    def service_update(self, instance, data, expected_version):
        return services.account_update(
            actor=self.request.user, account=instance, data=data, expected_version=expected_version
        )


# --- virtual team -------------------------------------------------------------------


class AccountTeamMemberSerializer(VersionedModelSerializer):
    account = VisibleAccountField()
    user = UsernameField(allow_null=True, required=False)

    class Meta:
        model = AccountTeamMember
        fields = ["id", "account", "user", "name", "email", "role", "notes", *TIMESTAMPS, "version"]
        read_only_fields = TIMESTAMPS
        # The model's conditional unique constraint is checked by full_clean in the service.
        validators = []


class AccountTeamMemberFilter(SyncFilterSet):
    user = UsernameFilter(field_name="user__username")

    class Meta:
        model = AccountTeamMember
        fields = ["account", "role"]


class AccountTeamMemberViewSet(ServiceModelViewSet):
    """The virtual team around an account (ATS, SSP, SE, TAM, partners, ...)."""

    serializer_class = AccountTeamMemberSerializer
    filterset_class = AccountTeamMemberFilter
    ordering = ["account_id", "role", "id"]

    def scoped_queryset(self):
        return AccountTeamMember.objects.visible_to(self.request.user).select_related("user")

    def service_create(self, data):
        return services.team_member_add(actor=self.request.user, **data)

    def service_update(self, instance, data, expected_version):
        return services.team_member_update(
            actor=self.request.user, member=instance, data=data, expected_version=expected_version
        )

    def service_destroy(self, instance):
        services.team_member_remove(actor=self.request.user, member=instance)


# --- agreements ---------------------------------------------------------------------


class AgreementSerializer(VersionedModelSerializer):
    account = VisibleAccountField()
    renews = VisibleAccountScopedField(model=Agreement, allow_null=True, required=False)
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


class AgreementFilter(SyncFilterSet):
    end_date_after = filters.DateFilter(field_name="end_date", lookup_expr="gte")
    end_date_before = filters.DateFilter(field_name="end_date", lookup_expr="lte")

    class Meta:
        model = Agreement
        fields = ["account", "kind", "renews", "number"]


class AgreementViewSet(ServiceModelViewSet):
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    ordering_fields = ["end_date", "start_date", "annual_value", "updated_at"]
    ordering = ["end_date", "id"]

    def scoped_queryset(self):
        return selectors.agreement_list(user=self.request.user)

    def service_create(self, data):
        return services.agreement_create(actor=self.request.user, **data)

    def service_update(self, instance, data, expected_version):
        return services.agreement_update(
            actor=self.request.user,
            agreement=instance,
            data=data,
            expected_version=expected_version,
        )

    def service_destroy(self, instance):
        services.agreement_delete(actor=self.request.user, agreement=instance)


# --- revenue ------------------------------------------------------------------------


class RevenueRecordSerializer(VersionedModelSerializer):
    account = VisibleAccountField()

    class Meta:
        model = RevenueRecord
        fields = ["id", "account", "period", "amount", "source", *TIMESTAMPS, "version"]
        read_only_fields = TIMESTAMPS
        # Re-sending a record replaces it (upsert), so no unique-together 400 on POST.
        validators = []

    def validate_period(self, value):
        if value.day != 1:
            raise serializers.ValidationError(
                "The period must be the first day of a month (e.g. 2026-07-01)."
            )
        return value


class RevenueBulkRecordSerializer(serializers.Serializer):
    """One record of POST /revenue/bulk/: the account by `account` id or
    `account_external_id`."""

    account = serializers.IntegerField(required=False)
    account_external_id = serializers.CharField(required=False)
    period = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    source = serializers.CharField(max_length=60, required=False, default="manual")

    validate_period = RevenueRecordSerializer.validate_period

    def validate(self, attrs):
        by_id = self.context["accounts_by_id"]
        by_external = self.context["accounts_by_external_id"]
        if "account" in attrs:
            account = by_id.get(attrs["account"])
            if account is None:
                raise serializers.ValidationError({"account": ["No such account."]})
        elif "account_external_id" in attrs:
            account = by_external.get(attrs["account_external_id"])
            if account is None:
                raise serializers.ValidationError(
                    {"account_external_id": ["No account with this external id."]}
                )
        else:
            raise serializers.ValidationError(
                {"account": ["Give the account id or account_external_id."]}
            )
        attrs["account"] = account
        attrs.pop("account_external_id", None)
        return attrs


# Each bulk result echoes the record's key (api.md), as `bulk` below describes it.
REVENUE_BULK_ECHO = ("account", "account_external_id", "period", "source")
RevenueBulkResponseSerializer = bulk_response_serializer("RevenueBulk", REVENUE_BULK_ECHO)


class RevenueFilter(SyncFilterSet):
    period_after = filters.DateFilter(field_name="period", lookup_expr="gte")
    period_before = filters.DateFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = RevenueRecord
        fields = ["account", "source", "period"]


class RevenueViewSet(ServiceModelViewSet):
    """The AR ledger. POST upserts on (account, period, source): re-sending replaces."""

    serializer_class = RevenueRecordSerializer
    filterset_class = RevenueFilter
    ordering_fields = ["period", "amount", "updated_at"]
    ordering = ["-period", "account_id", "id"]

    def scoped_queryset(self):
        return selectors.revenue_list(user=self.request.user)

    def service_create(self, data):
        record, _ = services.revenue_record_upsert(actor=self.request.user, **data)
        return record

    def service_update(self, instance, data, expected_version):
        return services.revenue_record_update(
            actor=self.request.user, record=instance, data=data, expected_version=expected_version
        )

    def service_destroy(self, instance):
        services.revenue_record_delete(actor=self.request.user, record=instance)

    def _bulk_context(self, records: list[dict]) -> dict:
        visible = Account.objects.visible_to(self.request.user)
        ids = {r.get("account") for r in records if isinstance(r.get("account"), int)}
        external = {
            r.get("account_external_id")
            for r in records
            if isinstance(r.get("account_external_id"), str)
        }
        accounts = list(visible.filter(Q(pk__in=ids) | Q(external_id__in=external)))
        return {
            "accounts_by_id": {a.pk: a for a in accounts},
            "accounts_by_external_id": {a.external_id: a for a in accounts if a.external_id},
        }

    def _bulk_save(self, rows):
        saved = services.revenue_bulk_upsert(
            actor=self.request.user,
            rows=[services.RevenueRow(index=index, **data) for index, data in rows],
        )
        return [{"id": row.result["id"], "status": row.result["status"]} for row in saved]

    @extend_schema(
        request=BulkEnvelopeSerializer,
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
            record_serializer=RevenueBulkRecordSerializer,
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
    account = VisibleAccountField()
    adoption = serializers.DecimalField(
        max_digits=9, decimal_places=6, read_only=True, allow_null=True
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


class DeploymentFilter(SyncFilterSet):
    class Meta:
        model = ProductDeployment
        fields = ["account", "product", "is_current_version"]


class DeploymentViewSet(ServiceModelViewSet):
    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilter
    ordering = ["account_id", "product", "id"]

    def scoped_queryset(self):
        return selectors.deployment_list(user=self.request.user)

    def service_create(self, data):
        return services.deployment_create(actor=self.request.user, **data)

    def service_update(self, instance, data, expected_version):
        return services.deployment_update(
            actor=self.request.user,
            deployment=instance,
            data=data,
            expected_version=expected_version,
        )

    def service_destroy(self, instance):
        services.deployment_delete(actor=self.request.user, deployment=instance)


def register(router) -> None:
    router.register("accounts", AccountViewSet, basename="account")
    router.register("account-team-members", AccountTeamMemberViewSet, basename="accountteammember")
    router.register("agreements", AgreementViewSet, basename="agreement")
    router.register("revenue", RevenueViewSet, basename="revenuerecord")
    router.register("deployments", DeploymentViewSet, basename="productdeployment")
