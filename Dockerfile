# The backend image: the Chalice app served by `chalice local`, plus the tools the migrate step
# and the scripts use. chalice is a development dependency, hence requirements-dev.txt.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt requirements-dev.txt ./
RUN pip install -r requirements-dev.txt

COPY . .
# Without DATABASE_URL the app falls back to SQLite under .data/, which must be writable.
RUN useradd --system --uid 10001 --home-dir /app store && mkdir -p .data && chown store .data
USER store

EXPOSE 8000
CMD ["chalice", "local", "--host", "0.0.0.0", "--port", "8000", "--no-autoreload", "--stage", "local"]
