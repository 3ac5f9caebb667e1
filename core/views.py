from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from .context_processors import FISCAL_YEAR_SESSION_KEY
from .fiscal import selectable_fiscal_years


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: the database must answer; Redis is reported when set."""
    body = {"status": "ok", "database": "ok"}
    code = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        body.update(status="error", database=f"error: {exc.__class__.__name__}")
        code = 503
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            body["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            body.update(status="error", redis=f"error: {exc.__class__.__name__}")
            code = 503
    else:
        body["redis"] = "not configured (tasks run in-process)"
    return JsonResponse(body, status=code)


def _safe_local_path(request, target: str) -> str:
    """`target` when it is a path on this site ("/accounts/?q=x"), else "/". Never a URL
    name (redirect("logout") would resolve one) and never another host ("//evil.example")."""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return "/"


@login_required
@require_GET
def set_fiscal_year(request):
    """The top bar's fiscal-year switcher: remember the choice in the session."""
    try:
        fy = int(request.GET.get("fy", ""))
    except ValueError:
        fy = None
    # The whole range, next year included: the pages that plan ahead offer it; the others
    # read it as the current year (context_processors.selected_fiscal_year).
    if fy in selectable_fiscal_years(include_next=True):
        request.session[FISCAL_YEAR_SESSION_KEY] = fy
    return HttpResponseRedirect(_safe_local_path(request, request.GET.get("next", "")))


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a sign-in while the user name is locked out (AXES_LOCKOUT_CALLABLE):
    a page in our layout saying when to try again, 429 with Retry-After."""
    cooloff = settings.AXES_COOLOFF_TIME
    response = render(
        request,
        "registration/locked_out.html",
        {
            "cooloff_minutes": max(1, round(cooloff.total_seconds() / 60)),
            "retry_at": timezone.localtime() + cooloff,
        },
        status=429,
    )
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


def favicon(request):
    """Browsers ask for /favicon.ico on pages without an icon link (the admin)."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    return redirect(staticfiles_storage.url("img/favicon.svg"), permanent=True)


def _own_job(request, pk: int):
    from .models import Job

    return get_object_or_404(Job, pk=pk, owner=request.user)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def job_detail(request, pk: int):
    """A background job's progress; htmx polls its card until the job has finished. Other
    people's jobs answer 404."""
    from .pages import is_htmx

    job = _own_job(request, pk)
    template = "core/partials/job_card.html" if is_htmx(request) else "core/job.html"
    return render(request, template, {"job": job, "nav": ""})


@login_required
@require_GET
def job_download(request, pk: int):
    from .models import Job

    job = _own_job(request, pk)
    if job.status != Job.Status.DONE or not job.file:
        raise Http404("This file is not ready.")
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def search(request):
    """The global search (core.search): grouped results across every registered provider.
    A page without JavaScript; for htmx (the top bar as you type) just the grouped list."""
    from .pages import is_htmx
    from .search import LIVE_LIMIT, PAGE_LIMIT, clean_query, global_search

    q = clean_query(request.GET.get("q"))
    live = is_htmx(request)
    if live and not q:
        return HttpResponse("")  # an emptied box closes the live results
    groups = global_search(user=request.user, q=q, limit=LIVE_LIMIT if live else PAGE_LIMIT)
    context = {"q": q, "groups": groups, "live": live, "nav": "search"}
    if live:
        return render(request, "core/partials/search_results.html", context)
    return render(request, "core/search.html", context)
