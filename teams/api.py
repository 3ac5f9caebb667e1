"""REST endpoints for users, teams and quotas (api.md)."""

import django_filters
from django_filters.rest_framework import BooleanFilter  # true/false and 1/0
from rest_framework import serializers

from core.api.filters import IdFilter, SearchFilter, SortFilter, SyncFilterSet, UsernameFilter
from core.api.serializers import UsernameField, VersionedModelSerializer, VisibleRelatedField
from core.api.viewsets import ServiceModelViewSet, ServiceSet

from . import selectors, services
from .models import Quota, Team, User


class UserSerializer(VersionedModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}, min_length=8
    )
    team = VisibleRelatedField(model=Team, allow_null=True, required=False)
    active_account_count = serializers.IntegerField(read_only=True, default=None)
    over_capacity = serializers.SerializerMethodField(
        help_text="True when an AM owns more active accounts than AM_ACCOUNT_CAPACITY."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "role",
            "team",
            "title",
            "is_active",
            "active_account_count",
            "over_capacity",
            "password",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_over_capacity(self, obj) -> bool:
        count = getattr(obj, "active_account_count", None)
        if count is None:
            count = selectors.am_account_load(user_ids=[obj.pk]).get(obj.pk, 0)
        return obj.role == User.Role.AM and selectors.is_over_capacity(count)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("active_account_count") is None:
            data["active_account_count"] = instance.owned_accounts.filter(is_active=True).count()
        return data


class UserFilter(SyncFilterSet):
    q = SearchFilter(fields=["username", "first_name", "last_name", "email"])
    team = IdFilter(field_name="team_id")
    role = django_filters.ChoiceFilter(choices=User.Role.choices)
    is_active = BooleanFilter()
    username = django_filters.CharFilter()
    sort = SortFilter(fields=["username", "last_name", ("updated_at", "updated")])

    class Meta:
        model = User
        fields = []


class UserViewSet(ServiceModelViewSet):
    """People. Ops create and edit users; others read themselves and their team."""

    schema_tag = "people"

    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering = ["username"]
    # Users are deactivated (is_active: false), never deleted.
    services = ServiceSet(create=services.user_create, update=services.user_update)

    def scoped_queryset(self):
        return selectors.user_list(user=self.request.user)


class TeamSerializer(VersionedModelSerializer):
    manager = UsernameField(allow_null=True, required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "manager", "territory", "created_at", "updated_at", "version"]
        read_only_fields = ["created_at", "updated_at"]


class TeamFilter(SyncFilterSet):
    q = SearchFilter(fields=["name", "territory"])
    manager = UsernameFilter(field_name="manager__username")
    territory = django_filters.CharFilter()

    class Meta:
        model = Team
        fields = []


class TeamViewSet(ServiceModelViewSet):
    schema_tag = "people"
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    ordering = ["name"]
    services = ServiceSet(create=services.team_create, update=services.team_update)

    def scoped_queryset(self):
        return selectors.team_list(user=self.request.user)


class QuotaSerializer(VersionedModelSerializer):
    user = UsernameField()

    class Meta:
        model = Quota
        fields = [
            "id",
            "user",
            "fiscal_year",
            "amount",
            "q1",
            "q2",
            "q3",
            "q4",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]


class QuotaFilter(SyncFilterSet):
    user = UsernameFilter(field_name="user__username")
    fiscal_year = django_filters.NumberFilter(min_value=2000, max_value=9999)

    class Meta:
        model = Quota
        fields = []


class QuotaViewSet(ServiceModelViewSet):
    """Revenue targets. Ops and the AM's manager write; AMs read their own."""

    schema_tag = "people"

    serializer_class = QuotaSerializer
    filterset_class = QuotaFilter
    ordering = ["-fiscal_year", "user__username", "id"]
    services = ServiceSet(
        create=services.quota_create, update=services.quota_update, delete=services.quota_delete
    )

    def scoped_queryset(self):
        return selectors.quota_list(user=self.request.user)


def register(router) -> None:
    router.register("users", UserViewSet, basename="user")
    router.register("teams", TeamViewSet, basename="team")
    router.register("quotas", QuotaViewSet, basename="quota")
