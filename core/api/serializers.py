"""Serializer parts shared by every app's API."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from teams.visibility import account_visibility_q


class VersionedModelSerializer(serializers.ModelSerializer):
    """Carries `version`: read, it is the stored version; written (optional), it is the
    version the client edited, and a stale one is refused with 409."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Send back the version you edited; a stale one answers 409.",
    )


class UsernameField(serializers.SlugRelatedField):
    """A user referenced by username, as api.md says."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(**kwargs)


class VisibleAccountField(serializers.PrimaryKeyRelatedField):
    """An account id the requesting user may see; any other id is 'does not exist'."""

    def get_queryset(self):
        from accounts.models import Account

        request = self.context.get("request")
        user = getattr(request, "user", None)
        return Account.objects.filter(account_visibility_q(user))


class VisibleAccountScopedField(serializers.PrimaryKeyRelatedField):
    """An id of an account-scoped model (agreement, stakeholder, ...) the user may see."""

    def __init__(self, *, model, **kwargs):
        self.scoped_model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.scoped_model.objects.visible_to(getattr(request, "user", None))
