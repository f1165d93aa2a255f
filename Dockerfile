# MicroSink 微碳汇 production image: PostgreSQL + Redis, several uvicorn workers.
# Build:  docker build -t microsink .
# Run:    docker run -p 8000:8000 -e DATABASE_URL=… -e REDIS_URL=… -e SECRET_KEY=… -e DATA_KEY=… microsink
# docs/operations.md lists every variable. tests/test_dockerfile.py keeps this file consistent with the repo.

ARG PYTHON_VERSION=3.11

# ---- builder: the pinned, hashed dependencies in a virtual environment ----
FROM python:${PYTHON_VERSION}-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
# Only hashed pins, only wheels: the image gets exactly what the lock file names.
RUN /opt/venv/bin/pip install --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements.lock

# ---- runtime: slim Python, the venv, the application, a non-root user ----
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    LOG_JSON=true \
    LOAD_DEMO_DATA=false \
    WEB_CONCURRENCY=4 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
# Certificate posters draw Chinese with Noto Sans CJK SC (app/certificates/poster.py); without it they answer 503.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 microsink \
    && useradd --system --uid 10001 --gid microsink --home-dir /app --no-create-home --shell /usr/sbin/nologin microsink
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY app/ /app/app/
COPY models/ /app/models/
COPY migrations/ /app/migrations/
COPY templates/ /app/templates/
COPY static/ /app/static/
COPY campaigns/ /app/campaigns/
RUN mkdir -p /app/data && chown microsink:microsink /app/data
USER microsink
EXPOSE 8000

# No curl in the slim image: ask /healthz with Python's standard library.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Migrations run once, before any worker starts; then uvicorn's workers share PostgreSQL and Redis.
# The metrics directory is emptied first so counters of an earlier container do not leak in.
# `docker run IMAGE python -m app.cli <command>` runs a one-off command instead of the server.
ENTRYPOINT ["/bin/sh", "-c", "if [ \"$#\" -gt 0 ]; then exec \"$@\"; fi; rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && python -m app.cli migrate && exec uvicorn app.main:create_app --factory --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-4} --proxy-headers --no-access-log", "microsink"]
