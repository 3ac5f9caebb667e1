"""Seed the default stages of domain.md (slug, probability, forecast category)."""

from django.db import migrations

DEFAULT_STAGES = [
    # slug, name, probability, is_closed, is_won, forecast category
    ("prospect", "Prospect", 10, False, False, "pipeline"),
    ("qualify", "Qualify", 20, False, False, "pipeline"),
    ("develop", "Develop", 40, False, False, "best_case"),
    ("propose", "Propose", 60, False, False, "best_case"),
    ("negotiate", "Negotiate", 80, False, False, "commit"),
    ("closed_won", "Closed won", 100, True, True, "closed"),
    ("closed_lost", "Closed lost", 0, True, False, "omitted"),
]


def seed(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    for order, (slug, name, probability, is_closed, is_won, category) in enumerate(
        DEFAULT_STAGES, start=1
    ):
        Stage.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "order": order * 10,
                "probability": probability,
                "is_closed": is_closed,
                "is_won": is_won,
                "forecast_category": category,
            },
        )


def unseed(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    Stage.objects.filter(slug__in=[s[0] for s in DEFAULT_STAGES], opportunities=None).delete()


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
