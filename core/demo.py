"""The demo-data runner: no domain, only the mechanism every app's demo part runs in.

The demo is made of parts, one function per section:

    def seed_<section>(ctx: DemoContext) -> None: ...

Each app writes its parts in its own `demo.py` (its fixed data tables in `demo_data/*.toml`
beside it, read with `load_demo_data`) and registers them by dotted path in the one explicit
registry, the `KEYPLAN_DEMO_PARTS` list in config/settings.py. `run_demo()` imports exactly
those paths and runs them in that order, all in one transaction; nothing is found by looking
for files, so a part runs because it is listed and only then.

A part must be:
- repeatable: draw randomness from `ctx.rng_for("<section>")` (seeded from DEMO_SEED and the
  section's name, so one section's changes never reshuffle another's) and make dates relative
  to `ctx.today`;
- idempotent: read what exists once, keep it as it is, create only what is missing, and add
  what it created to `ctx.created["<plural noun>"]`;
- written through the apps' services with `ctx.actor` (the ops user) as actor.

Parts share what they made through the context: `ctx.users` (by username), `ctx.teams` (by
name) and `ctx.accounts` (by external id).
"""

from __future__ import annotations

import datetime
import os
import random
import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .fiscal import fiscal_year_of

DEMO_SEED = 2027
DEFAULT_PASSWORD = "keyplan-demo"
DATA_FOLDER = "demo_data"


class DemoConflictError(Exception):
    """The database holds a user or row that the demo would need to be something else."""


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD


@dataclass
class DemoContext:
    today: datetime.date
    password: str
    actor: Any = None  # the ops user, set by the first part; parts write as this user
    users: dict[str, Any] = field(default_factory=dict)  # by username
    teams: dict[str, models.Model] = field(default_factory=dict)  # by name
    accounts: dict[str, models.Model] = field(default_factory=dict)  # by external id
    created: Counter = field(default_factory=Counter)

    @property
    def fiscal_year(self) -> int:
        return fiscal_year_of(self.today)

    def rng_for(self, section: str) -> random.Random:
        """A generator of its own per section, so changing one never reshuffles another."""
        return random.Random(f"{DEMO_SEED}:{section}")

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


DemoPart = Callable[[DemoContext], None]


def demo_parts(parts: Sequence[str | DemoPart] | None = None) -> list[DemoPart]:
    """The parts to run: `parts` if given, else settings.KEYPLAN_DEMO_PARTS, imported now so
    a wrong path fails before anything is written."""
    listed = settings.KEYPLAN_DEMO_PARTS if parts is None else parts
    return [import_string(part) if isinstance(part, str) else part for part in listed]


def run_demo(
    parts: Sequence[str | DemoPart] | None = None,
    *,
    password: str | None = None,
    today: datetime.date | None = None,
) -> DemoContext:
    """Create whatever part of the demo is missing, running the registered parts in order in
    one transaction. Returns the context, whose `created` counts what this run added (all
    zero when the demo was already there)."""
    steps = demo_parts(parts)
    ctx = DemoContext(today=today or timezone.localdate(), password=password or demo_password())
    with transaction.atomic():
        for step in steps:
            step(ctx)
    return ctx


def load_demo_data(package: str, name: str) -> dict[str, Any]:
    """Read `<package>/demo_data/<name>` (TOML). Through importlib.resources, so it works
    from the source tree and from an installed package alike (see package-data in
    pyproject.toml)."""
    with (files(package) / DATA_FOLDER / name).open("rb") as data:
        return tomllib.load(data)
