"""Serializer parts shared by every app's API. References resolve through the model's
`visible_to(user)` (the visibility rule), so an id or username the requester may not see
reads exactly like one that does not exist."""

from django.contrib.auth import get_user_model
from django.db import models
from rest_framework import serializers


def _requester(field: serializers.Field):
    request = field.context.get("request")
    return getattr(request, "user", None)


class VersionedModelSerializer(serializers.ModelSerializer):
    """Carries `version`: read, it is the stored version; written (optional), it is the
    version the client edited, and a stale one is refused with 409."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Send back the version you edited; a stale one answers 409.",
    )


class UsernameField(serializers.SlugRelatedField):
    """A user referenced by username (api.md), among the active users the requester sees
    (or the one the edited row names already, sent back unchanged)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", get_user_model().objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        return get_user_model().objects.visible_to(_requester(self)).filter(is_active=True)

    def to_internal_value(self, data):
        # The person the edited row already names is accepted unchanged, as GET showed it,
        # even when they are outside the requester's view (the AM of another team that ops
        # put on a virtual team): a client PUTs back what it read. No oracle: the name is
        # the one the row already shows.
        current = self._current_value()
        if current is not None and data == current.username:
            return current
        return super().to_internal_value(data)

    def _current_value(self):
        instance = getattr(self.parent, "instance", None)
        if not isinstance(instance, models.Model):
            return None
        return getattr(instance, self.source, None)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of a `model` row the requester may see (`model.objects.visible_to(user)`)."""

    def __init__(self, *, model, **kwargs):
        self.related_model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.related_model.objects.visible_to(_requester(self))
