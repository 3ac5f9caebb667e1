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

# Dependencies first, in their own layer, so a code change does not reinstall them: exactly
# the versions and files in the lock (`make lock` writes it from pyproject.toml), setuptools
# for the build below included.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt

# Then the project itself. /app stays the code that runs (PYTHONPATH), so BASE_DIR is /app
# and templates/, static/ and staticfiles/ are found there.
COPY . .
RUN pip install --no-deps --no-build-isolation . \
    && rm -rf build ./*.egg-info \
    && SECRET_KEY=collectstatic-only-not-a-secret DEBUG=false python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown keyplan /app/media

# Files the app writes (background CSV exports): a volume shared by web and worker.
ENV MEDIA_ROOT=/app/media
USER keyplan
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
