"""Sector, industry, territory and product, second step (see 0005): fill the catalogues with
the seed's values and every distinct value typed so far, and point each row at its value."""

from django.db import migrations
from django.utils.text import slugify

# The demo seed's values (accounts/demo_data, teams/demo_data), frozen here as of this
# migration: later edits to the seed files don't change what this migration inserted.
SEED = {
    "sector": ["Commercial", "Public", "Academic"],
    "industry": [
        "Banking",
        "FMCG",
        "Higher Education",
        "Insurance",
        "Logistics",
        "Manufacturing",
        "Oil and Gas",
        "Public Sector",
        "Telecoms",
    ],
    "territory": ["Lagos Corporate West", "Lagos Corporate East"],
    "product": [
        "Microsoft 365 E3",
        "Microsoft 365 E5",
        "Microsoft 365 F3",
        "Dynamics 365 Sales",
        "Dynamics 365 Finance",
        "Azure Virtual Desktop",
        "SQL Server Enterprise",
        "Windows Server Datacenter",
        "Power BI Pro",
        "Enterprise Mobility + Security E3",
        "Microsoft Defender for Endpoint",
        "Visual Studio Enterprise",
    ],
}
# kind -> (catalogue model, [(model, field) holding the kind's text]).
USES = {
    "sector": ("Sector", [("Account", "sector"), ("HistoricalAccount", "sector")]),
    "industry": ("Industry", [("Account", "industry"), ("HistoricalAccount", "industry")]),
    "territory": ("Territory", [("Account", "territory"), ("HistoricalAccount", "territory")]),
    "product": ("Product", [("ProductDeployment", "product")]),
}
NAME_LENGTH = 120


def _key(value: str) -> str:
    return " ".join(value.split()).lower()


def _slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:100] or "value"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def to_catalogues(apps, schema_editor):
    for kind, (catalogue_name, uses) in USES.items():
        catalogue = apps.get_model("accounts", catalogue_name)
        names = {}  # key -> the first spelling met
        for order, name in enumerate(SEED[kind]):
            names.setdefault(_key(name), (name, order))
        raw_values = {}
        for model_name, field in uses:
            model = apps.get_model("accounts", model_name)
            values = model.objects.values_list(field, flat=True).distinct()
            for raw in values:
                if raw and raw.strip():
                    name = " ".join(raw.split())[:NAME_LENGTH]
                    names.setdefault(_key(name), (name, len(SEED[kind]) + 1))
                    raw_values.setdefault((model_name, field), set()).add(raw)
        taken: set[str] = set()
        ids = {}
        for key, (name, order) in names.items():
            entry = catalogue.objects.create(name=name, slug=_slug(name, taken), order=order)
            ids[key] = entry.pk
        for (model_name, field), raws in raw_values.items():
            model = apps.get_model("accounts", model_name)
            for raw in raws:
                entry_id = ids[_key(" ".join(raw.split())[:NAME_LENGTH])]
                model.objects.filter(**{field: raw}).update(**{f"{field}_ref_id": entry_id})


def to_text(apps, schema_editor):
    for catalogue_name, uses in USES.values():
        catalogue = apps.get_model("accounts", catalogue_name)
        for entry in catalogue.objects.all():
            for model_name, field in uses:
                model = apps.get_model("accounts", model_name)
                model.objects.filter(**{f"{field}_ref_id": entry.pk}).update(**{field: entry.name})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_catalogues"),
    ]

    operations = [migrations.RunPython(to_catalogues, to_text)]
