"""What pages.py and load.py share: the environment a benchmark server runs with, gunicorn
started and stopped on a free port of 127.0.0.1, a small HTTP client that signs in like a
browser, and percentiles.

The server is the production set-up, not runserver: `config.settings` with DEBUG off,
gunicorn with 2 sync workers, static files collected and served by WhiteNoise, the cache
(throttle counts) in Redis. Only what a local http benchmark must change is changed: no
https redirect or secure cookies, and the API throttle and the sign-in lockout are raised
out of reach. Nothing here talks to any address but 127.0.0.1.
"""

from __future__ import annotations

import http.client
import math
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
HOST = "127.0.0.1"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
WORKERS = 2
BOOK_PASSWORD = "keyplan-book"  # core.book.BOOK_PASSWORD, without importing Django here


def bench_env(database_url: str, redis_url: str = DEFAULT_REDIS_URL) -> dict[str, str]:
    """The environment of the server, of manage.py and of the in-process Django."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        # Plain http on 127.0.0.1: no https redirect, no HSTS, cookies sent over http.
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        # Throttling and the sign-in lockout effectively off: we measure the app, not a 429.
        API_THROTTLE_USER="100000000/min",
        API_THROTTLE_ANON="100000000/min",
        AXES_FAILURE_LIMIT="1000000",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str, quiet: bool = False) -> str:
    """Run manage.py with the benchmark environment; its output, or an error with it."""
    done = subprocess.run(
        [sys.executable, MANAGE, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    if not quiet:
        print(done.stdout, end="", flush=True)
    return done.stdout


def generate_book(env: dict[str, str], accounts: int) -> None:
    """Migrate, then fill the database with a generated book of `accounts` accounts, keeping
    the default shape: 100 accounts per AM, 10 AMs per team, 100 revenue rows per account."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(
        env,
        "generate_book",
        f"--accounts={accounts}",
        f"--ams={max(1, accounts // 100)}",
        f"--teams={max(1, accounts // 1000)}",
    )


def api_token(env: dict[str, str], username: str) -> str:
    """The user's DRF token, made (or found) by `manage.py drf_create_token`."""
    out = manage(env, "drf_create_token", username, quiet=True)
    match = re.search(r"Generated token (\w+) for user", out)
    if not match:
        raise SystemExit(f"drf_create_token {username}: unexpected output {out!r}")
    return match.group(1)


def collect_static(env: dict[str, str]) -> None:
    """With DEBUG off, pages name static files by their hashed names from the manifest that
    collectstatic writes (into the git-ignored staticfiles/), and WhiteNoise serves them."""
    manage(env, "collectstatic", "--noinput", "-v0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def masked(url: str) -> str:
    """A database URL without its password, for printing."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int = WORKERS,
    access_log: str | None = None,
    access_format: str | None = None,
    port: int | None = None,
) -> Iterator[int]:
    """Start gunicorn on a free port of 127.0.0.1, wait until /healthz answers, yield the
    port; stop it (and only it) on the way out. Call collect_static first. With
    `access_log`, gunicorn writes a line per request there in `access_format` (gunicorn's
    atoms: `%(D)s` is the time the worker spent on it, in microseconds). `port`: this one
    instead of a free one."""
    port = port or free_port()
    handle, log_path = tempfile.mkstemp(prefix="keyplan-bench-gunicorn-", suffix=".log")
    os.close(handle)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--timeout=30",  # the Dockerfile's (gunicorn's default)
        "--log-level=warning",
        f"--error-logfile={log_path}",
    ]
    if access_log:
        command += [f"--access-logfile={access_log}", f"--access-logformat={access_format}"]
    with open(log_path, "ab") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        _wait_until_up(server, port, log_path)
        print(f"gunicorn: {workers} workers on http://{HOST}:{port} (log {log_path})", flush=True)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server: subprocess.Popen, port: int, log_path: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{_tail(log_path)}")
        try:
            if Client(port, timeout=5).get("/healthz").status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not answer /healthz in 60 s:\n{_tail(log_path)}")
        time.sleep(0.25)


def _tail(path: str, lines: int = 40) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


# --- a small HTTP client ------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    headers: http.client.HTTPMessage
    seconds: float  # from sending the request to the last byte of the body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class LoginFailed(Exception):
    pass


class Client:
    """One user's connection: keeps cookies (session, CSRF) and an API token, sends every
    request to 127.0.0.1:`port`. gunicorn's sync workers close each connection after the
    answer, so this reconnects per request, as a browser does against such a server. Not
    shared between threads."""

    def __init__(self, port: int, *, timeout: float = 60.0, token: str | None = None):
        self.port = port
        self.timeout = timeout
        self.token = token
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        api: bool = False,
    ) -> Response:
        """One request; `api=True` authenticates with the token instead of the session."""
        sent = {"Host": f"{HOST}:{self.port}", "User-Agent": "keyplan-bench"}
        if api:
            sent["Authorization"] = f"Token {self.token}"
            sent["Accept"] = "application/json"
        elif self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        began = time.perf_counter()
        try:
            self._conn.request(method, path, body=body, headers=sent)
            answer = self._conn.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        seconds = time.perf_counter() - began
        if answer.will_close:
            self.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(answer.status, data, answer.headers, seconds)

    def get(self, path: str, *, api: bool = False) -> Response:
        return self.request("GET", path, api=api)

    def post_json(self, path: str, body: bytes, *, headers: dict[str, str] | None = None):
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            api=True,
        )

    def login(self, username: str, password: str = BOOK_PASSWORD) -> None:
        """Sign in through /login/ as a browser does: GET the form (CSRF cookie and token),
        POST it, expect the redirect and a session cookie."""
        form = self.get("/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if form.status != 200 or not match:
            raise LoginFailed(f"GET /login/ answered {form.status} without a CSRF token")
        answer = self.request(
            "POST",
            "/login/",
            body=urlencode(
                {"username": username, "password": password, "csrfmiddlewaretoken": match[1]}
            ).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise LoginFailed(f"POST /login/ as {username} answered {answer.status}")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# --- figures ------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` percentile by linear interpolation between the closest ranks (numpy's
    default); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with the server's environment (the same database),
    for what only the ORM can tell: ids to visit, query counts."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
