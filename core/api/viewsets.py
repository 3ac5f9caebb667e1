"""The base every API resource is built on, so each contract point is written once:

- the queryset is the visibility-scoped selector (others' objects answer 404);
- writes go through the services the viewset declares (the browser and the API share every
  rule, including the write permission, which answers 403);
- GET of one object carries an ETag; PUT/PATCH/DELETE honour If-Match (412) and `version`
  (409).

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from rest_framework import status, viewsets
from rest_framework.response import Response

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
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return self._with_etag(Response(self.get_serializer(instance).data, status=code), instance)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        self._check_if_match(request, instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        with transaction.atomic():
            instance = self.services.update(
                actor=request.user, instance=instance, data=data, expected_version=expected
            )
        return self._with_etag(Response(self.get_serializer(instance).data), instance)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self._check_if_match(request, instance)
        with transaction.atomic():
            self.services.delete(actor=request.user, instance=instance)
        return Response(status=status.HTTP_204_NO_CONTENT)
