# syntax=docker/dockerfile:1
# StuckFunds API image. The same image runs the schema migration (`stuckfunds migrate`) and the
# service; docker-compose.yml wires both to PostgreSQL.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
# durable-rules publishes no wheel for this Python: its C rule engine is compiled here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /app
# Dependencies first, read from pyproject.toml alone, so a code change does not rebuild them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt
COPY . .
# Editable on purpose: the service finds alembic.ini, migrations/ and rules/ beside the app/
# package (app.settings.PROJECT_ROOT), so the source tree stays in /app, not in site-packages.
RUN pip install --no-deps -e .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    STUCKFUNDS_DATABASE_URL=sqlite:////data/stuckfunds.db \
    STUCKFUNDS_EVIDENCE_DIR=/data/evidence \
    STUCKFUNDS_SECRET_KEY_FILE=/data/stuckfunds.key
# The dossier PDF is rendered by WeasyPrint: Pango, HarfBuzz's subsetter and CJK fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
# Unprivileged user; /data (its home) holds the evidence files, the key file and, when no
# PostgreSQL URL is given, the SQLite file. docker-compose.yml mounts a named volume there,
# which Docker fills from this directory, owner included.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /data \
      --shell /usr/sbin/nologin stuckfunds \
 && install -d -o stuckfunds -g stuckfunds -m 0700 /data/evidence
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER stuckfunds
EXPOSE 8000
CMD ["stuckfunds", "serve", "--host", "0.0.0.0", "--port", "8000"]
