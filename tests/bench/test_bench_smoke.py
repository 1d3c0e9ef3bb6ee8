"""The harness runs end to end (python -m bench --quick) and writes every documented key.
It checks that the harness works, not the numbers: nothing here asserts a timing."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TEST_DATABASE_URL, unavailable

NUMBER = (int, float)
REQUIRED = {
    "cold_start_ms": {"import_app_p50": NUMBER, "first_items_p50": NUMBER, "first_webhook_p50": NUMBER},
    "items": {
        "hit_p50_ms": NUMBER,
        "hit_p99_ms": NUMBER,
        "miss_p50_ms": NUMBER,
        "miss_p99_ms": NUMBER,
        "hit_speedup": NUMBER,
        "db_queries_on_hit": int,
    },
    "purchases": {"hit_p50_ms": NUMBER, "miss_p50_ms": NUMBER, "hit_speedup": NUMBER, "db_queries_on_hit": int},
    "webhook": {
        "per_s": NUMBER,
        "p50_ms": NUMBER,
        "p99_ms": NUMBER,
        "postgres_ceiling_per_s": NUMBER,
        "ratio_to_ceiling": NUMBER,
        "prepared_ceiling_per_s": NUMBER,
        "ratio_to_prepared_ceiling": NUMBER,
        "duplicates_per_s": NUMBER,
        "statements_per_delivery": NUMBER,
        "exactly_once": bool,
    },
    "http": {"items_keepalive_p50_ms": NUMBER, "webhook_per_s": NUMBER},
}


@pytest.fixture(scope="module")
def quick_results(redis_url, tmp_path_factory):
    from sqlalchemy import create_engine, text

    from chalicelib.config import normalise_database_url

    try:
        engine = create_engine(normalise_database_url(TEST_DATABASE_URL), connect_args={"timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable Postgres"
        unavailable("Postgres", type(exc).__name__)
    output = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        env={**os.environ, "TEST_DATABASE_URL": TEST_DATABASE_URL, "TEST_REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(output.read_text()), done.stdout


@pytest.mark.slow
def test_quick_mode_writes_every_key_with_a_sane_type(quick_results):
    results, _ = quick_results
    for section, keys in REQUIRED.items():
        for key, kind in keys.items():
            value = results[section][key]
            if kind is bool:
                assert isinstance(value, bool), (section, key, value)
            else:
                assert isinstance(value, kind) and not isinstance(value, bool), (section, key, value)
                assert value >= 0, (section, key, value)


@pytest.mark.slow
def test_quick_mode_reports_the_storefront_size_or_why_not(quick_results):
    frontend = quick_results[0]["frontend"]
    if frontend["js_gzip_bytes"] is None:
        assert "not built" in frontend["note"] or "no build" in frontend["note"]
    else:
        assert isinstance(frontend["js_gzip_bytes"], int) and frontend["js_gzip_bytes"] > 0
        assert isinstance(frontend["css_gzip_bytes"], int)


@pytest.mark.slow
def test_quick_mode_grants_exactly_once_and_prints_the_table(quick_results):
    results, stdout = quick_results
    assert results["webhook"]["exactly_once"] is True
    assert results["webhook"]["errors"] == 0
    assert results["items"]["db_queries_on_hit"] == 0
    # The ceiling and the webhook took turns, a ratio for each round.
    assert len(results["webhook"]["ratio_by_round"]) == 3
    assert "[webhook]" in stdout and "ratio_to_ceiling" in stdout
