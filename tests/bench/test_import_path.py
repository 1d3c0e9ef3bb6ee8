"""What a cold start pays for: the import path of app.py and the cached-read path stay light.
These check which modules get imported, never how long anything takes."""

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("sqlalchemy", "pg8000", "pydantic", "redis", "jwt", "boto3", "alembic", "chalice.local")


def run_python(code: str, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "STAGE": "local", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_app_imports_nothing_heavy():
    loaded = run_python(f"import json, sys, app; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert loaded == []


def test_a_cached_item_list_is_answered_without_the_database_layer(tmp_path):
    code = """
import json, sys
from bench.events import LambdaContext, rest_event
import app
from chalicelib import catalog, schemas
from chalicelib.cache import get_cache

query = schemas.ItemQuery.model_validate({"limit": "12"})
body, generation = get_cache().get(catalog.NAMESPACE, query.model_dump_json())
get_cache().put(catalog.NAMESPACE, query.model_dump_json(), '{"data":[],"page":{}}', generation, 60)
response = app.app(rest_event("GET", "/api/items", query={"limit": "12"}), LambdaContext())
print(json.dumps({"status": response["statusCode"], "body": response["body"],
                  "loaded": [m for m in ("sqlalchemy", "pg8000") if m in sys.modules]}))
"""
    result = run_python(code, DATABASE_URL=f"sqlite:///{tmp_path / 'absent.db'}")
    assert result == {"status": 200, "body": '{"data":[],"page":{}}', "loaded": []}
    assert not (tmp_path / "absent.db").exists()


def test_under_chalice_local_the_server_sets_tcp_nodelay_and_a_deeper_listen_queue():
    import chalice.local

    from chalicelib import web

    web.tune_local_server()
    assert chalice.local.ChaliceRequestHandler.disable_nagle_algorithm is True
    assert chalice.local.ThreadedHTTPServer.request_queue_size >= 64
