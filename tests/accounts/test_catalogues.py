"""Sector, industry, territory and product are catalogues that ops manage: the API and the
forms pick from them, the filters offer them, and the migration moved the free text there."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts import services
from accounts.access import CATALOGUE_RULE
from accounts.catalogues import ensure_entries, resolve
from accounts.models import Account, Industry, Product, ProductDeployment, Sector, Territory
from core.exceptions import PermissionDeniedError
from tests.factories import AccountFactory, ProductDeploymentFactory, catalogue_entry

pytestmark = pytest.mark.django_db


def allowed_sectors() -> str:
    return ", ".join(Sector.objects.active().values_list("name", flat=True))


# --- the API of accounts and deployments ---------------------------------------------


def test_the_api_takes_a_name_or_slug_in_any_case_and_answers_the_name(api_as, am, catalogues):
    body = {"name": "Catalogue Ltd", "ltp": "2000000", "segment": "mature"}
    for sent in ("Public", "public", "PUBLIC", " public "):
        response = api_as(am).post("/api/v1/accounts/", {**body, "sector": sent}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["sector"] == "Public"
    response = api_as(am).post(
        "/api/v1/accounts/",
        {**body, "industry": "oil-and-gas", "territory": "Lagos Corporate East"},
        format="json",
    )
    data = response.json()
    assert (data["industry"], data["territory"], data["sector"]) == (
        "Oil and Gas",
        "Lagos Corporate East",
        "",  # none: an empty string, as the free-text field answered
    )


def test_a_value_outside_the_catalogue_is_a_400_naming_the_allowed_values(api_as, am, catalogues):
    body = {"name": "Bad Ltd", "ltp": "2000000", "sector": "<img src=x onerror=alert(1)>"}
    response = api_as(am).post("/api/v1/accounts/", body, format="json")
    assert response.status_code == 400
    assert response.json()["sector"] == [
        f"Unknown sector. Allowed values (name or slug): {allowed_sectors()}."
    ]
    assert "Commercial" in allowed_sectors()
    assert not Account.objects.filter(name="Bad Ltd").exists()


def test_a_deployment_names_a_catalogue_product(api_as, am, account):
    client = api_as(am)
    response = client.post(
        "/api/v1/deployments/",
        {"account": account.pk, "product": "power-bi-pro", "licensed_seats": 10},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["product"] == "Power BI Pro"
    unknown = client.post(
        "/api/v1/deployments/", {"account": account.pk, "product": "Lotus Notes"}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["product"][0].startswith("Unknown product. Allowed values")
    assert "Power BI Pro" in unknown.json()["product"][0]
    assert list(account.deployments.values_list("product__name", flat=True)) == ["Power BI Pro"]


def test_a_deactivated_value_is_refused_for_new_rows_and_kept_on_rows_that_have_it(
    api_as, am, ops, account
):
    banking = Industry.objects.get(name="Banking")
    assert account.industry == banking
    services.catalogue_update(actor=ops, instance=banking, data={"is_active": False})
    client = api_as(am)
    new = {"name": "New Ltd", "ltp": "2000000", "industry": "Banking"}
    assert client.post("/api/v1/accounts/", new, format="json").status_code == 400
    body = client.get(f"/api/v1/accounts/{account.pk}/").json()
    assert body["industry"] == "Banking"
    put = client.put(f"/api/v1/accounts/{account.pk}/", {**body, "name": "Kept"}, format="json")
    assert put.status_code == 200, put.json()
    account.refresh_from_db()
    assert (account.name, account.industry_id) == ("Kept", banking.pk)


def test_list_filters_take_a_slug_or_a_name(api_as, am, catalogues):
    public = AccountFactory(owner=am, sector="Public")
    AccountFactory(owner=am, sector="Commercial")
    for value in ("public", "Public", "PUBLIC"):
        response = api_as(am).get("/api/v1/accounts/", {"sector": value})
        assert [row["id"] for row in response.json()["results"]] == [public.pk]
    assert api_as(am).get("/api/v1/accounts/", {"sector": "nothing"}).json()["results"] == []


def test_reading_deployments_and_accounts_costs_no_query_per_row(
    api_as, am, catalogues, django_assert_num_queries
):
    for n in range(6):
        account = AccountFactory(owner=am, sector="Public", industry="Banking")
        ProductDeploymentFactory(account=account, product=f"Product {n}")
    client = api_as(am)
    client.get("/api/v1/accounts/")  # warm the token and the throttle
    with django_assert_num_queries(2):  # count, rows (the catalogues joined in)
        assert len(client.get("/api/v1/accounts/").json()["results"]) == 6
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/deployments/").json()["results"]) == 6


# --- the catalogue API and services ---------------------------------------------------


def test_everyone_reads_the_catalogues_and_only_ops_change_them(api_as, am, manager, ops):
    catalogue_entry(Territory, "Abuja Public Sector")
    for user in (am, manager, ops):
        listed = api_as(user).get("/api/v1/catalogues/territories/").json()["results"]
        names = [row["name"] for row in listed]
        assert "Abuja Public Sector" in names
    for user in (am, manager):
        response = api_as(user).post(
            "/api/v1/catalogues/territories/", {"name": "Kano"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["detail"] == CATALOGUE_RULE
    assert not Territory.objects.filter(name="Kano").exists()

    created = api_as(ops).post("/api/v1/catalogues/territories/", {"name": "Kano  North"})
    assert created.status_code == 201
    assert (created.json()["name"], created.json()["slug"]) == ("Kano North", "kano-north")
    entry = Territory.objects.get(slug="kano-north")
    patch = api_as(ops).patch(
        f"/api/v1/catalogues/territories/{entry.pk}/", {"is_active": False}, format="json"
    )
    assert patch.status_code == 200 and patch.json()["is_active"] is False
    refused = api_as(am).patch(
        f"/api/v1/catalogues/territories/{entry.pk}/", {"name": "X"}, format="json"
    )
    assert refused.status_code == 403
    entry.refresh_from_db()
    assert (entry.name, entry.is_active) == ("Kano North", False)


def test_a_name_is_unique_whatever_its_case(api_as, ops, catalogues):
    response = api_as(ops).post("/api/v1/catalogues/sectors/", {"name": "commercial"})
    assert response.status_code == 400
    assert Sector.objects.filter(name__iexact="commercial").count() == 1
    bad_slug = api_as(ops).post("/api/v1/catalogues/sectors/", {"name": "NGO", "slug": "n g o"})
    assert bad_slug.status_code == 400 and "slug" in bad_slug.json()


def test_services_refuse_everyone_but_ops(am, manager):
    for actor in (am, manager):
        with pytest.raises(PermissionDeniedError):
            services.catalogue_create(actor=actor, model=Product, name="Teams Phone")
    assert not Product.objects.filter(name="Teams Phone").exists()


def test_resolve_and_ensure_entries():
    ids = ensure_entries(Sector, ["Non-profit", "non-profit ", "Commercial"])
    assert set(ids) >= {"non-profit", "commercial"}
    assert Sector.objects.filter(name__iexact="non-profit").count() == 1
    entry = Sector.objects.get(name="Non-profit")
    assert resolve(Sector, "NON-PROFIT") == entry
    assert resolve(Sector, "non-profit") == entry
    assert resolve(Sector, "  ") is None
    entry.is_active = False
    entry.save()
    assert resolve(Sector, "Non-profit") is None
    assert resolve(Sector, "Non-profit", current=entry) == entry


# --- pages ------------------------------------------------------------------------------


def test_filter_options_come_from_the_catalogue_and_are_escaped(client, am, catalogues):
    catalogue_entry(Industry, "<img src=x onerror=alert(1)>")
    client.force_login(am)
    html = client.get(reverse("accounts:list")).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<option value="oil-and-gas"' in html


def test_the_account_form_offers_active_values_and_the_current_one(client, am, ops, account):
    banking = Industry.objects.get(name="Banking")
    services.catalogue_update(actor=ops, instance=banking, data={"is_active": False})
    client.force_login(am)
    html = client.get(reverse("accounts:edit", args=[account.pk])).content.decode()
    assert f'<option value="{banking.pk}" selected>Banking</option>' in html
    new = client.get(reverse("accounts:create")).content.decode()
    assert ">Banking</option>" not in new and ">Telecoms</option>" in new


def test_the_deployment_form_picks_a_product(client, am, account):
    client.force_login(am)
    url = reverse("accounts:deployment_create", args=[account.pk])
    product = Product.objects.get(name="Power BI Pro")
    response = client.post(url, {"product": product.pk, "licensed_seats": 5, "active_seats": 1})
    assert response.status_code == 302
    unknown = client.post(url, {"product": "Lotus Notes", "licensed_seats": 5})
    assert unknown.status_code == 200
    assert "product" in unknown.context["form"].errors
    assert list(ProductDeployment.objects.values_list("product__name", flat=True)) == [
        "Power BI Pro"
    ]


# --- the data migration -----------------------------------------------------------------

BEFORE = [("accounts", "0004_sync_indexes")]
AFTER = [("accounts", "0007_catalogue_columns")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_free_text_into_the_catalogues_and_back():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    user_model = apps.get_model("teams", "User")
    account_model = apps.get_model("accounts", "Account")
    deployment_model = apps.get_model("accounts", "ProductDeployment")
    owner = user_model.objects.create(username="legacy", role="am")
    rows = [
        ("One", "Banking", "Commercial", "Lagos Island"),
        ("Two", " banking", "commercial", "Lagos Island"),
        ("Three", "", "NGO", ""),
    ]
    for name, industry, sector, territory in rows:
        account = account_model.objects.create(
            name=name, ltp=1, owner=owner, industry=industry, sector=sector, territory=territory
        )
        deployment_model.objects.create(account=account, product="Lotus Notes")
        deployment_model.objects.create(account=account, product="Power BI Pro")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    account_model = apps.get_model("accounts", "Account")
    sector_model = apps.get_model("accounts", "Sector")
    found = {
        a.name: (
            a.industry and a.industry.name,
            a.sector and a.sector.name,
            a.territory and a.territory.name,
        )
        for a in account_model.objects.all()
    }
    assert found == {
        "One": ("Banking", "Commercial", "Lagos Island"),
        "Two": ("Banking", "Commercial", "Lagos Island"),
        "Three": (None, "NGO", None),
    }
    # The seed's values are there, in the seed's order, before the values found.
    assert list(sector_model.objects.order_by("order", "pk").values_list("name", flat=True)) == [
        "Commercial",
        "Public",
        "Academic",
        "NGO",
    ]
    product_model = apps.get_model("accounts", "Product")
    assert product_model.objects.get(name="Lotus Notes").slug == "lotus-notes"
    deployment_model = apps.get_model("accounts", "ProductDeployment")
    assert deployment_model.objects.filter(product__name="Power BI Pro").count() == 3

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # and back: the names return to the text columns
    apps = executor.loader.project_state(BEFORE).apps
    account_model = apps.get_model("accounts", "Account")
    assert sorted(account_model.objects.values_list("name", "sector")) == [
        ("One", "Commercial"),
        ("Three", "NGO"),
        ("Two", "Commercial"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
