"""The controlled vocabularies: sector, industry and territory (accounts) and product
(deployments). Sales operations manage them (accounts.services.catalogue_*); forms, filters
and the API pick from them.

The API and filters name a value by its name or its slug, either case-insensitively
(`resolve`); the API answers the name. Loaders (demo data, the generated book) turn names
into ids with `ensure_entries`: one read and at most one insert per catalogue, never a query
per row.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.text import slugify

from .models import CatalogueEntry, Industry, Product, Sector, Territory


@dataclass(frozen=True)
class Kind:
    slug: str  # in URLs: /people/catalogues/<slug>/, /api/v1/catalogues/<slug>/
    model: type[CatalogueEntry]
    title: str  # "Sectors"
    noun: str  # "sector"
    used_by: str  # what picks from it, for the page's help text


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind("sectors", Sector, "Sectors", "sector", "accounts"),
        Kind("industries", Industry, "Industries", "industry", "accounts"),
        Kind("territories", Territory, "Territories", "territory", "accounts"),
        Kind("products", Product, "Products", "product", "product deployments"),
    )
}


def kind_of(model: type[CatalogueEntry]) -> Kind:
    return next(kind for kind in KINDS.values() if kind.model is model)


def normalise(name: str) -> str:
    """One spelling per value: inner runs of spaces folded, ends trimmed."""
    return " ".join(str(name).split())


def slug_for(name: str, taken: set[str]) -> str:
    base = slugify(name)[:100] or "value"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def allowed_values(model: type[CatalogueEntry]) -> list[str]:
    return list(model.objects.active().values_list("name", flat=True))


def resolve(
    model: type[CatalogueEntry], value: str, *, current: CatalogueEntry | None = None
) -> CatalogueEntry | None:
    """The active entry whose slug or name is `value` (case-insensitive), or the row's
    `current` entry named again (kept even when since deactivated); None when none is."""
    text = normalise(value)
    if not text:
        return None
    if current is not None and text.lower() in (current.name.lower(), current.slug):
        return current
    return (
        model.objects.active()
        .filter(Q(slug=text.lower()) | Q(name__iexact=text))
        .order_by("pk")
        .first()
    )


def ensure_entries(model: type[CatalogueEntry], names: Iterable[str]) -> dict[str, int]:
    """The ids of the entries named `names` (lower-cased normalised name -> id), creating the
    missing ones, for loaders: one read and one bulk insert however many rows they load."""
    wanted: dict[str, str] = {}
    for name in names:
        if normalise(name):
            wanted.setdefault(normalise(name).lower(), normalise(name))  # the first spelling
    existing = {name.lower(): pk for pk, name in model.objects.values_list("pk", "name")}
    missing = [name for key, name in wanted.items() if key not in existing]
    if missing:
        taken = set(model.objects.values_list("slug", flat=True))
        start = len(existing)
        rows = []
        for offset, name in enumerate(missing):
            slug = slug_for(name, taken)
            taken.add(slug)
            rows.append(model(name=name, slug=slug, order=start + offset))
        model.objects.bulk_create(rows, ignore_conflicts=True)
        existing = {name.lower(): pk for pk, name in model.objects.values_list("pk", "name")}
    return existing


def entry_id(ids: dict[str, int], name: str) -> int | None:
    """`name`'s id in a map from `ensure_entries`; None for an empty name."""
    key = normalise(name).lower()
    return ids[key] if key else None
