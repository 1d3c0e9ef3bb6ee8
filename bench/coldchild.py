"""One cold start, run in a fresh interpreter by bench.coldstart: reads a job from stdin, then
times ``import chalice`` or ``import app`` plus the app's first request. Only modules that
the interpreter has loaded already are used before the clock starts."""

import json
import sys
import time
import types

HEAVY = ("pydantic", "sqlalchemy", "pg8000", "redis", "jwt", "alembic", "boto3")


def main() -> None:
    job = json.loads(sys.stdin.buffer.read())
    context = types.SimpleNamespace(
        function_name="game-item-store-dev",
        memory_limit_in_mb=1024,
        aws_request_id=job["request_id"],
        get_remaining_time_in_millis=lambda: 6000,
    )
    started = time.perf_counter()
    if job["kind"] == "chalice":
        import chalice  # noqa: F401

        imported = time.perf_counter()
        status, answered = None, imported
    else:
        import app

        imported = time.perf_counter()
        response = app.app(job["event"], context)
        answered = time.perf_counter()
        status = response["statusCode"]
    result = {
        "import_ms": (imported - started) * 1000,
        "first_ms": (answered - started) * 1000,
        "status": status,
        "modules": len(sys.modules),
        "heavy": sorted(name for name in HEAVY if name in sys.modules),
    }
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
