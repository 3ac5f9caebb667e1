"""Request guards that apply to every URL, before any view or database sees the request."""

from django.http import JsonResponse
from django.shortcuts import render

NUL_MESSAGE = "The query string contains a NUL character (%00), which no parameter accepts."


class RejectNulQueryMiddleware:
    """A NUL in a query parameter (key or value) answers 400: JSON under /api/, else a page.

    PostgreSQL refuses NUL in text, so `?q=%00` reaching a filter was a 500 on lists,
    exports and the admin's autocomplete. Refused here once instead of in every filter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return render(request, "400.html", {"detail": NUL_MESSAGE}, status=400)
        return self.get_response(request)
