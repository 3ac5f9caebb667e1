from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from core import views as core_views
from core.api.docs import SchemaView, SwaggerView
from metrics import views as metrics_views

urlpatterns = [
    path("", metrics_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("opportunities/", include("opportunities.urls")),
    path("relationships/", include("relationships.urls")),
    path("people/", include("teams.urls")),
    # The catalogues accounts pick from live in the people area (ops' tools).
    path("people/catalogues/<str:kind>/", account_views.catalogue_list, name="catalogue"),
    path(
        "people/catalogues/<str:kind>/new/",
        account_views.catalogue_create,
        name="catalogue_create",
    ),
    path(
        "people/catalogues/<str:kind>/<int:pk>/edit/",
        account_views.catalogue_edit,
        name="catalogue_edit",
    ),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("fiscal-year/", core_views.set_fiscal_year, name="set_fiscal_year"),
    path("search/", core_views.search, name="search"),
    path("healthz", core_views.healthz, name="healthz"),
    path("jobs/<int:pk>/", core_views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", core_views.job_download, name="job_download"),
    path("favicon.ico", core_views.favicon),
    path("admin/", admin.site.urls),
    path("relationships/survey/", include("relationships.survey_urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # Swagger UI (anonymous browsers go to the sign-in page, see core.api.docs): its init
    # script is a separate file (no inline script); the UI itself sets inline styles, allowed
    # on this page only.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

# Errors raised outside the API views still answer JSON under /api/ (core.api.handlers).
handler400 = "core.api.handlers.bad_request"
handler403 = "core.api.handlers.permission_denied"
handler404 = "core.api.handlers.page_not_found"
handler500 = "core.api.handlers.server_error"
