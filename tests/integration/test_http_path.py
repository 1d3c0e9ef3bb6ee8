"""The whole path over HTTP, as a user runs it: `chalice local` on Postgres + Redis, seeded,
the simulator sending signed webhooks, purchases listed."""

import http.client
import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from chalicelib import signatures, xsolla_payloads
from tests.conftest import ROOT, WEBHOOK_SECRET


def call(base, method, path, body=None, headers=None):
    """One request; a connection refused or reset before any answer is retried, as Xsolla retries
    (chalice local's listen backlog is small, so a burst of 20 connections can overflow it)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (ConnectionError, http.client.RemoteDisconnected, urllib.error.URLError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def simulate(base, *args):
    return subprocess.run(
        [
            sys.executable,
            "scripts/simulate_webhook.py",
            "--url",
            f"{base}/api/webhooks/payment",
            "--secret",
            WEBHOOK_SECRET,
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def bearer(base, user=None):
    status, body = call(base, "POST", "/api/session", {})
    assert status == 201
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def test_simulator_pays_and_the_purchase_is_listed(live_server):
    base = live_server.base_url
    auth = bearer(base)
    before = json.loads(call(base, "GET", "/api/purchases", headers=auth)[1])["page"]["total"]
    result = simulate(base, "--sku", "gems-chest-550", "--quantity", "2", "--repeat", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" 204") == 3
    order_id = int(result.stdout.strip().rsplit(" ", 1)[1])
    purchases = json.loads(call(base, "GET", "/api/purchases", headers=auth)[1])
    assert purchases["page"]["total"] == before + 1
    [row] = [p for p in purchases["data"] if p["order_id"] == order_id]
    assert (row["item"]["sku"], row["quantity"], row["amount"], row["status"]) == ("gems-chest-550", 2, "9.98", "paid")


def test_simulator_exits_non_zero_on_a_rejected_delivery(live_server):
    result = subprocess.run(
        [
            sys.executable,
            "scripts/simulate_webhook.py",
            "--url",
            f"{live_server.base_url}/api/webhooks/payment",
            "--secret",
            "wrong",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "INVALID_SIGNATURE" in result.stdout


def test_simulator_dry_run_prints_signed_bytes_and_sends_nothing(live_server):
    result = simulate(live_server.base_url, "--dry-run", "--order-id", "77", "--scheme", "hmac-sha256")
    assert result.returncode == 0
    head, _, body = result.stdout.partition("\n\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in head.splitlines())}
    raw = body.rstrip("\n").encode()
    assert signatures.verify(raw, headers, WEBHOOK_SECRET) == signatures.HMAC_SHA256
    assert json.loads(raw)["order"]["id"] == 77
    status, _ = call(live_server.base_url, "GET", "/api/orders/77", headers=bearer(live_server.base_url))
    assert status == 404


def test_twenty_concurrent_deliveries_of_one_order_grant_once(live_server):
    base = live_server.base_url
    auth = bearer(base)
    order_id = xsolla_payloads.new_order_id()
    payload = xsolla_payloads.order_notification(
        "order_paid",
        order_id=order_id,
        user_id="test-user",
        lines=[xsolla_payloads.Line(sku="skin-neon-ronin", quantity=1, amount=__import__("decimal").Decimal("9.99"))],
    )
    body = xsolla_payloads.encode(payload)
    headers = signatures.sign(body, WEBHOOK_SECRET)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: call(base, "POST", "/api/webhooks/payment", body, headers)[0], range(20)))
    assert statuses == [204] * 20
    purchases = json.loads(call(base, "GET", "/api/purchases?limit=100", headers=auth)[1])["data"]
    assert [p["order_id"] for p in purchases].count(order_id) == 1
