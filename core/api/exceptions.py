"""One exception handler: domain errors become clear 400/403/409 answers, never a 500."""

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import INTEGRITY_MESSAGE, PermissionDeniedError, StaleVersionError

logger = logging.getLogger(__name__)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "If-Match does not match the current ETag: the object changed. Reload it."
    default_code = "precondition_failed"


def validation_error_body(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if key == NON_FIELD_ERRORS else key): messages
            for key, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleVersionError):
        return Response(
            {"detail": str(exc), "version": [str(exc)], "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, PermissionDeniedError):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ProtectedError):
        names = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        return Response(
            {"detail": f"Still referenced by {', '.join(names)}; remove those first."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        # A row written at the same moment took the unique key (the service's own check
        # passed before it committed): the database decided the race.
        logger.info("Unique-key clash answered 409: %s", exc)
        return Response({"detail": INTEGRITY_MESSAGE}, status=status.HTTP_409_CONFLICT)
    response = drf_exception_handler(exc, context)
    if (
        isinstance(exc, ValidationError)
        and response is not None
        and isinstance(response.data, list)
    ):
        # A bare ValidationError("...") renders as a list; api.md promises an object.
        response.data = {"non_field_errors": response.data}
    return response
