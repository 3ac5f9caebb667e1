"""REST endpoints for stakeholders, interactions and RM survey answers (api.md). Lists
filter through relationships.filters; writes go through relationships.services; every
queryset is the visibility-scoped selector (others' objects answer 404)."""

from rest_framework import serializers

from accounts.models import Account
from core.api.serializers import UsernameField, VersionedModelSerializer, VisibleRelatedField
from core.api.viewsets import ServiceModelViewSet, ServiceSet

from . import selectors, services
from .filters import InteractionFilter, StakeholderFilter, SurveyFilter
from .models import (
    ATTITUDE_MESSAGE,
    INFLUENCE_MESSAGE,
    SCORE_MESSAGE,
    STRENGTH_MESSAGE,
    Interaction,
    Stakeholder,
    SurveyResponse,
)

TIMESTAMPS = ["created_at", "updated_at"]
FISCAL_YEAR_MESSAGE = "Give a fiscal year such as 2027."


def _bounded(low: int, high: int, message: str, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=low,
        max_value=high,
        error_messages={"min_value": message, "max_value": message},
        **kwargs,
    )


class StakeholderSerializer(VersionedModelSerializer):
    account = VisibleRelatedField(model=Account)
    reports_to = VisibleRelatedField(
        model=Stakeholder,
        allow_null=True,
        required=False,
        help_text="Their manager: a stakeholder of the same account (the org chart is a tree).",
    )
    internal_owner = UsernameField(
        allow_null=True,
        required=False,
        help_text="Who owns the relationship on our side; default: you, when you are an AM.",
    )
    influence = _bounded(1, 5, INFLUENCE_MESSAGE, required=False)
    attitude = _bounded(-2, 2, ATTITUDE_MESSAGE, required=False)
    strength = _bounded(1, 5, STRENGTH_MESSAGE, required=False)
    strength_label = serializers.CharField(
        read_only=True, help_text="The strength ladder in words (1 unknown … 5 trusted advisor)."
    )
    attitude_label = serializers.CharField(read_only=True)

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "account",
            "name",
            "title",
            "email",
            "phone",
            "level",
            "department",
            "reports_to",
            "buying_role",
            "influence",
            "attitude",
            "attitude_label",
            "strength",
            "strength_label",
            "internal_owner",
            "cpe_survey_recipient",
            "last_interaction_at",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = ["last_interaction_at", *TIMESTAMPS]


class StakeholderViewSet(ServiceModelViewSet):
    """The customer's people on an account: level, buying role, influence, attitude,
    relationship strength, internal owner, survey recipient. An AM on the virtual team edits
    only the stakeholders they own (403 otherwise)."""

    serializer_class = StakeholderSerializer
    filterset_class = StakeholderFilter
    ordering = ["account_id", "name", "id"]
    services = ServiceSet(
        create=services.stakeholder_create,
        update=services.stakeholder_update,
        delete=services.stakeholder_delete,
    )

    def scoped_queryset(self):
        return selectors.stakeholder_list(user=self.request.user)


class InteractionSerializer(VersionedModelSerializer):
    account = VisibleRelatedField(model=Account)
    stakeholders = VisibleRelatedField(
        model=Stakeholder,
        many=True,
        required=False,
        help_text="Ids of stakeholders of the interaction's account.",
    )
    logged_by = UsernameField(read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "account",
            "date",
            "kind",
            "stakeholders",
            "summary",
            "business_value_discussed",
            "logged_by",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = TIMESTAMPS


class InteractionViewSet(ServiceModelViewSet):
    """Meetings, calls, emails, briefings and events with an account's stakeholders. Anyone
    who may change the account logs one; an AM on the virtual team edits those they logged."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    ordering = ["-date", "-id"]
    services = ServiceSet(
        create=services.interaction_create,
        update=services.interaction_update,
        delete=services.interaction_delete,
    )

    def scoped_queryset(self):
        return selectors.interaction_list(user=self.request.user)


class SurveySerializer(VersionedModelSerializer):
    account = VisibleRelatedField(
        model=Account, required=False, help_text="Default: the stakeholder's account."
    )
    stakeholder = VisibleRelatedField(model=Stakeholder)
    fiscal_year = _bounded(2000, 2100, FISCAL_YEAR_MESSAGE)
    score = _bounded(1, 5, SCORE_MESSAGE)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "account",
            "stakeholder",
            "fiscal_year",
            "score",
            *TIMESTAMPS,
            "version",
        ]
        read_only_fields = TIMESTAMPS
        # One answer per (stakeholder, fiscal_year): checked by the service (full_clean) and,
        # in a race, by the database (409).
        validators = []


class SurveyViewSet(ServiceModelViewSet):
    """Relationship Management (RM) scores of the customer satisfaction survey, one per
    stakeholder per fiscal year; the account's owner, the owning manager and ops write them."""

    serializer_class = SurveySerializer
    filterset_class = SurveyFilter
    ordering = ["-fiscal_year", "account_id", "id"]
    services = ServiceSet(
        create=services.survey_create,
        update=services.survey_update,
        delete=services.survey_delete,
    )

    def scoped_queryset(self):
        return selectors.survey_list(user=self.request.user)


def register(router) -> None:
    router.register("stakeholders", StakeholderViewSet, basename="stakeholder")
    router.register("interactions", InteractionViewSet, basename="interaction")
    router.register("surveys", SurveyViewSet, basename="survey")
