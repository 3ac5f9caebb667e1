# Keyplan production image: gunicorn serving config.wsgi on :8000, static files collected at
# build time and served by WhiteNoise. The same image runs the Celery worker and beat.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

RUN groupadd --system keyplan \
    && useradd --system --gid keyplan --home-dir /app --no-create-home --shell /usr/sbin/nologin keyplan

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself. /app stays the code that runs (PYTHONPATH), so BASE_DIR is /app
# and templates/, static/ and staticfiles/ are found there.
COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && SECRET_KEY=collectstatic-only-not-a-secret DEBUG=false python manage.py collectstatic --noinput

USER keyplan
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
