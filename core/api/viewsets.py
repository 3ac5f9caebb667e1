"""The base every API resource is built on, so each contract point is written once:

- the queryset is the visibility-scoped selector (others' objects answer 404), and the answer
  to a write is the saved row read back through it, as a GET would answer;
- writes go through the services the viewset declares (the browser and the API share every
  rule, including the write permission, which answers 403);
- GET of one object carries an ETag; PUT/PATCH/DELETE honour If-Match (412) and `version`
  (409). If-Match holds until the write itself: a write that lands between the check and
  this one makes it 412 (PUT/PATCH through the version guard, DELETE by re-checking the
  locked row), never a write over a row the client did not see;
- a PUT/PATCH from someone the write rule refuses answers its 403 whatever the body (an
  update service with nothing to change still checks the rule first, and writes nothing).

A resource declares its services instead of writing adapters:

    class AgreementViewSet(ServiceModelViewSet):
        serializer_class = AgreementSerializer
        services = ServiceSet(
            create=services.agreement_create,   # (*, actor, **validated fields)
            update=services.agreement_update,   # (*, actor, instance, data, expected_version)
            delete=services.agreement_delete,   # (*, actor, instance)
        )

        def scoped_queryset(self):
            return selectors.agreement_list(user=self.request.user)

A missing service means the method is not offered (405, and absent from the schema). A
create service may return `(instance, status)`, status "created" (201) or anything else
(200): an upsert.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import Http404
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.exceptions import StaleVersionError

from .exceptions import PreconditionFailed


@dataclass(frozen=True)
class ServiceSet:
    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., None] | None = None


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [tag.strip() for tag in header.split(",")]
    weak = etag.removeprefix("W/")
    return "*" in candidates or any(c.removeprefix("W/") == weak for c in candidates)


class ServiceModelViewSet(viewsets.ModelViewSet):
    """Subclasses set `serializer_class`, `services` and implement `scoped_queryset`."""

    services = ServiceSet()
    # The list's order unless `?sort=` (the FilterSet's SortFilter) says otherwise.
    ordering: list[str] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "http_method_names" not in cls.__dict__:
            methods = ["get", "head", "options"]
            if cls.services.create:
                methods.append("post")
            if cls.services.update:
                methods += ["put", "patch"]
            if cls.services.delete:
                methods.append("delete")
            cls.http_method_names = methods

    def scoped_queryset(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def get_queryset(self):
        queryset = self.scoped_queryset()
        return queryset.order_by(*self.ordering) if self.ordering else queryset

    # --- HTTP ---------------------------------------------------------------------
    def _with_etag(self, response: Response, instance) -> Response:
        etag = getattr(instance, "etag", None)
        if etag:
            response["ETag"] = etag
        return response

    def _check_if_match(self, request, instance) -> None:
        if_match = request.headers.get("If-Match")
        if if_match and not _etag_matches(if_match, instance.etag):
            raise PreconditionFailed()

    def _recheck_if_match_locked(self, request, instance) -> None:
        """Inside the write's transaction: lock the row and check If-Match against it again,
        so no write lands between the check and this one. (A DELETE checked only against the
        row as read would remove a row someone edited a moment later, unseen.) A row deleted
        meanwhile answers 404, as the same request sent a moment later would.

        Only DELETE takes this lock. PUT/PATCH get the same guarantee from the version guard
        instead: a row lock taken before their service would come before the tree lock
        (core.hierarchy) a parent change takes, the opposite order of a plain parent edit,
        and two such edits could deadlock."""
        if_match = request.headers.get("If-Match")
        if not if_match or getattr(instance, "etag", None) is None:
            return
        current = (
            type(instance)
            ._base_manager.select_for_update()
            .filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is None:
            raise Http404
        locked = copy.copy(instance)
        locked.version = current
        self._check_if_match(request, locked)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        etag = getattr(instance, "etag", None)
        if etag and _etag_matches(request.headers.get("If-None-Match", ""), etag):
            return self._with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), instance)
        return self._with_etag(Response(self.get_serializer(instance).data), instance)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        with transaction.atomic():
            result = self.services.create(actor=request.user, **data)
            instance, outcome = result if isinstance(result, tuple) else (result, "created")
            # Read back in the same transaction: the answer is this write, not a later one.
            instance = self._as_read(instance)
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return self._with_etag(Response(self.get_serializer(instance).data, status=code), instance)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        self._check_if_match(request, instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        if not serializer.is_valid():
            self._refuse_if_not_allowed(request, instance)
            raise ValidationError(serializer.errors)
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        checked_version = instance.version
        try:
            with transaction.atomic():
                instance = self.services.update(
                    actor=request.user, instance=instance, data=data, expected_version=expected
                )
                # Read back in the same transaction: the answer is this write, not a later one.
                instance = self._as_read(instance)
        except StaleVersionError as exc:
            # The version If-Match matched above is the one the guard found stale: a write
            # landed in between, so the precondition failed (412, as a moment later).
            if_match = request.headers.get("If-Match", "")
            matched = if_match.strip() not in ("", "*")
            if matched and exc.current_version and exc.submitted_version == checked_version:
                raise PreconditionFailed() from exc
            raise
        return self._with_etag(Response(self.get_serializer(instance).data), instance)

    def _as_read(self, instance):
        """The saved row as GET reads it: through the scoped queryset, whose annotations
        (a parent named only when visible, a renewal status, counts) are computed afresh, so
        the answer to a write never describes the row as it was before it."""
        return self.get_queryset().filter(pk=instance.pk).first() or instance

    def _refuse_if_not_allowed(self, request, instance) -> None:
        """Before answering 400 to a body that does not validate: whether the requester may
        change this object at all. The update service is asked to change nothing, so it
        checks the write permission (its first step) and writes nothing; someone the rule
        refuses gets its 403 whatever they sent, not a 400 inviting them to fix the body."""
        with transaction.atomic():
            self.services.update(
                actor=request.user, instance=instance, data={}, expected_version=None
            )

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self._check_if_match(request, instance)
        with transaction.atomic():
            self._recheck_if_match_locked(request, instance)
            self.services.delete(actor=request.user, instance=instance)
        return Response(status=status.HTTP_204_NO_CONTENT)
