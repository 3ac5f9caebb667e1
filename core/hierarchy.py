"""The tree guard for every self-referencing hierarchy (account parent, opportunity parent,
stakeholder reports_to): a node may never become its own ancestor, also when two people make
the two halves of a cycle at the same moment.

`guard_tree(instance=..., field="parent", new_parent=...)` is called by a service, inside its
transaction, whenever it sets the parent of a node. It first serialises hierarchy writes of
that model (a transaction-level advisory lock on PostgreSQL; SQLite runs one writer at a time
and takes its write lock here), then walks up from the new parent through what is committed
now. Of two parallel edits `A.parent = B` and `B.parent = A`, the second waits for the first
to commit, then sees the cycle and is refused.
"""

import zlib

from django.core.exceptions import ValidationError
from django.db import connection, models

MAX_DEPTH = 1000
LOOP_MESSAGE = (
    "The parents above this one loop back on themselves: clear one of their parents first."
)


def _lock(model: type[models.Model]) -> None:
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"keyplan-tree:{model._meta.label_lower}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    elif connection.vendor == "sqlite":
        # A write that changes nothing takes SQLite's RESERVED lock for the transaction.
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET id = id WHERE 1 = 0")  # noqa: S608


def guard_tree(
    *,
    instance: models.Model,
    field: str,
    new_parent: models.Model | int | None,
    message: str = "This would make it its own ancestor: choose another parent.",
) -> None:
    """Refuse (ValidationError on `field`) a parent that would close a cycle."""
    if new_parent is None:
        return
    model = type(instance)
    parent_id = new_parent.pk if isinstance(new_parent, models.Model) else new_parent
    if instance.pk is not None and parent_id == instance.pk:
        raise ValidationError({field: message})
    _lock(model)
    if instance.pk is None:
        return  # a new node has no descendants: it cannot close a cycle
    attname = model._meta.get_field(field).attname
    node = parent_id
    seen = {parent_id}
    for _ in range(MAX_DEPTH):
        node = model._base_manager.filter(pk=node).values_list(attname, flat=True).first()
        if node is None:
            return
        if node == instance.pk:
            raise ValidationError({field: message})
        if node in seen:
            # A loop above the new parent, written before this guard existed: say so at
            # once rather than walk it MAX_DEPTH times while holding the tree lock.
            raise ValidationError({field: LOOP_MESSAGE})
        seen.add(node)
    raise ValidationError({field: "The hierarchy is too deep."})
