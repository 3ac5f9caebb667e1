"""Cached reads that stay right: a value is cached under a key that carries a generation
number per kind of data, and a write to that kind bumps the generation, so every cached read
built on it is missed from then on (and expires by itself later). The cache is Redis when
REDIS_URL is set (shared by every web process), else the process's memory.

    options = cached(("accounts", "people"), f"account-options:{user.pk}", compute)
    ...
    invalidate("accounts")   # in the services that change accounts
"""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
TIMEOUT = 600  # seconds; a missed bump can serve stale data at most this long


def _generation(kind: str) -> int:
    key = f"kp:gen:{kind}"
    value = cache.get(key)
    if value is None:
        cache.add(key, 1, timeout=None)
        value = cache.get(key, 1)
    return value


def invalidate(kind: str) -> None:
    """Every cached read built on `kind` is stale once the current transaction commits (not
    before: a read made meanwhile would cache the old rows under the new generation)."""
    transaction.on_commit(lambda: _bump(kind))


def _bump(kind: str) -> None:
    key = f"kp:gen:{kind}"
    try:
        cache.incr(key)
    except ValueError:  # not there yet (or evicted)
        cache.set(key, 2, timeout=None)


def cached(kinds: Iterable[str], name: str, compute: Callable[[], T]) -> T:
    stamp = ".".join(f"{kind}{_generation(kind)}" for kind in kinds)
    key = f"kp:{name}:{stamp}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
