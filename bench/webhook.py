"""Webhook throughput: unique order_paid deliveries and duplicates from concurrent senders,
against the raw Postgres ceiling (single-row insert + commit, same driver, same concurrency).

The ceiling is the issue's: INSERT, then COMMIT, as a DB-API client sends them (seven round
trips with pg8000). Beside it, for honesty, the same insert sent the way the grant is (a
prepared statement in its own transaction, one round trip): the cheapest single-row write
this driver can make, and the ratio to that."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.environment import ROOT, Environment
from bench.stats import summary_ms

ROUNDS = 3


class Sender:
    def __init__(self, env: Environment, log: Path, setup: dict[str, Any]) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker"],
            cwd=ROOT,
            env=env.child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self._write(setup)

    def _write(self, document: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(document).encode() + b"\n")
        self.process.stdin.flush()

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError(f"webhook sender exited: {self.log_path.read_text(errors='replace')[-2000:]}")
        return line

    def command(self, phase: str, deadline_s: float, limit: int) -> None:
        self._write({"phase": phase, "deadline_s": deadline_s, "limit": limit})

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._write({"phase": "quit", "deadline_s": 0, "limit": 0})
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._log.close()


def _phase(senders: list[Sender], phase: str, deadline_s: float, limit: int) -> list[dict[str, Any]]:
    for sender in senders:
        sender.command(phase, deadline_s, limit)
    return [json.loads(sender.read()) for sender in senders]


def _summary(rounds: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """One figure for a phase run in several rounds: every sample, over the summed windows."""
    results = [r for one_round in rounds for r in one_round]
    latencies = [x for r in results for x in r["latencies"]]
    count = max(1, len(latencies))
    window = sum(max(r["end"] for r in rnd) - min(r["start"] for r in rnd) for rnd in rounds)
    db_cpu = [r["db_cpu_s"] for r in results]
    return {
        "count": len(latencies),
        "errors": sum(r["errors"] for r in results),
        "per_s": round(len(latencies) / window, 1),
        "cpu_ms_per_op": round(sum(r["cpu_s"] for r in results) / count * 1000, 3),
        "db_cpu_ms_per_op": None if None in db_cpu else round(sum(db_cpu) / count * 1000, 3),
        "statements_per_op": round(sum(r["statements"] for r in results) / count, 2),
        **summary_ms(latencies),
    }


def _granted(env: Environment) -> tuple[int, int]:
    from sqlalchemy import func, select

    from chalicelib.db import transaction
    from chalicelib.models import Purchase, WebhookEvent

    with transaction() as session:
        purchases = session.scalar(select(func.count()).select_from(Purchase).where(Purchase.user_id.in_(env.users)))
        processed = session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.processed_key.is_not(None))
        )
    return int(purchases or 0), int(processed or 0)


def run(env: Environment, items: list[tuple[str, str, str, str]], count: int, deadline_s: float) -> dict[str, Any]:
    from sqlalchemy import text

    from chalicelib.db import transaction

    with transaction() as session:
        session.execute(text("CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, payload text NOT NULL)"))
    granted_before, _ = _granted(env)
    warmup = 3
    with tempfile.TemporaryDirectory(prefix="bench-senders-") as logs:
        senders: list[Sender] = []
        try:
            for n, user in enumerate(env.users):
                setup = {
                    "user": user,
                    "items": items,
                    "count": count,
                    "warmup": warmup,
                    "database_url": env.database_url,
                }
                senders.append(Sender(env, Path(logs) / f"sender-{n}.log", setup))
            for sender in senders:
                if sender.read().strip() != "ready":
                    raise RuntimeError("webhook sender did not get ready")
            # The ceiling and the webhook take turns, so that a machine whose speed drifts during
            # the run (a shared host) weighs on both alike; each round is a third of the budget.
            ceilings, uniques, prepared = [], [], []
            for _ in range(ROUNDS):
                ceilings.append(_phase(senders, "ceiling", deadline_s / ROUNDS, count * 4))
                uniques.append(_phase(senders, "unique", deadline_s / ROUNDS, count // ROUNDS))
                prepared.append(_phase(senders, "prepared_ceiling", deadline_s / ROUNDS / 2, count * 4))
            ceiling, unique, lean = _summary(ceilings), _summary(uniques), _summary(prepared)
            duplicate = _summary([_phase(senders, "duplicate", deadline_s / 2, count)])
            round_ratios = [
                _summary([u])["per_s"] / _summary([c])["per_s"] for u, c in zip(uniques, ceilings, strict=True)
            ]
        finally:
            for sender in senders:
                sender.close()
    granted_after, _ = _granted(env)
    granted = granted_after - granted_before - warmup * len(env.users)
    return {
        "senders": len(env.users),
        "per_s": unique["per_s"],
        "p50_ms": unique["p50_ms"],
        "p99_ms": unique["p99_ms"],
        "deliveries": unique["count"],
        "errors": unique["errors"] + duplicate["errors"],
        "postgres_ceiling_per_s": ceiling["per_s"],
        "postgres_ceiling_p50_ms": ceiling["p50_ms"],
        "ratio_to_ceiling": round(unique["per_s"] / ceiling["per_s"], 3),
        "ratio_by_round": [round(r, 3) for r in round_ratios],
        "prepared_ceiling_per_s": lean["per_s"],
        "ratio_to_prepared_ceiling": round(unique["per_s"] / lean["per_s"], 3),
        "duplicates_per_s": duplicate["per_s"],
        "duplicate_p50_ms": duplicate["p50_ms"],
        "duplicate_p99_ms": duplicate["p99_ms"],
        "exactly_once": granted == unique["count"],
        "sender_cpu_ms_per_delivery": unique["cpu_ms_per_op"],
        "db_cpu_ms_per_delivery": unique["db_cpu_ms_per_op"],
        "statements_per_delivery": unique["statements_per_op"],
        "sender_cpu_ms_per_ceiling_op": ceiling["cpu_ms_per_op"],
        "db_cpu_ms_per_ceiling_op": ceiling["db_cpu_ms_per_op"],
        "sender_cpu_ms_per_prepared_ceiling_op": lean["cpu_ms_per_op"],
        "db_cpu_ms_per_prepared_ceiling_op": lean["db_cpu_ms_per_op"],
    }
