"""Reference pickers: choose one row of a large set (an account, a person, later a
stakeholder or a partner) by typing, never from a <select> of every row.

    parent = ReferenceField(
        queryset=lambda: Account.objects.visible_to(user),   # what may be picked (scoped!)
        search=["name", "external_id"],
        display=account_label,
        url=reverse("accounts:pick_account"),
        required=False,
    )

The widget is a text box plus a hidden id. With JavaScript, typing asks `url` (a view made by
`picker_view` over the same queryset) for matches, htmx shows them, and a click (or Enter)
puts the id in the hidden input (static/js/keyplan.js, data-picker). Without JavaScript the
text is resolved on submit: an exact name or external id among the rows that may be picked,
or a clear error saying why not. Both ways the server checks the id against the queryset, so
a forged id outside it is "not found", never saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

SUGGESTIONS = 12  # matches shown while typing


def search_q(fields: Sequence[str], text: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return condition


class ReferencePicker(forms.Widget):
    template_name = "core/widgets/reference_picker.html"

    def __init__(self, *, url: str = "", display: Callable[[Any], str] = str, attrs=None):
        super().__init__(attrs)
        self.url = url
        self.display = display
        self.queryset: Callable[[], QuerySet] | None = None

    def value_from_datadict(self, data, files, name):
        return {"id": data.get(name, ""), "text": data.get(f"{name}_search")}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_search" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        pk = value.get("id") if isinstance(value, dict) else value
        text = value.get("text") if isinstance(value, dict) else None
        if isinstance(pk, models.Model):
            pk = pk.pk
        if text is None:
            text = ""
            if pk not in (None, "") and self.queryset is not None:
                row = self.queryset().filter(pk=pk).first()
                text = self.display(row) if row is not None else ""
        context["widget"].update(
            {
                "pk": "" if pk is None else pk,
                "text": text,
                "url": self.url,
                "search_name": f"{name}_search",
            }
        )
        return context


class ReferenceField(forms.Field):
    """One row of `queryset()`, chosen with a ReferencePicker."""

    default_error_messages = {
        "none": "Nothing you may choose matches “%(text)s”.",
        "many": "%(count)s match “%(text)s”: type the full name or the external id.",
        "invalid": "Choose from the suggestions, or type a name exactly.",
    }

    def __init__(
        self,
        *,
        queryset: Callable[[], QuerySet],
        search: Sequence[str],
        display: Callable[[Any], str],
        url: str,
        exact: Sequence[str] = (),
        exact_q: Callable[[str], Q] | None = None,
        **kwargs,
    ):
        kwargs.setdefault("widget", ReferencePicker(url=url, display=display))
        super().__init__(**kwargs)
        self.queryset = queryset
        self.search = list(search)
        self.exact = list(exact or search)
        self.exact_q = exact_q
        self.display = display
        self.widget.queryset = queryset
        self.widget.display = display
        self.widget.url = url

    def prepare_value(self, value):
        return value.pk if isinstance(value, models.Model) else value

    def to_python(self, value):
        if isinstance(value, models.Model) or value in (None, ""):
            return value or None
        pk = str(value.get("id") or "").strip()
        text = (value.get("text") or "").strip()
        rows = self.queryset()
        if pk:
            if not pk.isdigit():
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            row = rows.filter(pk=int(pk)).first()
            if row is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            # The text still names the chosen row (or was left out): that row.
            if value.get("text") is None or text == self.display(row):
                return row
        if not text:
            return None
        exact = Q()
        for name in self.exact:
            exact |= Q(**{f"{name}__iexact": text})
        if self.exact_q is not None:
            exact |= self.exact_q(text)
        matches = list(rows.filter(exact)[:5])
        if not matches:
            raise ValidationError(self.error_messages["none"], code="none", params={"text": text})
        if len(matches) > 1:
            raise ValidationError(
                self.error_messages["many"],
                code="many",
                params={"text": text, "count": len(matches) if len(matches) < 5 else "Several"},
            )
        return matches[0]


def picker_view(
    request: HttpRequest,
    *,
    queryset: QuerySet,
    search: Sequence[str],
    display: Callable[[Any], str],
    detail: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """The suggestions for a picker's text: up to SUGGESTIONS rows of `queryset` (already
    scoped to what the user may pick) whose `search` fields contain it."""
    text = next((v for k, v in request.GET.items() if k.endswith("_search")), "")
    text = (text or request.GET.get("q", "")).strip()
    rows = []
    if text:
        found = queryset.filter(search_q(search, text))[:SUGGESTIONS]
        rows = [
            {"pk": row.pk, "label": display(row), "detail": detail(row) if detail else ""}
            for row in found
        ]
    return render(request, "core/partials/picker_options.html", {"rows": rows, "text": text})


def person_exact_q(text: str) -> Q:
    """A person typed as their username, or as a label "Ada Okafor (ada)"."""
    username = text[text.rfind("(") + 1 : -1] if text.endswith(")") and "(" in text else text
    return Q(username__iexact=username.strip())
