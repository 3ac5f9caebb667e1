"""REST endpoints for users, teams and quotas (api.md)."""

from django_filters import rest_framework as filters
from rest_framework import serializers

from core.api.filters import SyncFilterSet, UsernameFilter
from core.api.serializers import UsernameField, VersionedModelSerializer
from core.api.viewsets import ServiceModelViewSet

from . import selectors, services
from .models import Quota, Team, User


class UserSerializer(VersionedModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}, min_length=8
    )
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
    class Meta:
        model = User
        fields = ["team", "role", "is_active", "username"]


class UserViewSet(ServiceModelViewSet):
    """People. Ops create and edit users; others read themselves and their team."""

    serializer_class = UserSerializer
    # Users are deactivated (is_active: false), never deleted.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    filterset_class = UserFilter
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "last_name", "updated_at"]
    ordering = ["username"]

    def scoped_queryset(self):
        return selectors.user_list(user=self.request.user)

    def service_create(self, data):
        return services.user_create(actor=self.request.user, **data)

    def service_update(self, instance, data, expected_version):
        password = data.pop("password", None)
        user = services.user_update(
            actor=self.request.user, user=instance, data=data, expected_version=expected_version
        )
        if password:
            services.user_set_password(actor=self.request.user, user=user, password=password)
        return user


class TeamSerializer(VersionedModelSerializer):
    manager = UsernameField(allow_null=True, required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "manager", "territory", "created_at", "updated_at", "version"]
        read_only_fields = ["created_at", "updated_at"]


class TeamFilter(SyncFilterSet):
    manager = filters.CharFilter(field_name="manager__username")

    class Meta:
        model = Team
        fields = ["territory"]


class TeamViewSet(ServiceModelViewSet):
    serializer_class = TeamSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    filterset_class = TeamFilter
    search_fields = ["name", "territory"]
    ordering = ["name"]

    def scoped_queryset(self):
        return selectors.team_list(user=self.request.user)

    def service_create(self, data):
        return services.team_create(actor=self.request.user, **data)

    def service_update(self, instance, data, expected_version):
        return services.team_update(
            actor=self.request.user, team=instance, data=data, expected_version=expected_version
        )


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

    class Meta:
        model = Quota
        fields = ["fiscal_year"]


class QuotaViewSet(ServiceModelViewSet):
    """Revenue targets. Ops and the AM's manager write; AMs read their own."""

    serializer_class = QuotaSerializer
    filterset_class = QuotaFilter
    ordering = ["-fiscal_year", "user__username"]

    def scoped_queryset(self):
        return selectors.quota_list(user=self.request.user)

    def service_create(self, data):
        return services.quota_create(actor=self.request.user, **data)

    def service_update(self, instance, data, expected_version):
        return services.quota_update(
            actor=self.request.user, quota=instance, data=data, expected_version=expected_version
        )

    def service_destroy(self, instance):
        services.quota_delete(actor=self.request.user, quota=instance)


def register(router) -> None:
    router.register("users", UserViewSet, basename="user")
    router.register("teams", TeamViewSet, basename="team")
    router.register("quotas", QuotaViewSet, basename="quota")
