"""Idempotency-Key for every POST under /api/: one mechanism for all endpoints.

The first request with a key is processed and its answer stored; a repeat with the same
key and the same body gets the stored answer (header `Idempotent-Replayed: true`) and
writes nothing. The same key with a different body answers 422; a repeat that arrives
while the first is still running answers 409. Keys are per user and kept for
IDEMPOTENCY_KEY_TTL_HOURS.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
# Answers that say nothing final about the request: not stored, so a retry runs again.
NOT_STORED = {401, 403, 409, 412, 429}


def _principal(request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Token "):
        from rest_framework.authtoken.models import Token

        user_id = (
            Token.objects.filter(key=auth.removeprefix("Token ").strip())
            .values_list("user_id", flat=True)
            .first()
        )
        return f"user:{user_id}" if user_id else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


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


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 255:
            return JsonResponse({HEADER: ["At most 255 characters."]}, status=400)
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)  # unauthenticated: the view answers 401

        request_hash = _request_hash(request)
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
            return self._replay(principal, key, request_hash)

        try:
            response = self.get_response(request)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500 or response.status_code in NOT_STORED:
            record.delete()
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.response_body = bytes(response.content)
        record.save(update_fields=["status_code", "content_type", "response_body"])
        return response

    def _replay(self, principal: str, key: str, request_hash: str):
        record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if record is None:  # expired and purged between our insert and this read
            return JsonResponse({"detail": "Retry the request."}, status=409)
        if record.request_hash != request_hash:
            return JsonResponse(
                {
                    "detail": "This Idempotency-Key was already used with a different "
                    "request. Use a new key for a new request."
                },
                status=422,
            )
        if record.status_code is None:
            return JsonResponse(
                {"detail": "A request with this Idempotency-Key is still being processed."},
                status=409,
            )
        from django.http import HttpResponse

        response = HttpResponse(
            bytes(record.response_body or b""),
            status=record.status_code,
            content_type=record.content_type or "application/json",
        )
        response["Idempotent-Replayed"] = "true"
        return response
