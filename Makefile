# Keyplan — two commands, nothing else to install but Python 3.11+ and make.
#
#   make run    set up .venv, migrate, load the demo data (prints the logins) and serve
#               http://127.0.0.1:8000/ (SQLite and in-process tasks unless DATABASE_URL /
#               REDIS_URL are set in the environment)
#   make test   set up .venv with the test extras, then ruff, Django's system check, the
#               migrations check and pytest (extra pytest options: make test PYTEST_ARGS="-k x")

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -q --disable-pip-version-check
PYTEST_ARGS ?=
TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings_test

.DEFAULT_GOAL := _usage
.PHONY: run test _usage

_usage:
	@echo "make run   - start Keyplan at http://127.0.0.1:8000/ with demo data"
	@echo "make test  - lint, checks and the test suite"

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
	@rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; rc=0; fi; exit $$rc

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	@touch $@ $(VENV)/.installed
