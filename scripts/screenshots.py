#!/usr/bin/env python
"""Screenshots of Keyplan's pages at 1280 px and 390 px, written to docs/screenshots/.

    .venv/bin/python scripts/screenshots.py            (or: make screenshots)
    .venv/bin/python scripts/screenshots.py --only accounts --out /tmp/shots

It starts the app (manage.py runserver, DEBUG on) on a throwaway SQLite database in a
temporary folder, loads the demo data as of a fixed day (so the pictures only change when
the pages do), signs in as each page's user and saves one PNG per page and width:
docs/screenshots/<name>-1280.png (the first screen, 1280x800, what fits without scrolling)
and <name>-390.png (the whole page on a 390 px phone). Needs Playwright for Python (the
test extras) and Chromium at /usr/bin/chromium (or --chromium PATH).

To add a page, add a row to PAGES: (name, url, username). A url may name demo objects that
only exist once the data is loaded, as {placeholders} filled by `placeholders()`.
"""

import argparse
import datetime
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_DAY = datetime.date(2026, 11, 30)
PASSWORD = "keyplan-demo"

# (name, url, username): one PNG per width for each. Keep the list easy to extend.
PAGES = [
    ("accounts", "/accounts/", "am"),
    ("accounts-ops", "/accounts/", "ops"),
    ("account", "/accounts/{am_account}/", "am"),
    ("renewals", "/accounts/renewals/", "am"),
    # People and quotas in the product (teams.views), the catalogues ops manage, and the
    # account form's money input, date and capacity warning (an AM over capacity).
    ("people", "/people/", "ops"),
    ("people-manager", "/people/", "manager"),
    ("teams", "/people/teams/", "manager"),
    ("quotas", "/people/quotas/", "manager"),
    ("catalogues", "/people/catalogues/products/", "ops"),
    ("account-new-over-capacity", "/accounts/new/", "chioma.okeke"),
    ("agreement-new", "/accounts/{am_account}/agreements/new/", "am"),
    # The pipeline (issue 8): the table, the board and one deal, as the team's manager.
    ("pipeline", "/opportunities/", "manager"),
    ("pipeline-board", "/opportunities/board/", "manager"),
    ("opportunity", "/opportunities/{am_opportunity}/", "am"),
    # Relationships (issue 9): an account's map and the RM survey page.
    ("relationship-map", "/relationships/accounts/{am_account}/map/", "am"),
    ("rm-survey", "/relationships/survey/", "manager"),
]

# (suffix, viewport, full_page)
WIDTHS = [
    ("1280", {"width": 1280, "height": 800}, False),
    ("390", {"width": 390, "height": 844}, True),
]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs
    )


def seed(env: dict) -> None:
    """Migrate and load the demo data as of DEMO_DAY."""
    manage(env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
    code = (
        "import datetime; from core.demo import run_demo; "
        f"run_demo(today=datetime.date.fromisoformat('{DEMO_DAY.isoformat()}'))"
    )
    manage(env, "shell", "-c", code, stdout=subprocess.DEVNULL)


def placeholders(env: dict) -> dict[str, str]:
    """Values for the {placeholders} in PAGES' urls, read from the demo data."""
    code = (
        "from django.db.models import Count; from accounts.models import Account; "
        "a = Account.objects.filter(owner__username='am').annotate(n=Count('agreements'))"
        ".order_by('-n', 'name').first(); print(a.pk); "
        "from opportunities.models import Opportunity; "
        "o = Opportunity.objects.filter(owner__username='am', is_deleted=False)"
        ".annotate(n=Count('changes')).order_by('-n', 'name').first(); print(o.pk)"
    )
    out = manage(env, "shell", "-c", code, capture_output=True, text=True).stdout
    account, opportunity = out.strip().splitlines()[-2:]
    return {"am_account": account, "am_opportunity": opportunity}


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def shoot(base: str, pages, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for suffix, viewport, full_page in WIDTHS:
            contexts = {}
            for name, url, user in pages:
                if user not in contexts:
                    context = browser.new_context(viewport=viewport, locale="en-GB")
                    page = context.new_page()
                    page.goto(f"{base}/login/")
                    page.get_by_label("Username").fill(user)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_url(f"{base}/")
                    contexts[user] = (context, page)
                _, page = contexts[user]
                page.goto(base + url)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(600)  # charts finish their entry animation
                path = out / f"{name}-{suffix}.png"
                page.screenshot(path=str(path), full_page=full_page)
                written.append(path)
            for context, _ in contexts.values():
                context.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", action="append", help="a page name from PAGES (repeatable)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    args = parser.parse_args()

    pages = [row for row in PAGES if not args.only or row[0] in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="keyplan-shots-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "DEBUG": "true",
            "DEMO_PASSWORD": PASSWORD,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        env.pop("REDIS_URL", None)
        seed(env)
        values = placeholders(env)
        pages = [(name, url.format(**values), user) for name, url, user in pages]
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/healthz")
            written = shoot(base, pages, args.out, args.chromium)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
