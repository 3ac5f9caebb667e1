"""The OpenAPI schema and Swagger UI, for signed-in users only (SERVE_PERMISSIONS).

The schema answers errors (401 to anonymous clients) in JSON like every other endpoint,
not in the YAML the schema itself is served in. Swagger UI is for whoever the API
authenticates (session or token); an anonymous browser is sent to the sign-in page.
"""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.renderers import JSONRenderer


class SchemaView(SpectacularAPIView):
    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "core/api_docs.html"  # Swagger UI with a bar leading back to the app

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
