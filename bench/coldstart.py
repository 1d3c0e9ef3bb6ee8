"""Cold starts: fresh interpreters importing the app and answering their first request."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import Any

from bench.environment import ROOT, Environment, paid_delivery
from bench.events import rest_event, webhook_event
from bench.stats import median

KINDS = ("chalice", "items", "webhook")


def _run_child(env: Environment, kind: str, event: dict[str, Any] | None) -> dict[str, Any]:
    job = {"kind": kind, "event": event, "request_id": str(uuid.uuid4())}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.coldchild"],
        input=json.dumps(job).encode(),
        cwd=ROOT,
        env=env.child_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    wall_ms = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child ({kind}) failed: {done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["wall_ms"] = wall_ms
    return result


def run(env: Environment, processes: int, item: tuple[str, str, str, str]) -> dict[str, Any]:
    from chalicelib import catalog, schemas

    query = {"limit": "12", "offset": "0"}
    # Warm the cache for exactly the request the children make.
    catalog.list_items(schemas.ItemQuery.model_validate(query))
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for _ in range(processes):
        for kind in KINDS:
            event = None
            if kind == "items":
                event = rest_event("GET", "/api/items", query=query)
            elif kind == "webhook":
                event = webhook_event(*paid_delivery(env.users[0], item))
            result = _run_child(env, kind, event)
            expected = {"chalice": None, "items": 200, "webhook": 204}[kind]
            if result["status"] != expected:
                raise RuntimeError(f"cold-start child ({kind}) answered {result['status']}, expected {expected}")
            runs[kind].append(result)

    def p50(kind: str, key: str) -> float:
        return round(median([r[key] for r in runs[kind]]), 1)

    chalice_ms, app_ms = p50("chalice", "import_ms"), p50("items", "import_ms")
    return {
        "processes": processes,
        "import_chalice_p50": chalice_ms,
        "import_app_p50": app_ms,
        "import_app_over_chalice": round(app_ms - chalice_ms, 1),
        "first_items_p50": p50("items", "first_ms"),
        "first_webhook_p50": p50("webhook", "first_ms"),
        "process_wall_items_p50": p50("items", "wall_ms"),
        "process_wall_webhook_p50": p50("webhook", "wall_ms"),
        "modules_after_first_items": runs["items"][0]["modules"],
        "heavy_imports_on_first_items": runs["items"][0]["heavy"],
        "heavy_imports_on_first_webhook": runs["webhook"][0]["heavy"],
    }
