"""The base every API resource is built on, so each contract point is written once:

- the queryset is the visibility-scoped selector (others' objects answer 404);
- writes go through the app's services (the browser and the API share every rule);
- GET of one object carries an ETag; PUT/PATCH honour If-Match (412) and `version` (409).
"""

from typing import Any

from django.db import transaction
from rest_framework import status, viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from .exceptions import PreconditionFailed


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [tag.strip() for tag in header.split(",")]
    weak = etag.removeprefix("W/")
    return "*" in candidates or any(c.removeprefix("W/") == weak for c in candidates)


class ServiceModelViewSet(viewsets.ModelViewSet):
    """Subclasses set serializer_class and implement `scoped_queryset` and the
    `service_*` hooks that call their app's services."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def scoped_queryset(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped_queryset()

    # --- service hooks ------------------------------------------------------------
    def service_create(self, data: dict[str, Any]):
        raise MethodNotAllowed("POST")

    def service_update(self, instance, data: dict[str, Any], expected_version: int | None):
        raise MethodNotAllowed(self.request.method)

    def service_destroy(self, instance) -> None:
        raise MethodNotAllowed("DELETE")

    # --- HTTP ---------------------------------------------------------------------
    def _with_etag(self, response: Response, instance) -> Response:
        etag = getattr(instance, "etag", None)
        if etag:
            response["ETag"] = etag
        return response

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
            instance = self.service_create(data)
        body = self.get_serializer(instance).data
        response = Response(body, status=status.HTTP_201_CREATED)
        return self._with_etag(response, instance)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        if_match = request.headers.get("If-Match")
        if if_match and not _etag_matches(if_match, instance.etag):
            raise PreconditionFailed()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        with transaction.atomic():
            instance = self.service_update(instance, data, expected)
        return self._with_etag(Response(self.get_serializer(instance).data), instance)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        if_match = request.headers.get("If-Match")
        if if_match and not _etag_matches(if_match, instance.etag):
            raise PreconditionFailed()
        with transaction.atomic():
            self.service_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)
