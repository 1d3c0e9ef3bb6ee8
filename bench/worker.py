"""One webhook sender, run as its own process by bench.webhook (a Lambda container handles one
request at a time, so concurrency means processes, not threads sharing one interpreter).

Protocol on stdin/stdout, one JSON document per line: a setup document, then "ready"; then
one command per phase (unique, duplicate, ceiling), each answered with its samples."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.environment import paid_delivery
from bench.events import LambdaContext, webhook_event


def _send(handler: Any, event: dict[str, Any]) -> int:
    return int(handler(event, LambdaContext())["statusCode"])


def _loop(operation: Any, operands: list[Any], deadline_s: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    stop = started + deadline_s
    for operand in operands:
        if time.perf_counter() >= stop:
            break
        begun = time.perf_counter()
        ok = operation(operand)
        latencies.append(time.perf_counter() - begun)
        errors += 0 if ok else 1
    return {"start": started, "end": time.perf_counter(), "latencies": latencies, "errors": errors}


def main() -> None:
    import pg8000.dbapi  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    import app

    setup = json.loads(sys.stdin.readline())
    user, items = setup["user"], [tuple(i) for i in setup["items"]]
    deliveries = [webhook_event(*paid_delivery(user, items[n % len(items)])) for n in range(setup["count"])]
    for n in range(setup["warmup"]):
        status = _send(app.app, webhook_event(*paid_delivery(user, items[n % len(items)])))
        if status != 204:
            raise SystemExit(f"warm-up delivery answered {status}")
    url = make_url(setup["database_url"])
    raw = pg8000.dbapi.connect(
        user=url.username or "postgres",
        password=url.password,
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database=url.database,
    )
    cursor = raw.cursor()

    def insert(n: int) -> bool:
        cursor.execute("INSERT INTO bench_ceiling (payload) VALUES (%s)", (f"{user}:{n}",))
        raw.commit()
        return True

    delivered: list[dict[str, Any]] = []
    sent = 0
    print("ready", flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        phase, deadline_s = command["phase"], command["deadline_s"]
        if phase == "unique":
            result = _loop(lambda event: _send(app.app, event) == 204, deliveries[sent:], deadline_s)
            delivered += deliveries[sent : sent + len(result["latencies"])]
            sent += len(result["latencies"])
        elif phase == "duplicate":
            repeated = (delivered * (1 + command["limit"] // max(1, len(delivered))))[: command["limit"]]
            result = _loop(lambda event: _send(app.app, event) == 204, repeated, deadline_s)
        elif phase == "ceiling":
            result = _loop(insert, list(range(command["limit"])), deadline_s)
        else:
            break
        print(json.dumps(result), flush=True)
    raw.close()


if __name__ == "__main__":
    main()
