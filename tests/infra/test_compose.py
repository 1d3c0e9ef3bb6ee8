"""docker-compose.yml and the image files, checked as data (there is no Docker engine here):
the wiring between services has to agree with itself, with nginx and with the chalice stages."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from chalicelib.web import SECURITY_HEADERS
from infra import deploy

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
NGINX = (ROOT / "infra" / "docker" / "nginx.conf").read_text()


def nginx_locations() -> dict[str, str]:
    """location argument -> block body; nginx.conf keeps one block per location, closed by a `}` line."""
    blocks: dict[str, str] = {}
    current: str | None = None
    for line in NGINX.splitlines():
        stripped = line.strip()
        if current is None and stripped.startswith("location ") and stripped.endswith("{"):
            current = stripped.removeprefix("location ").removesuffix("{").strip()
            blocks[current] = ""
        elif current is not None and stripped == "}":
            current = None
        elif current is not None:
            blocks[current] += stripped + "\n"
    return blocks


def depends(service: str) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in SERVICES[service]["depends_on"].items()}


def test_default_stack_and_the_localstack_profile():
    default = {name for name, spec in SERVICES.items() if not spec.get("profiles")}
    assert default == {"postgres", "redis", "migrate", "backend", "storefront"}
    assert SERVICES["localstack"]["profiles"] == ["localstack"]


def test_every_interpolation_has_a_default_so_no_account_is_needed():
    # ${VAR:?message} would stop `docker compose up` even for services outside the chosen profile.
    references = re.findall(r"\$\{([^}]*)\}", COMPOSE_TEXT)
    assert references
    assert [ref for ref in references if ":-" not in ref] == []
    assert SERVICES["localstack"]["environment"]["LOCALSTACK_AUTH_TOKEN"] == "${LOCALSTACK_AUTH_TOKEN:-}"


@pytest.mark.parametrize(
    ("service", "image", "probe", "mount"),
    [("postgres", "postgres:16", "pg_isready", "/var/lib/postgresql/data"), ("redis", "redis:7", "redis-cli", "/data")],
)
def test_data_services_have_healthchecks_and_named_volumes(service, image, probe, mount):
    spec = SERVICES[service]
    assert spec["image"] == image
    assert probe in spec["healthcheck"]["test"]
    volumes = {v.split(":")[1]: v.split(":")[0] for v in spec["volumes"]}
    assert volumes[mount] in COMPOSE["volumes"]


def test_migrate_runs_once_after_postgres_is_healthy():
    spec = SERVICES["migrate"]
    assert spec["command"][-1] == "python -m chalicelib.cli migrate && python scripts/seed_items.py"
    assert depends("migrate") == {"postgres": "service_healthy"}
    assert spec.get("restart", "no") == "no"


def test_backend_waits_for_migrations_and_redis():
    assert depends("backend") == {"migrate": "service_completed_successfully", "redis": "service_healthy"}
    assert depends("storefront") == {"backend": "service_healthy"}


def test_backend_database_url_matches_the_postgres_service():
    url = urlparse(SERVICES["backend"]["environment"]["DATABASE_URL"])
    postgres = SERVICES["postgres"]["environment"]
    assert url.scheme == "postgresql+pg8000"
    assert (url.username, url.password, url.path.lstrip("/")) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert SERVICES["backend"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert SERVICES["migrate"]["environment"]["DATABASE_URL"] == SERVICES["backend"]["environment"]["DATABASE_URL"]


def test_secrets_are_passed_through_never_written_down():
    environment = SERVICES["backend"]["environment"]
    for name in ("XSOLLA_WEBHOOK_SECRET", "SESSION_SECRET", "XSOLLA_API_KEY"):
        assert name in environment and environment[name] is None


def test_backend_port_command_and_healthcheck_agree():
    spec = SERVICES["backend"]
    command = spec["command"]
    assert command[:2] == ["chalice", "local"] and "--no-autoreload" in command
    port = command[command.index("--port") + 1]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--stage") + 1] == "local"
    assert any(p.endswith(f":{port}") for p in spec["ports"])
    assert f"http://127.0.0.1:{port}/api/health" in spec["healthcheck"]["test"][-1]
    assert f"proxy_pass http://backend:{port};" in NGINX


def test_storefront_is_published_on_8080():
    assert SERVICES["storefront"]["ports"] == ["127.0.0.1:${STOREFRONT_PORT:-8080}:8080"]
    assert "listen 8080;" in NGINX


def test_files_the_compose_file_names_exist():
    assert (ROOT / "Dockerfile").is_file()
    assert (ROOT / SERVICES["storefront"]["build"]["dockerfile"]).is_file()
    for volume in SERVICES["postgres"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists()


def test_backend_image_installs_the_dev_requirements_for_chalice():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert [line for line in dockerfile.splitlines() if line.startswith("FROM")] == ["FROM python:3.11-slim"]
    assert "pip install -r requirements-dev.txt" in dockerfile
    assert "chalice==" in (ROOT / "requirements-dev.txt").read_text()


def _ignored(path: str, patterns: list[str]) -> bool:
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for candidate in candidates:
            if fnmatch.fnmatch(candidate, pattern) or (
                pattern != bare and fnmatch.fnmatch(candidate.split("/")[-1], bare)
            ):
                return True
    return False


def test_dockerignore_keeps_what_the_images_need_and_drops_the_rest():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = [
        "app.py",
        "chalicelib/config.py",
        "scripts/seed_items.py",
        "migrations/env.py",
        "requirements.txt",
        "requirements-dev.txt",
        ".chalice/config.json",
        "frontend/package.json",
        "frontend/package-lock.json",
        "frontend/src/main.ts",
        "infra/docker/nginx.conf",
    ]
    dropped = [
        ".env",
        ".venv/bin/python",
        "frontend/node_modules/vue/index.js",
        "node_modules/x.js",
        "frontend/dist/index.html",
        ".git/HEAD",
        "chalicelib/__pycache__/x.pyc",
    ]
    assert [p for p in needed if _ignored(p, patterns)] == []
    assert [p for p in dropped if not _ignored(p, patterns)] == []


def test_storefront_image_copies_files_that_exist():
    dockerfile = (ROOT / SERVICES["storefront"]["build"]["dockerfile"]).read_text()
    sources = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY") and "--from" not in line
        for source in line.split()[1:-1]
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source


def test_nginx_sends_the_backend_security_headers():
    snippet = (ROOT / "infra" / "docker" / "security-headers.conf").read_text()
    headers = dict(re.findall(r'^add_header (\S+) "([^"]*)" always;$', snippet, re.MULTILINE))
    assert headers == SECURITY_HEADERS
    locations = nginx_locations()
    assert "proxy_pass" in locations["/api/"]
    for where, body in locations.items():
        if where != "/api/":
            assert "include /etc/nginx/snippets/security-headers.conf;" in body, where


@pytest.mark.parametrize(
    "key",
    [
        "assets/index-AbCd1234.js",
        "assets/index-Zz_9-8yX.css",
        "assets/logo.png",
        "assets/fonts/inter-Q1w2E3r4.woff2",
        "index.html",
        "favicon.ico",
        "robots.txt",
    ],
)
def test_nginx_and_the_s3_upload_cache_the_same_files_forever(key):
    (immutable,) = [
        where.removeprefix("~ ").strip('"') for where, body in nginx_locations().items() if "immutable" in body
    ]
    assert (re.match(immutable, "/" + key) is not None) == (deploy.cache_control(key) == deploy.IMMUTABLE)


def test_localstack_stage_reaches_the_compose_services():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stage = config["stages"]["localstack"]["environment_variables"]
    backend = SERVICES["backend"]["environment"]
    assert stage["DATABASE_URL"] == backend["DATABASE_URL"]
    assert stage["REDIS_URL"] == backend["REDIS_URL"]
    endpoint = urlparse(stage["AWS_ENDPOINT_URL"])
    assert (endpoint.hostname, endpoint.port) == ("localstack", 4566)
    assert SERVICES["localstack"]["environment"]["LAMBDA_DOCKER_NETWORK"] == COMPOSE["networks"]["default"]["name"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in SERVICES["localstack"]["volumes"]
