"""CHECKOUT_PROVIDER=xsolla against a local fake of Xsolla's Store API: a real HTTP server on a
loopback port that records every request and answers as the test tells it to."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from chalicelib import xsolla_payloads
from chalicelib.checkout import public_ip
from chalicelib.config import ConfigError, load_settings
from chalicelib.models import Order, OrderLine, Purchase
from chalicelib.signatures import sign
from tests.conftest import (
    ROOT,
    SESSION_SECRET,
    WEBHOOK_SECRET,
    configure,
    free_port,
    start_server,
    stop_server,
)

PROJECT_ID = "290001"
API_KEY = "fake-api-key-" + secrets.token_hex(8)
XSOLLA_ORDER_ID = 689810880
TOKEN = "tok_" + secrets.token_hex(14)
TOKEN_PATH = f"/api/v3/project/{PROJECT_ID}/admin/payment/token"


@dataclass
class Reply:
    status: int = 201
    body: Any = None
    delay_s: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeXsolla:
    base_url: str
    requests: list[Received] = field(default_factory=list)
    reply: Reply = field(default_factory=lambda: Reply(201, {"token": TOKEN, "order_id": XSOLLA_ORDER_ID}))


def _handler(fake: FakeXsolla) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"null"))
            )
            reply = fake.reply
            time.sleep(reply.delay_s)
            payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up waiting, which is what the timeout test wants

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def fake() -> Iterator[FakeXsolla]:
    fake = FakeXsolla(base_url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/api"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def xsolla_env(fake: FakeXsolla, **overrides: str) -> dict[str, str]:
    return {
        "CHECKOUT_PROVIDER": "xsolla",
        "XSOLLA_API_BASE": fake.base_url,
        "XSOLLA_PROJECT_ID": PROJECT_ID,
        "XSOLLA_API_KEY": API_KEY,
        "XSOLLA_DEFAULT_COUNTRY": "DE",
        "XSOLLA_TIMEOUT_S": "2",
        **overrides,
    }


@pytest.fixture
def xsolla_store(store: Any, fake: FakeXsolla, monkeypatch: pytest.MonkeyPatch) -> Any:
    configure(monkeypatch, store.stack, **xsolla_env(fake))
    return store


def buy(store: Any, sku: str = "skin-ember-blade", quantity: int = 1) -> Any:
    return store.post("/api/orders", {"item_id": store.item(sku)["id"], "quantity": quantity}, token=store.token())


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(response.body)["error"]
    return error


def order_paid(order_id: int, *, sku: str = "skin-ember-blade", quantity: int = 1, amount: str = "4.99") -> bytes:
    line = xsolla_payloads.Line(sku=sku, quantity=quantity, amount=Decimal(amount), item_type="skin")
    payload = xsolla_payloads.order_notification(
        "order_paid", order_id=order_id, user_id="test-user", lines=[line], currency="USD", mode="sandbox"
    )
    return xsolla_payloads.encode(payload)


def assert_nothing_stored(store: Any) -> None:
    assert store.rows(Order) == [] and store.rows(OrderLine) == [] and store.rows(Purchase) == []


# --- the request Xsolla receives -------------------------------------------------------------


def test_buy_posts_the_payment_token_request_xsolla_documents(xsolla_store, fake, caplog):
    caplog.set_level("INFO")
    response = buy(xsolla_store, quantity=2)

    assert response.status_code == 201
    [sent] = fake.requests
    assert sent.path == TOKEN_PATH
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"{PROJECT_ID}:{API_KEY}".encode()).decode()
    assert sent.headers["content-type"] == "application/json"
    body = sent.body
    assert body["user"]["id"] == {"value": "test-user"}
    assert body["user"]["email"] == {"value": "test-user@example.com"}
    assert body["purchase"] == {"items": [{"sku": "skin-ember-blade", "quantity": 2}]}
    assert body["sandbox"] is True
    assert body["settings"]["currency"] == "USD"
    assert "return_url" not in body["settings"]
    reference = body["settings"]["external_id"]
    assert re.fullmatch("[0-9a-f]{16}", reference)
    assert f"order_id={XSOLLA_ORDER_ID} reference={reference}" in caplog.text
    assert API_KEY not in caplog.text and API_KEY not in response.body.decode()


def test_the_pending_order_is_stored_under_xsolla_order_id_with_the_pay_station_url(xsolla_store):
    response = buy(xsolla_store, quantity=2)

    data = json.loads(response.body)
    assert data["order_id"] == XSOLLA_ORDER_ID and data["status"] == "pending"
    assert data["token"] == TOKEN
    assert data["payment_url"] == f"https://sandbox-secure.xsolla.com/paystation4/?token={TOKEN}"
    [order] = xsolla_store.rows(Order)
    assert (order.id, order.status, order.provider, order.mode, order.amount) == (
        XSOLLA_ORDER_ID,
        "pending",
        "xsolla",
        "sandbox",
        Decimal("9.98"),
    )
    [line] = xsolla_store.rows(OrderLine)
    assert (line.order_id, line.quantity, line.amount) == (XSOLLA_ORDER_ID, 2, Decimal("9.98"))
    mine = xsolla_store.get(f"/api/orders/{XSOLLA_ORDER_ID}", token=xsolla_store.token())
    assert json.loads(mine.body)["status"] == "pending"


def test_a_loopback_buyer_is_placed_by_the_default_country_not_by_ip(xsolla_store, fake):
    buy(xsolla_store)

    [sent] = fake.requests
    assert "x-user-ip" not in sent.headers
    assert sent.body["user"]["country"] == {"value": "DE", "allow_modify": True}


def test_a_public_buyer_ip_is_sent_as_x_user_ip_without_a_country(xsolla_store, fake, monkeypatch):
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "8.8.8.8")
    assert buy(xsolla_store).status_code == 201

    [sent] = fake.requests
    assert sent.headers["x-user-ip"] == "8.8.8.8"
    assert "country" not in sent.body["user"]


def test_a_private_buyer_ip_without_a_default_country_is_refused_before_calling_xsolla(xsolla_store, fake, monkeypatch):
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "10.1.2.3")
    configure(monkeypatch, xsolla_store.stack, **xsolla_env(fake, XSOLLA_DEFAULT_COUNTRY=""))

    response = buy(xsolla_store)

    assert response.status_code == 502 and error_of(response)["code"] == "CHECKOUT_REJECTED"
    assert "country" in error_of(response)["message"]
    assert fake.requests == []
    assert_nothing_stored(xsolla_store)


def test_production_mode_and_return_url(xsolla_store, fake, monkeypatch):
    configure(
        monkeypatch,
        xsolla_store.stack,
        **xsolla_env(fake, XSOLLA_SANDBOX="false", XSOLLA_RETURN_URL="https://shop.example/#/return"),
    )
    response = buy(xsolla_store)

    [sent] = fake.requests
    assert sent.body["sandbox"] is False
    assert sent.body["settings"]["return_url"] == "https://shop.example/#/return"
    assert json.loads(response.body)["payment_url"] == f"https://secure.xsolla.com/paystation4/?token={TOKEN}"
    assert xsolla_store.rows(Order)[0].mode == "default"


def test_the_api_key_can_come_from_secrets_manager(xsolla_store, fake, monkeypatch):
    from chalicelib import aws_secrets

    reads: list[tuple[str, bool]] = []

    def get_secret(arn: str, *, refresh: bool = False) -> str:
        reads.append((arn, refresh))
        return "key-from-secrets-manager"

    monkeypatch.setattr(aws_secrets, "get_secret", get_secret)
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:xsolla-api-key"
    configure(monkeypatch, xsolla_store.stack, **xsolla_env(fake, XSOLLA_API_KEY="", XSOLLA_API_KEY_ARN=arn))

    assert buy(xsolla_store).status_code == 201
    expected = base64.b64encode(f"{PROJECT_ID}:key-from-secrets-manager".encode()).decode()
    assert fake.requests[0].headers["authorization"] == f"Basic {expected}"

    fake.reply = Reply(
        401, {"statusCode": 401, "errorCode": 1020, "errorMessage": "[0401-1020]: Error in Authentication"}
    )
    assert buy(xsolla_store).status_code == 502
    assert reads == [(arn, False), (arn, False), (arn, True)]


def test_simulated_stays_the_default_and_never_calls_xsolla(store, fake, monkeypatch):
    configure(monkeypatch, store.stack, XSOLLA_API_BASE=fake.base_url)

    response = buy(store)

    assert response.status_code == 201
    data = json.loads(response.body)
    assert "payment_url" not in data and "token" not in data
    assert data["order_id"] >= 10**12
    assert fake.requests == []


# --- failures: the documented error, nothing stored, no retry ---------------------------------


def test_bad_credentials_are_a_502_checkout_rejected(xsolla_store, fake):
    fake.reply = Reply(
        401, {"statusCode": 401, "errorCode": 1020, "errorMessage": "[0401-1020]: Error in Authentication"}
    )

    response = buy(xsolla_store)

    assert response.status_code == 502
    error = error_of(response)
    assert error["code"] == "CHECKOUT_REJECTED" and "credentials" in error["message"]
    assert "1020" not in response.body.decode() and API_KEY not in response.body.decode()
    assert len(fake.requests) == 1
    assert_nothing_stored(xsolla_store)


@pytest.mark.parametrize(
    ("error_code", "message"),
    [(1401, "[0401-1401]: Invalid cart"), (1102, "[0401-1102]: The parameter user.country.value must be specified")],
)
def test_an_unknown_sku_or_bad_body_is_a_502_checkout_rejected(xsolla_store, fake, error_code, message):
    fake.reply = Reply(422, {"statusCode": 422, "errorCode": error_code, "errorMessage": message})

    response = buy(xsolla_store)

    assert response.status_code == 502
    error = error_of(response)
    assert error["code"] == "CHECKOUT_REJECTED" and "refused this order" in error["message"]
    assert message not in response.body.decode()
    assert len(fake.requests) == 1
    assert_nothing_stored(xsolla_store)


def test_a_timeout_is_a_504_checkout_unavailable_without_a_retry(xsolla_store, fake, monkeypatch):
    configure(monkeypatch, xsolla_store.stack, **xsolla_env(fake, XSOLLA_TIMEOUT_S="0.3"))
    fake.reply = Reply(201, {"token": TOKEN, "order_id": XSOLLA_ORDER_ID}, delay_s=1.5)

    started = time.monotonic()
    response = buy(xsolla_store)
    elapsed = time.monotonic() - started

    assert response.status_code == 504 and error_of(response)["code"] == "CHECKOUT_UNAVAILABLE"
    assert elapsed < 1.2
    assert len(fake.requests) == 1
    assert_nothing_stored(xsolla_store)


def test_no_connection_is_a_504_checkout_unavailable(xsolla_store, monkeypatch):
    closed = f"http://127.0.0.1:{free_port()}/api"
    configure(monkeypatch, xsolla_store.stack, **xsolla_env(FakeXsolla(base_url=closed)))

    response = buy(xsolla_store)

    assert response.status_code == 504 and error_of(response)["code"] == "CHECKOUT_UNAVAILABLE"
    assert_nothing_stored(xsolla_store)


def test_a_server_error_at_xsolla_is_a_504_checkout_unavailable(xsolla_store, fake):
    fake.reply = Reply(503, {"statusCode": 503, "errorMessage": "maintenance"})

    response = buy(xsolla_store)

    assert response.status_code == 504 and error_of(response)["code"] == "CHECKOUT_UNAVAILABLE"
    assert len(fake.requests) == 1
    assert_nothing_stored(xsolla_store)


@pytest.mark.parametrize(
    "body",
    [b"<html>gateway</html>", {"token": TOKEN}, {"order_id": XSOLLA_ORDER_ID}, {"token": "", "order_id": 5}],
    ids=["not-json", "no-order-id", "no-token", "empty-token"],
)
def test_an_unusable_success_answer_is_a_502_checkout_rejected(xsolla_store, fake, body):
    fake.reply = Reply(201, body)

    response = buy(xsolla_store)

    assert response.status_code == 502 and error_of(response)["code"] == "CHECKOUT_REJECTED"
    assert_nothing_stored(xsolla_store)


# --- the whole purchase, offline ----------------------------------------------------------------


def test_buy_then_order_paid_grants_the_purchase_once(xsolla_store, fake):
    created = json.loads(buy(xsolla_store, quantity=2).body)
    body = order_paid(created["order_id"], quantity=2, amount="9.98")

    assert [xsolla_store.deliver(body).status_code for _ in range(2)] == [204, 204]

    [purchase] = xsolla_store.rows(Purchase)
    assert (purchase.order_id, purchase.quantity, purchase.amount) == (XSOLLA_ORDER_ID, 2, Decimal("9.98"))
    token = xsolla_store.token()
    assert json.loads(xsolla_store.get(f"/api/orders/{XSOLLA_ORDER_ID}", token=token).body)["status"] == "paid"
    listed = json.loads(xsolla_store.get("/api/purchases", token=token).body)["data"]
    assert [p["order_id"] for p in listed] == [XSOLLA_ORDER_ID]


def test_order_paid_that_does_not_match_the_xsolla_order_is_refused(xsolla_store, fake):
    created = json.loads(buy(xsolla_store, quantity=2).body)

    response = xsolla_store.deliver(order_paid(created["order_id"], quantity=1, amount="4.99"))

    assert response.status_code == 400 and error_of(response)["code"] == "INCORRECT_INVOICE"
    assert xsolla_store.rows(Purchase) == []


def _call(base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.mark.slow
def test_end_to_end_over_http_with_chalice_local(fake, new_postgres_database, redis_url, tmp_path):
    """`chalice local` as `make run` starts it, with CHECKOUT_PROVIDER=xsolla and the fake API."""
    env = {
        "STAGE": "local",
        "DATABASE_URL": new_postgres_database(),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"xsolla-{secrets.token_hex(6)}",
        "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SESSION_SECRET": SESSION_SECRET,
        **xsolla_env(fake),
    }
    subprocess.run(
        [sys.executable, "scripts/seed_items.py"], cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True
    )
    server = start_server(env, tmp_path / "chalice.log")
    try:
        base = server.base_url
        _, session = _call(base, "POST", "/api/session", b"{}", {"Content-Type": "application/json"})
        auth = {"Authorization": f"Bearer {session['token']}", "Content-Type": "application/json"}
        _, items = _call(base, "GET", "/api/items?q=Ember")
        [item] = [i for i in items["data"] if i["sku"] == "skin-ember-blade"]

        status, created = _call(
            base, "POST", "/api/orders", json.dumps({"item_id": item["id"], "quantity": 1}).encode(), auth
        )
        assert status == 201
        assert created["order_id"] == XSOLLA_ORDER_ID
        assert created["payment_url"].endswith(f"?token={TOKEN}")
        assert fake.requests[0].body["purchase"]["items"] == [{"sku": "skin-ember-blade", "quantity": 1}]

        body = order_paid(created["order_id"])
        signed = {"Content-Type": "application/json", **sign(body, WEBHOOK_SECRET, "xsolla")}
        deliveries = [_call(base, "POST", "/api/webhooks/payment", body, signed)[0] for _ in range(2)]
        assert deliveries == [204, 204]

        _, order = _call(base, "GET", f"/api/orders/{XSOLLA_ORDER_ID}", headers=auth)
        assert order["status"] == "paid"
        _, purchases = _call(base, "GET", "/api/purchases", headers=auth)
        assert [p["order_id"] for p in purchases["data"]].count(XSOLLA_ORDER_ID) == 1
        assert API_KEY not in server.log_path.read_text()
    finally:
        stop_server(server)


# --- pieces that need no server ------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.2", "100.64.0.1", "169.254.1.1", "203.0.113.5", "0.0.0.0"]
    + ["::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "", "not-an-ip", None],
)
def test_addresses_xsolla_cannot_place_do_not_count(address):
    assert public_ip(address) is None


@pytest.mark.parametrize(
    ("address", "sent"),
    [("8.8.8.8", "8.8.8.8"), ("2001:4860:4860::8888", "2001:4860:4860::8888"), ("::ffff:8.8.8.8", "8.8.8.8")],
)
def test_public_addresses_count(address, sent):
    assert public_ip(address) == sent


@pytest.mark.parametrize(
    "overrides",
    [
        {"XSOLLA_API_KEY": ""},
        {"XSOLLA_PROJECT_ID": "my-project"},
        {"XSOLLA_DEFAULT_COUNTRY": "Germany"},
        {"XSOLLA_API_BASE": "http://store.xsolla.com/api"},
        {"XSOLLA_API_BASE": "ftp://127.0.0.1/api"},
        {"XSOLLA_TIMEOUT_S": "soon"},
    ],
    ids=["no-key", "project-id", "country", "plain-http", "scheme", "timeout"],
)
def test_xsolla_settings_that_would_fail_at_checkout_are_refused_at_start(overrides):
    env = {"CHECKOUT_PROVIDER": "xsolla", "XSOLLA_PROJECT_ID": PROJECT_ID, "XSOLLA_API_KEY": "k", **overrides}
    with pytest.raises(ConfigError):
        load_settings(env)


def test_xsolla_settings_defaults():
    settings = load_settings({"CHECKOUT_PROVIDER": "xsolla", "XSOLLA_PROJECT_ID": PROJECT_ID, "XSOLLA_API_KEY": "k"})
    assert settings.xsolla_api_base == "https://store.xsolla.com/api"
    assert settings.xsolla_sandbox is True and settings.xsolla_timeout_s == 4.0
    assert settings.xsolla_return_url is None and settings.xsolla_default_country is None
    assert load_settings({"XSOLLA_DEFAULT_COUNTRY": "de"}).xsolla_default_country == "DE"
