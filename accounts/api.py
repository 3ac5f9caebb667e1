"""REST endpoints for accounts, agreements, revenue (with /bulk/), deployments and the
virtual account team (api.md). Lists filter through the FilterSets the pages use too
(accounts.filters); writes go through accounts.services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from core.api.bulk import BulkEnvelopeSerializer, bulk_response_serializer, run_bulk
from core.api.records import Date, DecimalValue, Integer, RecordSchema, Text
from core.api.serializers import UsernameField, VersionedModelSerializer, VisibleRelatedField
from core.api.viewsets import ServiceModelViewSet, ServiceSet

from . import selectors, services
from .access import ACCOUNT_RULE, can_see_account, changeable_account_ids
from .catalogues import KINDS, allowed_values, kind_of, resolve
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
    Industry,
    Product,
    ProductDeployment,
    RevenueRecord,
    Sector,
    Territory,
)

TIMESTAMPS = ["created_at", "updated_at"]


# --- catalogues ---------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class CatalogueField(serializers.RelatedField):
    """A catalogue value (accounts.catalogues): sent as its name or slug, case-insensitive;
    answered as its name ("" when none). A value outside the catalogue answers 400 listing
    the allowed names. The value the row already has is accepted unchanged, even after ops
    deactivated it, so a client can PUT back what it read."""

    def __init__(self, *, model, **kwargs):
        self.catalogue = model
        kind = kind_of(model)
        kwargs.setdefault("queryset", model.objects.all())
        kwargs.setdefault(
            "help_text",
            f"The {kind.noun}'s name or slug from /api/v1/catalogues/{kind.slug}/ "
            "(case-insensitive); answered as its name.",
        )
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.name

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail_unknown()
        instance = getattr(self.parent, "instance", None)
        current = getattr(instance, self.source, None) if instance is not None else None
        entry = resolve(self.catalogue, data, current=current)
        if entry is None:
            self.fail_unknown()
        return entry

    def fail_unknown(self):
        kind = kind_of(self.catalogue)
        allowed = allowed_values(self.catalogue)
        raise serializers.ValidationError(
            f"Unknown {kind.noun}. Allowed values (name or slug): {', '.join(allowed)}."
            if allowed
            else f"No {kind.noun} is defined yet: sales operations add them first."
        )

    def get_choices(self, cutoff=None):  # the browsable API: the catalogue's names
        return {entry.name: entry.name for entry in self.catalogue.objects.active()}


def blank_catalogues(data: dict, names) -> dict:
    """An empty catalogue value reads "" (as the free-text field did), never null."""
    for name in names:
        if data.get(name) is None:
            data[name] = ""
    return data


class CatalogueEntrySerializer(VersionedModelSerializer):
    slug = serializers.SlugField(
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="Made from the name when left out.",
    )

    class Meta:
        fields = ["id", "name", "slug", "is_active", "order", *TIMESTAMPS, "version"]
        read_only_fields = TIMESTAMPS
        validators = []  # the service checks the unique name and slug (full_clean)


def catalogue_viewset(kind_slug: str):
    """The API of one catalogue: read for everyone signed in, written by ops (403 others).
    Values are never deleted: deactivate them (`is_active: false`)."""
    kind = KINDS[kind_slug]
    serializer = type(
        f"{kind.model.__name__}Serializer",
        (CatalogueEntrySerializer,),
        {"Meta": type("Meta", (CatalogueEntrySerializer.Meta,), {"model": kind.model})},
    )

    def create(*, actor, **data):
        return services.catalogue_create(actor=actor, model=kind.model, **data)

    def scoped_queryset(self):
        return kind.model.objects.all()

    return type(
        f"{kind.model.__name__}ViewSet",
        (ServiceModelViewSet,),
        {
            "__doc__": f"{kind.title}: the values {kind.used_by} pick from. Deactivate a "
            "value instead of deleting it.",
            "serializer_class": serializer,
            "ordering": ["order", "name", "id"],
            "services": ServiceSet(create=create, update=services.catalogue_update),
            "scoped_queryset": scoped_queryset,
            "schema_tag": "catalogues",
        },
    )


# --- accounts -----------------------------------------------------------------------


ACCOUNT_CATALOGUES = ("sector", "industry", "territory")


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
    sector = CatalogueField(model=Sector, required=False, allow_null=True)
    industry = CatalogueField(model=Industry, required=False, allow_null=True)
    territory = CatalogueField(model=Territory, required=False, allow_null=True)
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
        data = blank_catalogues(super().to_representation(instance), ACCOUNT_CATALOGUES)
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

    schema_tag = "accounts"

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
    product = CatalogueField(model=Product)
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
    for slug, kind in KINDS.items():
        router.register(
            f"catalogues/{slug}", catalogue_viewset(slug), basename=kind.model.__name__.lower()
        )
