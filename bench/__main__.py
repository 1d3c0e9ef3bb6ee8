"""``python -m bench [--quick] [--output PATH]``: run every measurement, print a table, write JSON."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.environment import ROOT

DEFAULT_OUTPUT = ROOT / "bench" / "results.json"

# Iteration counts are upper bounds; every loop also stops at its time budget.
FULL = {
    "cold_processes": 15,
    "reads": {"hit": 3000, "miss": 300},
    "reads_budget_s": 4.0,
    "webhook_count": 4000,
    "webhook_deadline_s": 6.0,
    "http_requests": 300,
    "http_webhooks": 200,
    "http_budget_s": 4.0,
}
QUICK = {
    "cold_processes": 3,
    "reads": {"hit": 100, "miss": 20},
    "reads_budget_s": 1.0,
    "webhook_count": 40,
    "webhook_deadline_s": 1.0,
    "http_requests": 20,
    "http_webhooks": 10,
    "http_budget_s": 1.0,
}


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, timeout=5)
    except OSError:
        return None
    return done.stdout.decode().strip() or None


def _quiet_app_logs() -> None:
    """The app logs a line per webhook; keep the work of formatting it, send it nowhere."""
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)


def measure(settings: dict[str, Any], quick: bool) -> dict[str, Any]:
    from bench import coldstart, frontend, local_server, reads, webhook
    from bench.environment import catalogue, paid_delivery, provisioned
    from bench.events import LambdaContext, webhook_event

    started = time.monotonic()
    results: dict[str, Any] = {
        "meta": {
            "quick": quick,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "commit": _git_commit(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    }
    with provisioned() as env:
        items = catalogue()
        print("cold starts ...", file=sys.stderr, flush=True)
        results["cold_start_ms"] = coldstart.run(env, settings["cold_processes"], items[0])

        import app

        _quiet_app_logs()
        user = env.app_env["TEST_USER_ID"]
        for n in range(12):
            reply = app.app(webhook_event(*paid_delivery(user, items[n % len(items)])), LambdaContext())
            if reply["statusCode"] != 204:
                raise RuntimeError(f"seeding a purchase answered {reply['statusCode']}: {reply['body']}")
        print("cached reads ...", file=sys.stderr, flush=True)
        results.update(reads.run(settings["reads"], settings["reads_budget_s"]))

        print("webhooks ...", file=sys.stderr, flush=True)
        results["webhook"] = webhook.run(env, items, settings["webhook_count"], settings["webhook_deadline_s"])

        print("chalice local ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-http-") as logs:
            process, port = local_server.start(env, Path(logs) / "chalice.log")
            try:
                results["http"] = local_server.run(
                    env,
                    port,
                    items,
                    settings["http_requests"],
                    settings["http_webhooks"],
                    settings["http_budget_s"],
                )
            finally:
                local_server.stop(process)
    results["frontend"] = frontend.run()
    results["meta"]["duration_s"] = round(time.monotonic() - started, 1)
    return results


TARGETS: list[tuple[str, str, str, Any]] = [
    # (section, key, comparison, target) as the issue states them
    ("cold_start_ms", "import_app_over_chalice", "<=", 150),
    ("cold_start_ms", "first_items_p50", "<=", 500),
    ("items", "hit_p50_ms", "<=", 1.0),
    ("items", "hit_speedup", ">=", 5),
    ("items", "db_queries_on_hit", "<=", 0),
    ("purchases", "hit_p50_ms", "<=", 1.0),
    ("purchases", "hit_speedup", ">=", 5),
    ("purchases", "db_queries_on_hit", "<=", 0),
    ("webhook", "ratio_to_ceiling", ">=", 0.5),
    ("webhook", "p99_ms", "<=", 50),
    ("frontend", "total_gzip_bytes", "<=", 60 * 1024),
]


def _verdict(section: str, key: str) -> str:
    for t_section, t_key, comparison, target in TARGETS:
        if (t_section, t_key) == (section, key):
            return f"{comparison} {target}"
    return ""


def _met(results: dict[str, Any], section: str, key: str) -> str:
    for t_section, t_key, comparison, target in TARGETS:
        if (t_section, t_key) == (section, key):
            value = results.get(section, {}).get(key)
            if value is None:
                return "n/a"
            ok = value <= target if comparison == "<=" else value >= target
            return "ok" if ok else "MISSED"
    return ""


def table(results: dict[str, Any]) -> str:
    lines = [f"{'measure':<48} {'value':>14}  {'target':<12} {'':<6}", "-" * 84]
    for section in ("cold_start_ms", "items", "purchases", "webhook", "http", "frontend"):
        values = results.get(section, {})
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, float):
                shown = f"{value:,.3f}".rstrip("0").rstrip(".")
            elif isinstance(value, list):
                shown = ", ".join(str(v) for v in value) or "-"
            else:
                shown = str(value)
            lines.append(f"  {key:<46} {shown:>14}  {_verdict(section, key):<12} {_met(results, section, key)}")
    meta = results.get("meta", {})
    lines.append("-" * 84)
    lines.append(
        f"python {meta.get('python')}, {meta.get('cpus')} cpus, commit {meta.get('commit')}, "
        f"{'quick' if meta.get('quick') else 'full'} run in {meta.get('duration_s')} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few iterations: checks the harness, not the numbers")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    from bench.environment import check_services

    problem = check_services()
    if problem:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    results = measure(QUICK if args.quick else FULL, args.quick)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
