"""The RM survey page (/relationships/survey/?fy=): the CPE survey recipients of a fiscal
year across the accounts the user sees, with warnings, the RM score per account and its
change from last year; the recipient list as CSV; score entry per recipient and the import
of scores from a CSV, both through relationships.services. Works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.context_processors import selected_fiscal_year
from core.exceptions import INTEGRITY_MESSAGE
from core.fiscal import fiscal_year_label, selectable_fiscal_years
from core.pages import csv_response

from . import services, survey
from .models import Stakeholder

PAGE_SIZE = 25


def _fiscal_year(request: HttpRequest, source) -> tuple[int, bool]:
    """The year asked for (`fy`), else the top bar's; (year, whether `fy` was ignored)."""
    raw = (source.get("fy") or "").strip()
    years = selectable_fiscal_years()
    if raw.isdigit() and int(raw) in years:
        return int(raw), False
    return selected_fiscal_year(request), bool(raw)


def _page_url(fy: int, page: str | None = None) -> str:
    url = f"{reverse('rm_survey:page')}?fy={fy}"
    return f"{url}&page={page}" if page and page.isdigit() else url


def _render(request: HttpRequest, fy: int, *, ignored: bool = False, import_errors=(), status=200):
    accounts = survey.survey_accounts(user=request.user, fiscal_year=fy)
    page_obj = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    people: dict[int, list[Stakeholder]] = {}
    for person in survey.survey_recipients(accounts=[a.pk for a in rows], fiscal_year=fy):
        people.setdefault(person.account_id, []).append(person)
    for account in rows:
        account.recipient_list = people.get(account.pk, [])
        account.rm_change = survey.rm_change(account.rm_score, account.rm_score_prior)
    return render(
        request,
        "relationships/survey.html",
        {
            "nav": "relationships",
            "fy": fy,
            "fy_label": fiscal_year_label(fy),
            "prior_label": fiscal_year_label(fy - 1),
            "years": selectable_fiscal_years(),
            "ignored": ignored,
            "rows": rows,
            "page_obj": page_obj,
            "summary": survey.survey_summary(user=request.user, fiscal_year=fy),
            "weak_strength": survey.WEAK_STRENGTH,
            "scores": range(1, 6),
            "import_errors": list(import_errors),
            "export_url": f"{reverse('rm_survey:export')}?fy={fy}",
            "querystring_without_page": f"fy={fy}",
        },
        status=status,
    )


@login_required
@require_GET
def survey_page(request: HttpRequest) -> HttpResponse:
    fy, ignored = _fiscal_year(request, request.GET)
    return _render(request, fy, ignored=ignored)


@login_required
@require_GET
def survey_export(request: HttpRequest) -> HttpResponse:
    fy, _ = _fiscal_year(request, request.GET)
    return csv_response(
        filename=f"keyplan-rm-survey-recipients-FY{fy}.csv",
        header=survey.EXPORT_COLUMNS,
        rows=survey.export_rows(user=request.user, fiscal_year=fy),
    )


@login_required
@require_POST
def survey_score(request: HttpRequest, pk: int) -> HttpResponse:
    """One recipient's score for the year (a small form per recipient)."""
    person = get_object_or_404(Stakeholder.objects.visible_to(request.user), pk=pk)
    fy, _ = _fiscal_year(request, request.POST)
    back = _page_url(fy, request.POST.get("page")) + f"#recipient-{person.pk}"
    raw = (request.POST.get("score") or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        messages.error(request, f"{person.name}: choose a score from 1 to 5.")
        return redirect(back)
    try:
        # PermissionDeniedError propagates: a forged POST gets the 403 page naming the rule.
        services.survey_set_score(
            actor=request.user, stakeholder=person, fiscal_year=fy, score=int(raw)
        )
    except ValidationError as exc:
        messages.error(request, f"{person.name}: {' '.join(exc.messages)}")
    except IntegrityError:
        messages.error(request, f"{person.name}: {INTEGRITY_MESSAGE}")
    else:
        messages.success(
            request, f"{person.name}: RM score {raw} saved for {fiscal_year_label(fy)}."
        )
    return redirect(back)


@login_required
@require_POST
def survey_import(request: HttpRequest) -> HttpResponse:
    """Scores from a CSV upload, all or nothing: any bad row saves nothing and the page
    lists every row's problem."""
    fy, _ = _fiscal_year(request, request.POST)
    upload = request.FILES.get("file")
    if upload is None:
        return _render(request, fy, import_errors=["Choose a CSV file to import."], status=400)
    parsed = survey.parse_scores(user=request.user, data=upload.read(survey.MAX_IMPORT_BYTES + 1))
    errors = parsed.errors
    if not errors:
        try:
            services.survey_import(actor=request.user, fiscal_year=fy, rows=parsed.rows)
        except ValidationError as exc:
            errors = exc.messages
        except IntegrityError:
            errors = [INTEGRITY_MESSAGE]
    if errors:
        return _render(request, fy, import_errors=errors, status=400)
    count = len(parsed.rows)
    messages.success(
        request,
        f"Imported {count} RM score{'s' if count != 1 else ''} for {fiscal_year_label(fy)}.",
    )
    return redirect(_page_url(fy))
