"""Sector, industry, territory and product, third step (see 0005): the free-text columns
go, and the catalogue references take their names."""

import django.db.models.deletion
from django.db import migrations, models

FIELDS = [
    ("account", "industry"),
    ("historicalaccount", "industry"),
    ("account", "sector"),
    ("historicalaccount", "sector"),
    ("account", "territory"),
    ("historicalaccount", "territory"),
    ("productdeployment", "product"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_catalogue_values"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="productdeployment",
            options={"ordering": ["product__order", "product__name"]},
        ),
        *[migrations.RemoveField(model_name=model, name=field) for model, field in FIELDS],
        *[
            migrations.RenameField(model_name=model, old_name=f"{field}_ref", new_name=field)
            for model, field in FIELDS
        ],
        migrations.AlterField(
            model_name="productdeployment",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deployments",
                to="accounts.product",
            ),
        ),
        migrations.AddConstraint(
            model_name="productdeployment",
            constraint=models.UniqueConstraint(
                fields=("account", "product"),
                name="deployment_unique_account_product",
                violation_error_message="This product is already listed for the account.",
            ),
        ),
    ]
