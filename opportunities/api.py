"""REST endpoints for opportunities (with sync: PUT by external id and /bulk/), stages and
partners (api.md). Lists filter through opportunities.filters; writes go through
opportunities.services.

Sync (api.md, Sync):
- `PUT /api/v1/opportunities/by-external-id/<source>/<external_id>/` creates (201) or
  updates (200) one opportunity; an identical resend changes nothing, not even `version`;
- `POST /api/v1/opportunities/bulk/` up to 1000 records, results in request order;
- both validate records in plain Python (core.api.records) against what the batch refers
  to, read in a handful of queries (services.SyncBatch), and write set-based
  (services.opportunity_bulk_upsert): the database decides every race;
- DELETE is a soft delete; `updated_since` lists include deleted rows (`is_deleted`), other
  lists and reads of one object hide them;
- the sync endpoints share the `sync` throttle scope (API_THROTTLE_SYNC) on top of the
  per-user one.
"""

import re

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import Account, Agreement
from core.api.bulk import BulkEnvelopeSerializer, bulk_response_serializer, run_bulk
from core.api.exceptions import PreconditionFailed
from core.api.records import (
    Choice,
    Date,
    DecimalValue,
    Integer,
    ListOf,
    RecordSchema,
    Text,
)
from core.api.serializers import UsernameField, VersionedModelSerializer, VisibleRelatedField
from core.api.viewsets import ServiceModelViewSet, ServiceSet, _etag_matches
from core.exceptions import StaleVersionError

from . import selectors, services
from .filters import OpportunityFilter, PartnerFilter, StageFilter
from .models import CURRENCY_MESSAGE, ForecastCategory, Opportunity, Partner, Stage

TIMESTAMPS = ["created_at", "updated_at"]
CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- stages and partners -----------------------------------------------------------------


class StageSerializer(VersionedModelSerializer):
    class Meta:
        model = Stage
        fields = [
            "id",
            "slug",
            "name",
            "order",
            "probability",
            "is_closed",
            "is_won",
            "forecast_category",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = TIMESTAMPS


class StageViewSet(ServiceModelViewSet):
    """The pipeline stages, in order; sales operations create and edit them."""

    serializer_class = StageSerializer
    filterset_class = StageFilter
    ordering = ["order", "id"]
    services = ServiceSet(create=services.stage_create, update=services.stage_update)

    def scoped_queryset(self):
        return selectors.stage_list()


class PartnerSerializer(VersionedModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "external_id", "name", "kind", *TIMESTAMPS, "version"]
        read_only_fields = TIMESTAMPS
        extra_kwargs = {"external_id": {"allow_null": True, "required": False}}


class PartnerViewSet(ServiceModelViewSet):
    """Partners (SI, CSP, ISV): anyone adds one, managers and sales operations edit one."""

    serializer_class = PartnerSerializer
    filterset_class = PartnerFilter
    ordering = ["name", "id"]
    services = ServiceSet(create=services.partner_create, update=services.partner_update)

    def scoped_queryset(self):
        return selectors.partner_list()


# --- opportunities -----------------------------------------------------------------------


class OpportunitySerializer(VersionedModelSerializer):
    account = VisibleRelatedField(model=Account)
    owner = UsernameField(
        required=False, help_text="An AM who sees the account; default: you (an AM) or its owner."
    )
    stage = serializers.SlugRelatedField(slug_field="slug", queryset=Stage.objects.all())
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = serializers.CharField(
        required=False, help_text="A three-letter ISO 4217 code in capitals (USD, NGN)."
    )
    probability = serializers.IntegerField(
        min_value=0,
        max_value=100,
        allow_null=True,
        required=False,
        help_text="Percent override; null: the stage's probability (effective_probability).",
    )
    forecast_category = serializers.ChoiceField(
        choices=ForecastCategory.choices,
        allow_null=True,
        required=False,
        help_text="Override; null: the stage's category (effective_forecast_category).",
    )
    effective_probability = serializers.IntegerField(source="probability_effective", read_only=True)
    effective_forecast_category = serializers.ChoiceField(
        source="forecast_category_effective", choices=ForecastCategory.choices, read_only=True
    )
    partners = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Partner.objects.all(), required=False
    )
    agreement = VisibleRelatedField(
        model=Agreement,
        allow_null=True,
        required=False,
        help_text="The agreement a renewal renews (on the same account).",
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "source",
            "external_id",
            "account",
            "name",
            "owner",
            "kind",
            "stage",
            "amount",
            "currency",
            "close_date",
            "probability",
            "effective_probability",
            "forecast_category",
            "effective_forecast_category",
            "partners",
            "business_value",
            "licensing_vehicle",
            "agreement",
            "competitor",
            "loss_reason",
            "is_deleted",
            "deleted_at",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = ["is_deleted", "deleted_at", *TIMESTAMPS]
        extra_kwargs = {
            "external_id": {"allow_null": True, "required": False},
            "source": {"required": False},
        }
        # (source, external_id) is checked by the service (full_clean) and, in a race, by
        # the database (409).
        validators = []

    def validate_currency(self, value):
        if not CURRENCY.match(value):
            raise serializers.ValidationError(CURRENCY_MESSAGE)
        return value


# One sync record (PUT by external id, or an item of /bulk/): validated in plain Python.
OPPORTUNITY_RECORD = RecordSchema(
    source=Text(max_length=60),
    external_id=Text(max_length=100),
    account=Integer(required=False, minimum=1),
    account_external_id=Text(required=False, max_length=100),
    name=Text(required=False, max_length=200),
    owner=Text(required=False, max_length=150),
    kind=Choice(required=False, choices=tuple(Opportunity.Kind.values)),
    stage=Text(required=False, max_length=40),
    amount=DecimalValue(required=False, max_digits=14, decimal_places=2, minimum=0),
    currency=Text(required=False, max_length=3),
    close_date=Date(required=False),
    probability=Integer(required=False, allow_null=True, minimum=0, maximum=100),
    forecast_category=Choice(
        required=False, allow_null=True, choices=tuple(ForecastCategory.values)
    ),
    partners=ListOf(required=False, item=Integer(minimum=1), max_items=100),
    partner_external_ids=ListOf(required=False, item=Text(max_length=100), max_items=100),
    business_value=Text(required=False, allow_blank=True),
    licensing_vehicle=Choice(
        required=False, allow_blank=True, choices=tuple(Agreement.Kind.values)
    ),
    agreement=Integer(required=False, allow_null=True, minimum=1),
    competitor=Text(required=False, allow_blank=True, max_length=200),
    loss_reason=Text(required=False, allow_blank=True),
    version=Integer(required=False, minimum=1),
)


def _ints(records, name) -> set[int]:
    return {r[name] for r in records if type(r.get(name)) is int and 0 < r[name] < 2**63}


def _strs(records, name) -> set[str]:
    return {r[name] for r in records if isinstance(r.get(name), str)}


def sync_batch(user, records: list) -> services.SyncBatch:
    """What these raw records refer to, read once (and the stored rows locked)."""
    records = [r for r in records if isinstance(r, dict)]
    partner_ids: set[int] = set()
    partner_external_ids: set[str] = set()
    for r in records:
        if isinstance(r.get("partners"), list):
            partner_ids |= {p for p in r["partners"] if type(p) is int and 0 < p < 2**63}
        if isinstance(r.get("partner_external_ids"), list):
            partner_external_ids |= {p for p in r["partner_external_ids"] if isinstance(p, str)}
    keys = {
        (r["source"].strip(), r["external_id"].strip())
        for r in records
        if isinstance(r.get("source"), str) and isinstance(r.get("external_id"), str)
    }
    return services.SyncBatch(
        actor=user,
        keys=keys,
        account_ids=_ints(records, "account"),
        account_external_ids=_strs(records, "account_external_id"),
        partner_ids=partner_ids,
        partner_external_ids=partner_external_ids,
        agreement_ids=_ints(records, "agreement"),
        usernames=_strs(records, "owner"),
    )


def validate_record(raw, context) -> tuple[dict, dict]:
    """One sync record: parsed, its references resolved against the batch, merged with the
    stored row and checked against the rules. Returns (row to write, errors)."""
    batch: services.SyncBatch = context["batch"]
    data, errors = OPPORTUNITY_RECORD.parse(raw)
    if "currency" in data and not CURRENCY.match(data["currency"]):
        errors["currency"] = [CURRENCY_MESSAGE]
    if "account" in data:
        if data["account"] not in batch.account_owner:
            errors.setdefault("account", ["No such account."])
    elif "account_external_id" in data:
        account = batch.account_by_external_id.get(data.pop("account_external_id"))
        if account is None:
            errors.setdefault("account_external_id", ["No account with this external id."])
        else:
            data["account"] = account
    if "owner" in data:
        owner = batch.user_by_username.get(data["owner"])
        if owner is None:
            errors.setdefault("owner", ["No such user."])
        data["owner"] = owner
    if "stage" in data:
        stage = batch.stages.get(data["stage"])
        if stage is None:
            errors.setdefault("stage", ["No such stage."])
        else:
            data["stage"] = stage.pk
    if data.get("agreement") is not None and data["agreement"] not in batch.agreement_account:
        errors.setdefault("agreement", ["No such agreement."])
    if "partners" in data or "partner_external_ids" in data:
        unknown = [p for p in data.get("partners", ()) if p not in batch.partner_ids]
        if unknown:
            errors.setdefault("partners", [f"No such partner: {unknown[0]}."])
        ids = set(data.get("partners", ()))
        for external_id in data.pop("partner_external_ids", ()):
            partner = batch.partner_by_external_id.get(external_id)
            if partner is None:
                errors.setdefault(
                    "partner_external_ids", [f"No partner with external id {external_id}."]
                )
            ids.add(partner)
        data["partners"] = sorted(p for p in ids if p is not None)
    if errors:
        return {}, errors
    version = data.pop("version", None)
    data.pop("account_external_id", None)
    row, existing, errors = batch.merge(data)
    if errors:
        return {}, errors
    if version is not None and existing is not None and existing["version"] != version:
        return {}, {
            "version": [
                str(
                    StaleVersionError(
                        current_version=existing["version"], submitted_version=version
                    )
                )
            ]
        }
    return row, {}


class OpportunityBulkRecordSerializer(serializers.Serializer):
    """One record of the sync endpoints, for the schema (validated by OPPORTUNITY_RECORD in
    plain Python, with the same messages). Fields left out keep their stored value."""

    source = serializers.CharField(max_length=60)
    external_id = serializers.CharField(max_length=100)
    account = serializers.IntegerField(required=False, help_text="Or account_external_id.")
    account_external_id = serializers.CharField(required=False)
    name = serializers.CharField(required=False, max_length=200)
    owner = serializers.CharField(required=False, help_text="A username.")
    kind = serializers.ChoiceField(choices=Opportunity.Kind.choices, required=False)
    stage = serializers.CharField(required=False, help_text="A stage slug.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    currency = serializers.CharField(required=False, max_length=3)
    close_date = serializers.DateField(required=False)
    probability = serializers.IntegerField(required=False, allow_null=True)
    forecast_category = serializers.ChoiceField(
        choices=ForecastCategory.choices, required=False, allow_null=True
    )
    partners = serializers.ListField(child=serializers.IntegerField(), required=False)
    partner_external_ids = serializers.ListField(child=serializers.CharField(), required=False)
    business_value = serializers.CharField(required=False, allow_blank=True)
    licensing_vehicle = serializers.CharField(required=False, allow_blank=True)
    agreement = serializers.IntegerField(required=False, allow_null=True)
    competitor = serializers.CharField(required=False, allow_blank=True)
    loss_reason = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, help_text="A stale one is refused.")


class OpportunityUpsertSerializer(OpportunityBulkRecordSerializer):
    """The body of PUT by-external-id: source and external_id come from the path."""

    source = None
    external_id = None


class OpportunityBulkEnvelopeSerializer(BulkEnvelopeSerializer):
    records = OpportunityBulkRecordSerializer(many=True, allow_empty=False, max_length=1000)


OPPORTUNITY_BULK_ECHO = ("source", "external_id")
OpportunityBulkResponseSerializer = bulk_response_serializer(
    "OpportunityBulk", OPPORTUNITY_BULK_ECHO
)
SYNC_ACTIONS = {"bulk", "by_external_id"}


@extend_schema_view(
    list=extend_schema(
        description=(
            "Opportunities you see. With updated_since: a sync read ordered by (updated_at, "
            "id), soft-deleted rows included (is_deleted true), and sync_until to start the "
            "next poll from."
        )
    ),
    destroy=extend_schema(description="Soft delete: the row is flagged is_deleted."),
)
class OpportunityViewSet(ServiceModelViewSet):
    """The pipeline. Soft-deleted opportunities answer 404, except in updated_since lists."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    ordering = ["close_date", "id"]
    services = ServiceSet(
        create=services.opportunity_create,
        update=services.opportunity_update,
        delete=services.opportunity_delete,
    )
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]

    @property
    def throttle_scope(self):
        # ScopedRateThrottle applies where a scope is named: the sync endpoints.
        if getattr(self, "action", None) in SYNC_ACTIONS:
            return "sync"
        return None

    def scoped_queryset(self):
        deleted = self.action == "list" and "updated_since" in self.request.query_params
        return selectors.opportunity_list(user=self.request.user, include_deleted=deleted)

    def _bulk_save(self, rows):
        return services.opportunity_bulk_upsert(
            actor=self.request.user,
            batch=self._batch,
            rows=[data for _, data in rows],
        )

    def _bulk_context(self, records):
        self._batch = sync_batch(self.request.user, records)
        return {"batch": self._batch}

    @extend_schema(
        request=OpportunityBulkEnvelopeSerializer,
        responses={200: OpportunityBulkResponseSerializer},
        description=(
            "Create or update up to 1000 opportunities keyed on (source, external_id). Results "
            "in request order: created, updated, unchanged (an identical record writes "
            "nothing) or error with field errors. With all_or_none true one bad record saves "
            "nothing. A field a record leaves out keeps its stored value."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        return run_bulk(
            request=request,
            validate=validate_record,
            describe=lambda raw: {
                "source": raw.get("source") if isinstance(raw, dict) else None,
                "external_id": raw.get("external_id") if isinstance(raw, dict) else None,
            },
            save=self._bulk_save,
            context=self._bulk_context,
            hold_context=True,
        )

    @extend_schema(
        request=OpportunityUpsertSerializer,
        responses={201: OpportunitySerializer, 200: OpportunitySerializer},
        parameters=[
            OpenApiParameter("source", str, OpenApiParameter.PATH),
            OpenApiParameter("external_id", str, OpenApiParameter.PATH),
        ],
        description=(
            "Create (201) or update (200) the opportunity with this source and external id. "
            "Sending the same body again changes nothing (200, same version). A field left "
            "out keeps its stored value."
        ),
    )
    @action(
        detail=False,
        methods=["put"],
        url_path=r"by-external-id/(?P<source>[^/]+)/(?P<external_id>[^/]+)",
    )
    def by_external_id(self, request, source: str, external_id: str):
        body = request.data
        if not isinstance(body, dict):
            raise ValidationError({"non_field_errors": ["Send a JSON object."]})
        raw = {**body, "source": source, "external_id": external_id}
        with transaction.atomic():
            batch = sync_batch(request.user, [raw])
            self._check_if_match_by_key(request, batch, source, external_id)
            row, errors = validate_record(raw, {"batch": batch})
            if errors:
                if "version" in errors and len(errors) == 1:
                    existing = batch.existing[(source.strip(), external_id.strip())]
                    raise StaleVersionError(
                        current_version=existing["version"], submitted_version=body["version"]
                    )
                if "external_id" in errors and errors["external_id"] == [services.LOCKED_MESSAGE]:
                    raise NotFound()
                raise ValidationError(errors)
            (result,) = services.opportunity_bulk_upsert(
                actor=request.user, batch=batch, rows=[row]
            )
            instance = selectors.opportunity_list(user=request.user).get(pk=result["id"])
        code = status.HTTP_201_CREATED if result["status"] == "created" else status.HTTP_200_OK
        return self._with_etag(Response(self.get_serializer(instance).data, status=code), instance)

    def _check_if_match_by_key(self, request, batch, source: str, external_id: str) -> None:
        """If-Match against the stored (locked) row: 412 when it changed since, or when there
        is no such row (that you see): If-Match, even `*`, asks for an existing one."""
        if_match = request.headers.get("If-Match")
        if not if_match:
            return
        existing = batch.existing.get((source.strip(), external_id.strip()))
        if existing is None or existing["account"] not in batch.account_owner:
            raise PreconditionFailed()
        if not _etag_matches(if_match, f'"{existing["id"]}-{existing["version"]}"'):
            raise PreconditionFailed()


def register(router) -> None:
    router.register("stages", StageViewSet, basename="stage")
    router.register("partners", PartnerViewSet, basename="partner")
    router.register("opportunities", OpportunityViewSet, basename="opportunity")
