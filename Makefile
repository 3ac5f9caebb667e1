# Keyplan — two commands, nothing else to install but Python 3.11+ and make.
#
#   make run    set up .venv, migrate, load the demo data (prints the logins) and serve
#               http://127.0.0.1:8000/ (SQLite and in-process tasks unless DATABASE_URL /
#               REDIS_URL are set in the environment)
#   make test   set up .venv with the test extras, then ruff, Django's system check, the
#               migrations check and pytest with coverage (extra pytest options:
#               make test PYTEST_ARGS="-k x")
#   make lock   write requirements*.txt again from pyproject.toml, after editing its
#               dependencies (LOCK_ARGS=--upgrade moves every pin to the newest release)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -q --disable-pip-version-check
PYTEST_ARGS ?=
TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings_test

# The locks, written by `make lock` from pyproject.toml and never edited by hand:
# requirements.txt is the app (make run, the Dockerfile), requirements-test.txt the app with
# its test tools (make test, CI), pinned to the same versions. They hash every file of each
# pinned release and carry markers, not one machine's answers, so the same lock installs on
# Linux x86_64 and aarch64 (and macOS) under any Python 3.11+, from PyPI or any index or
# find-links that serves PyPI's own files (pip takes the file whose hash is in the lock).
LOCK := requirements.txt
LOCK_TEST := requirements-test.txt
LOCKFILE := $(PY) scripts/lockfile.py
# The project goes in last, as code only: its dependencies are the lock's business. Its build
# backend (setuptools) is in the lock too, hence no build isolation.
INSTALL_PROJECT := $(PIP) install --no-deps --no-build-isolation -e .

# Locking: uv resolves for every platform and Python from 3.11 on (--universal) against PyPI
# (uv does not read pip's configuration, so a machine's local indexes don't leak into the
# lock). A pin already in a lock is kept unless pyproject.toml no longer allows it, so
# `make lock` after adding a dependency changes only what that needs.
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
LOCK_ARGS ?=
UV_COMPILE := $(UV) pip compile pyproject.toml - --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)

# Coverage over the project packages ([tool.coverage] in pyproject.toml). The floor,
# fail_under, is for the whole suite: a run narrowed with PYTEST_ARGS prints the report and
# is not held to it.
COV_ARGS := --cov --cov-report=term-missing:skip-covered \
	$(if $(strip $(PYTEST_ARGS)),--cov-fail-under=0)

.DEFAULT_GOAL := _usage
.PHONY: run test lock screenshots _usage

_usage:
	@echo "make run   - start Keyplan at http://127.0.0.1:8000/ with demo data"
	@echo "make test  - lint, checks and the test suite with coverage"
	@echo "make lock  - rewrite requirements*.txt from pyproject.toml (LOCK_ARGS=--upgrade: newest pins)"

run: $(VENV)/.installed
	@export DEBUG="$${DEBUG:-true}" && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo --if-empty && \
	echo "" && echo "Keyplan is running at http://127.0.0.1:8000/" && echo "" && \
	exec $(PY) manage.py runserver 127.0.0.1:8000

test: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	@# pytest exits 5 when it collected no test: say so plainly rather than fail the build.
	@rc=0; $(PY) -m pytest $(COV_ARGS) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; rc=0; fi; exit $$rc

# docs/screenshots/*.png of the main pages at 1280 and 390 px, from the demo data on a
# throwaway SQLite database (scripts/screenshots.py; needs Chromium at /usr/bin/chromium).
screenshots: $(VENV)/.installed-test
	$(PY) scripts/screenshots.py

lock: $(VENV)/.uv-$(UV_VERSION)
	$(LOCKFILE) build-requires | $(UV_COMPILE) -o $(LOCK)
	$(LOCKFILE) build-requires | $(UV_COMPILE) --extra test -c $(LOCK) -o $(LOCK_TEST)
	$(LOCKFILE) stamp $(LOCK)
	$(LOCKFILE) stamp $(LOCK_TEST) test
	@echo "Locked. Commit pyproject.toml with $(LOCK) and $(LOCK_TEST)."

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when a lock changes (or pyproject.toml, which also says how the project itself is
# installed). Each first checks that its lock still matches pyproject.toml's dependencies.
$(VENV)/.installed: $(LOCK) pyproject.toml | $(PY)
	$(LOCKFILE) check $(LOCK)
	$(PIP) install --require-hashes -r $(LOCK)
	$(INSTALL_PROJECT)
	@touch $@

$(VENV)/.installed-test: $(LOCK_TEST) pyproject.toml | $(PY)
	$(LOCKFILE) check $(LOCK_TEST) test
	$(PIP) install --require-hashes -r $(LOCK_TEST)
	$(INSTALL_PROJECT)
	@touch $@ $(VENV)/.installed

$(VENV)/.uv-$(UV_VERSION): | $(PY)
	$(PIP) install uv==$(UV_VERSION)
	@touch $@
