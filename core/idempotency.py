"""Idempotency-Key for every POST under /api/: one mechanism for all endpoints.

The first request with a key is processed and its answer stored (status, body and the
contract headers in REPLAYED_HEADERS); a repeat with the same key and the same body gets
the stored answer (header `Idempotent-Replayed: true`) and writes nothing. The same key
with a different body answers 422. Keys are per user (authenticated exactly as DRF does)
and kept for IDEMPOTENCY_KEY_TTL_HOURS.

A request in flight holds its key on a lease (IDEMPOTENCY_LEASE_SECONDS): a repeat while
the lease runs answers 409; a repeat after it ran out (the worker was killed mid-request)
takes the key over and runs. The lease is also the owner's fencing token: a request that
lost its key to a takeover neither stores its answer nor deletes the key.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from .models import IdempotencyRecord, idempotency_lease_deadline

HEADER = "Idempotency-Key"
# Answers that say nothing final about the request: not stored, so a retry runs again.
NOT_STORED = {401, 403, 409, 412, 429}
# The headers of the first answer that are part of the contract, replayed with it.
REPLAYED_HEADERS = ("Content-Type", "ETag", "Location", "Retry-After")


def _principal(request) -> str | None:
    """The user as DRF's configured authentication classes see this request, or None when
    it is anonymous or its credentials fail (then the view answers 401/403 itself).

    DRF stores the user it finds on the Django request too; the user the earlier
    middleware set is put back, so the request goes on exactly as it came in.
    """
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request
    from rest_framework.settings import api_settings

    missing = object()
    django_user = request.__dict__.get("user", missing)
    drf_request = Request(
        request, authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    )
    try:
        user = drf_request.user
    except APIException:
        user = None
    finally:
        if django_user is missing:
            request.__dict__.pop("user", None)
        else:
            request.user = django_user
    if user is None or not user.is_authenticated:
        return None
    return f"user:{user.pk}"


def _request_hash(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.get_full_path().encode())
    digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def purge_expired() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _owned(record: IdempotencyRecord):
    """The record while this request still holds its lease (not taken over, not answered)."""
    return IdempotencyRecord.objects.filter(
        pk=record.pk, status_code__isnull=True, leased_until=record.leased_until
    )


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 255:
            return JsonResponse({HEADER: ["At most 255 characters."]}, status=400)
        # Read the body before authenticating: DRF's authentication may read request.POST
        # (the CSRF check), after which the raw body can no longer be read.
        request_hash = _request_hash(request)
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)  # the view answers 401/403

        cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
        IdempotencyRecord.objects.filter(
            principal=principal, key=key, created_at__lt=cutoff
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    principal=principal, key=key, request_hash=request_hash
                )
        except IntegrityError:
            record, answer = self._existing(principal, key, request_hash)
            if answer is not None:
                return answer
        return self._process(request, record)

    def _process(self, request, record: IdempotencyRecord):
        try:
            response = self.get_response(request)
        except Exception:
            _owned(record).delete()
            raise
        if (
            response.status_code >= 500
            or response.status_code in NOT_STORED
            or getattr(response, "streaming", False)
        ):
            _owned(record).delete()
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        _owned(record).update(
            status_code=response.status_code,
            response_headers={
                name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
            },
            response_body=bytes(response.content),
        )
        return response

    def _existing(self, principal: str, key: str, request_hash: str):
        """(record taken over, None) when the key's lease ran out, else (None, answer)."""
        record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if record is None:  # expired and purged between our insert and this read
            return None, JsonResponse({"detail": "Retry the request."}, status=409)
        if record.request_hash != request_hash:
            return None, JsonResponse(
                {
                    "detail": "This Idempotency-Key was already used with a different "
                    "request. Use a new key for a new request."
                },
                status=422,
            )
        if record.status_code is not None:
            return None, self._replay(record)
        lease = idempotency_lease_deadline()
        taken_over = IdempotencyRecord.objects.filter(
            pk=record.pk, status_code__isnull=True, leased_until__lt=timezone.now()
        ).update(leased_until=lease)
        if taken_over:
            record.leased_until = lease
            return record, None
        return None, JsonResponse(
            {"detail": "A request with this Idempotency-Key is still being processed."},
            status=409,
        )

    def _replay(self, record: IdempotencyRecord) -> HttpResponse:
        headers = dict(record.response_headers or {})
        response = HttpResponse(
            bytes(record.response_body or b""),
            status=record.status_code,
            content_type=headers.pop("Content-Type", "application/json"),
        )
        for name, value in headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response
