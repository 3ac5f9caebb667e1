"""Sector, industry, territory and product become catalogues that sales operations manage.

This migration creates the four lookup tables; 0006 fills them with the demo seed's values and
every distinct value already typed into accounts (and their history) and deployments
(spellings that differ only in case or surrounding spaces become one value) and points each
row at its value in a new column (0006); 0007 drops the free-text columns and takes their
names. Three migrations, three transactions: PostgreSQL refuses to ALTER a table (or create
the new columns' indexes, which Django does at the end of a migration) in the transaction
that has just updated its foreign keys ("pending trigger events"). Set-based: one UPDATE per
distinct value, on SQLite and PostgreSQL alike. Reversible: going back copies the names into
the text columns again.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


def _ref(to, *, history=False, required=False, help_text=""):
    if history:
        return models.ForeignKey(
            blank=True,
            db_constraint=False,
            help_text=help_text,
            null=True,
            on_delete=django.db.models.deletion.DO_NOTHING,
            related_name="+",
            to=to,
        )
    return models.ForeignKey(
        blank=not required,
        help_text=help_text,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="deployments" if to == "accounts.product" else "accounts",
        to=to,
    )


FIELDS = [
    # (model, field, catalogue, help_text, history)
    ("account", "industry", "accounts.industry", "e.g. Banking, Telecoms", False),
    ("historicalaccount", "industry", "accounts.industry", "e.g. Banking, Telecoms", True),
    ("account", "sector", "accounts.sector", "e.g. Commercial, Public, Academic", False),
    ("historicalaccount", "sector", "accounts.sector", "e.g. Commercial, Public, Academic", True),
    ("account", "territory", "accounts.territory", "", False),
    ("historicalaccount", "territory", "accounts.territory", "", True),
    ("productdeployment", "product", "accounts.product", "", False),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_sync_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="Industry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(db_index=False, max_length=120)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Lists show lower numbers first, then by name."
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "industries",
                "ordering": ["order", "name"],
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="accounts_industry_unique_name",
                        violation_error_message="A value with this name exists.",
                    ),
                    models.UniqueConstraint(
                        fields=("slug",),
                        name="accounts_industry_unique_slug",
                        violation_error_message="A value with this slug exists.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Product",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(db_index=False, max_length=120)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Lists show lower numbers first, then by name."
                    ),
                ),
            ],
            options={
                "ordering": ["order", "name"],
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="accounts_product_unique_name",
                        violation_error_message="A value with this name exists.",
                    ),
                    models.UniqueConstraint(
                        fields=("slug",),
                        name="accounts_product_unique_slug",
                        violation_error_message="A value with this slug exists.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Sector",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(db_index=False, max_length=120)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Lists show lower numbers first, then by name."
                    ),
                ),
            ],
            options={
                "ordering": ["order", "name"],
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="accounts_sector_unique_name",
                        violation_error_message="A value with this name exists.",
                    ),
                    models.UniqueConstraint(
                        fields=("slug",),
                        name="accounts_sector_unique_slug",
                        violation_error_message="A value with this slug exists.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Territory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(db_index=False, max_length=120)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Lists show lower numbers first, then by name."
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "territories",
                "ordering": ["order", "name"],
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="accounts_territory_unique_name",
                        violation_error_message="A value with this name exists.",
                    ),
                    models.UniqueConstraint(
                        fields=("slug",),
                        name="accounts_territory_unique_slug",
                        violation_error_message="A value with this slug exists.",
                    ),
                ],
            },
        ),
        *[
            migrations.AddField(
                model_name=model,
                name=f"{field}_ref",
                field=_ref(to, history=history, required=field == "product", help_text=text),
            )
            for model, field, to, text, history in FIELDS
        ],
        # The free-text product becomes optional for the moment: going back re-adds it.
        migrations.AlterField(
            model_name="productdeployment",
            name="product",
            field=models.CharField(max_length=120, blank=True, default=""),
        ),
        migrations.RemoveConstraint(
            model_name="productdeployment", name="deployment_unique_account_product"
        ),
    ]
