"""One webhook sender, run as its own process by bench.webhook (a Lambda container handles one
request at a time, so concurrency means processes, not threads sharing one interpreter).

Protocol on stdin/stdout, one JSON document per line: a setup document, then "ready"; then
one command per phase (unique, duplicate, ceiling, prepared_ceiling), each answered with its samples and what
the phase cost: this process's CPU, its Postgres backend's CPU, the statements it sent."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.environment import paid_delivery
from bench.events import LambdaContext, webhook_event


def backend_cpu_s(pid: int | None) -> float | None:
    """CPU time of a Postgres backend process, when Postgres runs on this machine."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _loop(operation: Callable[[Any], bool], operands: list[Any], deadline_s: float, backend: int | None) -> Any:
    latencies: list[float] = []
    errors = 0
    cpu, db_cpu = time.process_time(), backend_cpu_s(backend)
    started = time.perf_counter()
    stop = started + deadline_s
    for operand in operands:
        if time.perf_counter() >= stop:
            break
        begun = time.perf_counter()
        ok = operation(operand)
        latencies.append(time.perf_counter() - begun)
        errors += 0 if ok else 1
    ended = time.perf_counter()
    db_cpu_after = backend_cpu_s(backend)
    return {
        "start": started,
        "end": ended,
        "latencies": latencies,
        "errors": errors,
        "cpu_s": time.process_time() - cpu,
        "db_cpu_s": None if db_cpu is None or db_cpu_after is None else db_cpu_after - db_cpu,
    }


def main() -> None:
    import pg8000  # type: ignore[import-untyped]
    import pg8000.dbapi
    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    import app
    from chalicelib import db
    from chalicelib.db import get_engine

    setup = json.loads(sys.stdin.readline())
    user, items = setup["user"], [tuple(i) for i in setup["items"]]
    deliveries = [webhook_event(*paid_delivery(user, items[n % len(items)])) for n in range(setup["count"])]

    def deliver(event: dict[str, Any]) -> bool:
        return int(app.app(event, LambdaContext())["statusCode"]) == 204

    for n in range(setup["warmup"]):
        if not deliver(webhook_event(*paid_delivery(user, items[n % len(items)]))):
            raise SystemExit("a warm-up delivery was not accepted")
    engine = get_engine()
    # Sequential use keeps one pooled connection, so this is the backend every delivery uses.
    with engine.connect() as connection:
        app_backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    statements = [0]
    event.listen(engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    # The webhook's grant is a prepared statement sent around SQLAlchemy's cursor: count it too.
    run_prepared = db.run_prepared

    def counted(sql: str, params: Any) -> Any:
        statements[0] += 1
        return run_prepared(sql, params)

    db.run_prepared = counted

    url = make_url(setup["database_url"])
    raw = pg8000.dbapi.connect(
        user=url.username or "postgres",
        password=url.password,
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database=url.database,
    )
    cursor = raw.cursor()
    cursor.execute("SELECT pg_backend_pid()")
    raw_backend = cursor.fetchone()[0]
    raw.commit()

    def insert(n: int) -> bool:
        cursor.execute("INSERT INTO bench_ceiling (payload) VALUES (%s)", (f"{user}:{n}",))
        raw.commit()
        return True

    # The same insert as the grant is sent: prepared once, one round trip, its own transaction.
    lean = pg8000.connect(
        user=url.username or "postgres",
        password=url.password,
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database=url.database,
    )
    lean.autocommit = True
    lean_backend = lean.run("SELECT pg_backend_pid()")[0][0]
    prepared_insert = lean.prepare("INSERT INTO bench_ceiling (payload) VALUES (:payload)")

    def insert_prepared(n: int) -> bool:
        prepared_insert.run(payload=f"{user}:p{n}")
        return True

    delivered: list[dict[str, Any]] = []
    sent = 0
    print("ready", flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        phase, deadline_s = command["phase"], command["deadline_s"]
        before = statements[0]
        if phase == "unique":
            result = _loop(deliver, deliveries[sent : sent + command["limit"]], deadline_s, app_backend)
            delivered += deliveries[sent : sent + len(result["latencies"])]
            sent += len(result["latencies"])
        elif phase == "duplicate":
            repeated = (delivered * (1 + command["limit"] // max(1, len(delivered))))[: command["limit"]]
            result = _loop(deliver, repeated, deadline_s, app_backend)
        elif phase == "ceiling":
            result = _loop(insert, list(range(command["limit"])), deadline_s, raw_backend)
        elif phase == "prepared_ceiling":
            result = _loop(insert_prepared, list(range(command["limit"])), deadline_s, lean_backend)
        else:
            break
        ceiling = phase.endswith("ceiling")
        result["statements"] = len(result["latencies"]) if ceiling else statements[0] - before
        print(json.dumps(result), flush=True)
    raw.close()
    lean.close()


if __name__ == "__main__":
    main()
