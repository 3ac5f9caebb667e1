"""Page machinery every app's views share: saving an edit form through a service (with the
stale-save conflict table), the generic "add / edit / delete one object" views (full page, or
an htmx fragment of the card the object lives in), list filters from a FilterSet, query
strings and sortable column headers, CSV exports, and telling an htmx fragment request from
a page load.

Views stay thin: they parse input, call `save_form` (or `object_form_view`) with a closure
over their service and render. Templates: templates/object_form.html,
templates/includes/conflicts.html and templates/includes/sort_header.html.
"""

import copy
import csv
import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.db.models.deletion import ProtectedError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat

from core.exceptions import INTEGRITY_MESSAGE, StaleVersionError
from core.forms import VersionedModelForm, add_service_errors, service_data
from core.templatetags.keyplan_format import money

STALE_MESSAGE = (
    "This record was changed by someone else since you opened it. Your changes are kept "
    "below, merged with theirs (see the table): check the form and save again."
)
GONE_MESSAGE = "This record was deleted by someone else while you were editing it."


class ConflictRow(TypedDict):
    """One field of a stale save, as templates/includes/conflicts.html shows it."""

    label: str
    yours: str
    theirs: str
    kept: str  # "yours" (both changed it) | "theirs" (only the other person did)


# save(data, expected_version): calls the service; expected_version is None on a create.
SaveCallable = Callable[[dict[str, Any], int | None], object]


# --- saving an edit form ------------------------------------------------------------


def _outside_view(model: type[models.Model]) -> str:
    noun = str(model._meta.verbose_name)
    article = "an" if noun[:1].lower() in "aeio" else "a"  # "an account", "a user"
    return f"({article} {noun} outside your view)"


def display_value(value: Any, model_field: models.Field | None, user: AbstractUser) -> str:
    """A field's value as a person reads it in the conflict table.

    A row of an account-scoped model (one whose manager has `visible_to`) that `user` may
    not see is not named: "(an account outside your view)".
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple | models.QuerySet):  # a many-to-many field's rows
        shown = [display_value(item, None, user) for item in value]
        return ", ".join(shown) if shown else "—"
    if isinstance(value, models.Model):
        manager = type(value)._default_manager
        if hasattr(manager, "visible_to") and not manager.visible_to(user).filter(pk=value.pk):
            return _outside_view(type(value))
    if isinstance(value, AbstractUser):
        return value.get_full_name() or value.username
    if model_field is not None and model_field.flatchoices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime.date):
        return dateformat.format(value, "j M Y")
    return str(value)


def conflict_rows(
    form: VersionedModelForm, current: models.Model, user: AbstractUser
) -> list[ConflictRow]:
    """Merge the stale edit onto what is saved now; describe each field that differs."""
    rows: list[ConflictRow] = []
    for row in form.rebase(current):
        model_field = current._meta.get_field(row["name"])
        rows.append(
            {
                "label": form.fields[row["name"]].label or row["name"],
                "yours": display_value(row["yours"], model_field, user),
                "theirs": display_value(row["theirs"], model_field, user),
                "kept": row["kept"],
            }
        )
    return rows


def save_form(
    request: HttpRequest, form: VersionedModelForm, save: SaveCallable
) -> tuple[bool, list[ConflictRow] | None]:
    """Validate `form` and call `save(data, expected_version)`; report errors on the form.

    `data` is `service_data(form)`; `expected_version` is the version the user loaded, or
    None when the form creates a row. Returns (saved, conflicts). On a stale version the
    user's input stays in the form, the form's version moves to the one now saved (so saving
    again is a deliberate choice), and `conflicts` lists what differs between their input and
    what is saved now (empty when the row was deleted meanwhile). A service's ValidationError
    lands on the form's fields; an IntegrityError (a race past the form's checks) on its top.
    """
    if not form.is_valid():
        return False, None
    try:
        save(service_data(form), form.expected_version if form.instance.pk else None)
    except StaleVersionError as exc:
        form.add_error(None, STALE_MESSAGE)
        form.response_status = 409
        model = type(form.instance)
        current = model._default_manager.filter(pk=form.instance.pk).first()
        if current is None or exc.current_version is None:
            form.add_error(None, GONE_MESSAGE)
            return False, []
        return False, conflict_rows(form, current, request.user)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False, None
    except IntegrityError:
        # A row saved at the same moment took the unique key: the database decided.
        form.add_error(None, INTEGRITY_MESSAGE)
        form.response_status = 409
        return False, None
    return True, None


def object_form_page(
    request: HttpRequest,
    *,
    form: VersionedModelForm,
    title: str,
    breadcrumbs: Sequence[tuple[str, str]],
    submit_label: str,
    cancel_url: str,
    conflicts: list[ConflictRow] | None,
    nav: str,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The generic "add or edit one object" page (templates/object_form.html).

    `breadcrumbs` are (label, url) pairs shown above the title, the last one being what the
    object belongs to; `nav` marks the active sidebar entry.
    """
    context = {
        "nav": nav,
        "form": form,
        "title": title,
        "breadcrumbs": breadcrumbs,
        "submit_label": submit_label,
        "cancel_url": cancel_url,
        "conflicts": conflicts,
        **(extra or {}),
    }
    status = getattr(form, "response_status", 200)
    return render(request, "object_form.html", context, status=status)


# --- add / edit / delete one object of a page ----------------------------------------

# fragment(form, notice=..., error=..., status=...) renders the card an object lives in on
# its page, for htmx: with its inline form open (`form`) or closed (None) and the result of
# the action.
Fragment = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Home:
    """Where an object lives: its page (and the anchor of its card there), for the
    breadcrumbs, Cancel and the redirect once saved."""

    url: str
    anchor: str
    breadcrumbs: Sequence[tuple[str, str]]
    nav: str

    @property
    def back_url(self) -> str:
        return f"{self.url}#{self.anchor}"


def _autofocus(form: VersionedModelForm) -> None:
    """Focus (once htmx swaps the form in) the first field with an error, else the first."""
    names = [name for name, field in form.fields.items() if not field.widget.is_hidden]
    invalid = [name for name in names if name in form.errors]
    first = (invalid or names or [None])[0]
    if first is not None:
        form.fields[first].widget.attrs["autofocus"] = True


def object_form_view(
    request: HttpRequest,
    *,
    home: Home,
    instance: models.Model,
    form_class: type[VersionedModelForm],
    save: Callable[[models.Model, dict[str, Any], int | None], object],
    noun: str,
    form_kwargs: Mapping[str, Any] | None = None,
    fragment: Fragment | None = None,
    saved_notice: Callable[[VersionedModelForm], str] | None = None,
) -> HttpResponse:
    """Add (`instance` unsaved) or edit one object; `save(instance, data, version)` calls
    the service, which checks the write permission and does the write.

    The full-page form, then a redirect to `home` once saved. With `fragment`, an htmx
    request gets the card instead, from the same form handling: the inline form (GET), the
    form with its errors (status 422, which the htmx config swaps) or, once saved, the
    refreshed card with `saved_notice(form)`.
    """
    is_new = instance.pk is None
    inline = fragment is not None and is_htmx(request)
    conflicts = None
    kwargs = dict(form_kwargs or {})
    if request.method == "POST":
        # The form validates on its own copy: the service compares against the stored row.
        form = form_class(request.POST, instance=copy.copy(instance), **kwargs)
        saved, conflicts = save_form(
            request, form, lambda data, version: save(copy.copy(instance), data, version)
        )
        if saved and inline:
            return fragment(None, notice=saved_notice(form) if saved_notice else "")
        if saved:
            messages.success(request, f"{noun.capitalize()} {'added' if is_new else 'saved'}.")
            return redirect(home.back_url)
    else:
        form = form_class(instance=instance, **kwargs)
    if inline:
        _autofocus(form)
        return fragment(form, status=422 if form.is_bound else 200)
    return object_form_page(
        request,
        form=form,
        title=f"Add {noun}" if is_new else f"Edit {noun}",
        breadcrumbs=home.breadcrumbs,
        submit_label=f"Add {noun}" if is_new else "Save",
        cancel_url=home.back_url,
        conflicts=conflicts,
        nav=home.nav,
    )


def object_delete_view(
    request: HttpRequest,
    *,
    home: Home,
    delete: Callable[[], None],
    noun: str,
    fragment: Fragment | None = None,
    deleted_notice: str = "",
) -> HttpResponse:
    """Delete one object through `delete()` (its service), then back to its page (htmx: to
    its card). Something still referring to it is reported, not a 500."""
    inline = fragment is not None and is_htmx(request)
    try:
        delete()
    except ProtectedError:
        error = f"This {noun} is referred to by other records, so it cannot be deleted."
        if inline:
            return fragment(None, error=error)
        messages.error(request, error)
    else:
        if inline:
            return fragment(None, notice=deleted_notice or f"{noun.capitalize()} deleted.")
        messages.success(request, f"{noun.capitalize()} deleted.")
    return redirect(home.back_url)


# --- lists: filters, query strings and sortable headers ------------------------------


def page_filter(request: HttpRequest, filterset_class, queryset, defaults: Mapping[str, Any]):
    """The list's FilterSet (the same class the API list uses) over `queryset`, from the
    query string, with the page's `defaults` for what is absent.

    A page never answers 400 to a stale bookmark or a hand-edited link: a parameter that
    does not validate is dropped (and named in `filterset.ignored`), the rest still apply.
    Returns (filterset, params): `params` is every default key with its cleaned value, for
    `querystring` and `sort_headers`.
    """
    return filter_query(filterset_class, request.GET, queryset, defaults, request=request)


def filter_query(filterset_class, query, queryset, defaults: Mapping[str, Any], request=None):
    """`page_filter` for a query string kept elsewhere (a background export's parameters)."""
    data = query.copy()
    for key, value in defaults.items():
        if key not in data and value not in ("", None, False):
            data[key] = value
    filterset = filterset_class(data, queryset=queryset, request=request)
    ignored: list[str] = []
    if not filterset.is_valid():
        ignored = sorted(filterset.errors)
        for key in ignored:
            data.pop(key, None)
            if defaults.get(key) not in ("", None, False):
                data[key] = defaults[key]
        filterset = filterset_class(data, queryset=queryset, request=request)
        filterset.is_valid()
    filterset.ignored = ignored
    params: dict[str, Any] = {}
    for key, default in defaults.items():
        raw = data.get(key, "")
        if isinstance(default, bool):
            params[key] = raw in ("1", "true", "True", "on", "yes")
        else:
            params[key] = raw.strip() if isinstance(raw, str) else raw
    return filterset, params


def querystring(params: Mapping[str, Any], defaults: Mapping[str, Any], /, **overrides: Any) -> str:
    """A list's parameters as a query string, in the order of `defaults`.

    A parameter equal to its default, or empty, is left out so URLs stay short; True is
    spelled "1". Keys not in `defaults` (the page number, say) are never included.
    """
    merged = {**params, **overrides}
    pairs = []
    for key, default in defaults.items():
        value = merged.get(key, default)
        if value == default or value is None or value == "" or value is False:
            continue
        pairs.append((key, "1" if value is True else value))
    return urlencode(pairs)


def sort_headers(
    params: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    columns: Iterable[str],
    descending_first: Iterable[str] = (),
    key: str = "sort",
) -> dict[str, dict[str, str]]:
    """Per column: the link that sorts by it (toggling direction) and its aria-sort.

    `params[key]` is the current sort, a column name with "-" in front when descending.
    Columns in `descending_first` (numbers and dates, which read best largest / newest first)
    start descending. Rendered by templates/includes/sort_header.html.
    """
    current = params[key]
    descending_first = set(descending_first)
    headers = {}
    for column in columns:
        if current == column:
            target, state = f"-{column}", "ascending"
        elif current == f"-{column}":
            target, state = column, "descending"
        else:
            target = f"-{column}" if column in descending_first else column
            state = ""
        headers[column] = {
            "href": "?" + querystring(params, defaults, **{key: target}),
            "state": state,
        }
    return headers


# --- htmx ---------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    """Whether the request wants a fragment (a partial template) rather than the page.

    htmx marks its requests with HX-Request; a boosted link or form (HX-Boosted) and a history
    restore (HX-History-Restore-Request) expect the whole page, so they get it. Views that
    answer both ways are decorated with `vary_on_headers("HX-Request")`, so a browser cache
    never serves the fragment for the page's URL.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )


def htmx_location(request: HttpRequest, response: HttpResponse, url: str) -> HttpResponse:
    """Have htmx show `url` in the address bar after the swap.

    A new history entry (HX-Push-Url), unless the browser is already there (HX-Current-URL):
    then the entry is replaced, so repeating a request does not add a step to Back.
    """
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    target = urlsplit(url)
    same = (current.path, current.query) == (target.path, target.query)
    response["HX-Replace-Url" if same else "HX-Push-Url"] = url
    return response


# --- CSV exports --------------------------------------------------------------------


def csv_safe(value: Any) -> Any:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming csv)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_safe(value) for value in row])


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A CSV download, streamed as the rows are read: `header`, then every row with each
    cell made `csv_safe`. Pass `rows` as a lazy iterable (a queryset's values_list().iterator())
    so a large export never sits in memory."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(
    request: HttpRequest,
    *,
    count: int,
    kind: str,
    title: str,
    filename: str,
    header: Sequence[str],
    rows: Callable[[], Iterable[Iterable[Any]]],
    params: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Stream a CSV of `count` rows, or, above settings.EXPORT_ASYNC_ROWS, start a background
    job (core.jobs `kind`, rebuilt from the query string and `params`, what else the rows
    depend on, such as the fiscal year picked) and send the user to its progress page, where
    the file is downloaded once written."""
    if count <= settings.EXPORT_ASYNC_ROWS:
        return csv_response(filename=filename, header=header, rows=rows())
    from .jobs import start_job

    job = start_job(
        actor=request.user,
        kind=kind,
        title=title,
        params={**(params or {}), "query": request.GET.urlencode()},
    )
    return redirect("job", pk=job.pk)
