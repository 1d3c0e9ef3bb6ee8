"""Abuse: other players' data, mass assignment, bad tokens, hostile headers, oversize input,
missing security headers, leaks into bodies and logs, order floods. In process on Postgres +
Redis, and over HTTP against `chalice local` where the HTTP server itself is part of the answer."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.client import HTTPConnection
from typing import Any

import pytest

from chalicelib import config, signatures, xsolla_payloads
from chalicelib.config import MAX_BODY_BYTES
from chalicelib.models import Order
from tests.conftest import SESSION_SECRET, WEBHOOK_SECRET, Server, Stack, Store, configure, paid_body, wipe_and_seed
from tests.reliability.support import (
    CALM_REDIS_TIMEOUT_S,
    REQUIRED_SECURITY_HEADERS,
    RedisServer,
    assert_clean_body,
    bearer,
    error_code,
    http,
    server_tracebacks,
)


@pytest.fixture
def app_with(
    module_database: str, suite_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Store]]:
    def build(**env: str) -> Store:
        stack = Stack("services", module_database, suite_redis.url)
        configure(monkeypatch, stack, REDIS_TIMEOUT_S=CALM_REDIS_TIMEOUT_S, **env)
        wipe_and_seed()
        return Store(stack)

    yield build
    from chalicelib import cache, db

    db.reset_engine()
    cache.reset_cache()


def order_for(store: Store, user: str, sku: str = "skin-ember-blade", quantity: int = 1) -> dict[str, Any]:
    item = store.item(sku)
    response = store.post("/api/orders", {"item_id": item["id"], "quantity": quantity}, headers=bearer(user))
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def assert_secured(response: Any) -> None:
    headers = {k.lower() for k in response.headers}
    assert REQUIRED_SECURITY_HEADERS <= headers, (response.status_code, sorted(headers))
    assert_clean_body(response.body)


# ---- other players' data ---------------------------------------------------------------------


def test_player_b_sees_and_touches_nothing_of_player_a(services: Store) -> None:
    services.token("player-a")
    services.token("player-b")
    order = order_for(services, "player-a")
    order_id = order["order_id"]
    assert services.deliver(paid_body(services, order_id=order_id, user="player-a")).status_code == 204
    a_list = services.get("/api/purchases", headers=bearer("player-a"))
    assert [p["order_id"] for p in json.loads(a_list.body)["data"]] == [order_id]

    as_b = bearer("player-b")
    for response in (
        services.get(f"/api/orders/{order_id}", headers=as_b),
        services.post(f"/api/dev/orders/{order_id}/pay", headers=as_b),
    ):
        assert response.status_code == 404 and error_code(response.body) == "NOT_FOUND"
        assert_secured(response)
    b_list = services.get("/api/purchases", headers={**as_b, "If-None-Match": a_list.headers["etag"]})
    assert b_list.status_code == 200 and json.loads(b_list.body)["data"] == []
    assert [o.status for o in services.rows(Order)] == ["paid"]


@pytest.mark.parametrize(
    "extra",
    [{"status": "paid"}, {"user_id": "player-b"}, {"amount": "0.01"}, {"price": "0.01"}, {"order_id": 1}, {"x": 1}],
)
def test_unknown_fields_in_an_order_are_rejected(services: Store, extra: dict[str, Any]) -> None:
    item = services.item("skin-void-wings")
    response = services.post("/api/orders", {"item_id": item["id"], "quantity": 1, **extra}, headers=bearer("p"))
    assert response.status_code == 400 and error_code(response.body) == "VALIDATION_ERROR"
    assert services.rows(Order) == []


@pytest.mark.parametrize("claims", [{"user_id": "player-b"}, {"sub": "player-b"}, {"token": "x"}])
def test_the_demo_login_cannot_be_asked_for_another_user(services: Store, claims: dict[str, Any]) -> None:
    response = services.post("/api/session", claims)
    assert response.status_code == 400 and error_code(response.body) == "VALIDATION_ERROR"


# ---- tokens ----------------------------------------------------------------------------------


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned_token(claims: dict[str, Any]) -> str:
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."


def _claims(user: str) -> dict[str, Any]:
    from chalicelib.auth import AUDIENCE, ISSUER

    now = int(time.time())
    return {"sub": user, "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE}


BAD_TOKENS: dict[str, Callable[[], dict[str, str]]] = {
    "expired": lambda: bearer("player-a", ttl=-10),
    "forged": lambda: bearer("player-a", secret="not-the-session-secret-but-32-bytes-long"),
    "alg none": lambda: {"Authorization": "Bearer " + _unsigned_token(_claims("player-a"))},
    "alg none, no dot": lambda: {"Authorization": "Bearer " + _unsigned_token(_claims("player-a"))[:-1]},
    "other audience": lambda: bearer("player-a", aud="someone-else"),
    "other issuer": lambda: bearer("player-a", iss="someone-else"),
    "no expiry": lambda: bearer("player-a", exp=None),
    "empty subject": lambda: bearer(""),
    "garbage": lambda: {"Authorization": "Bearer not.a.jwt"},
    "basic scheme": lambda: {"Authorization": "Basic cGxheWVyLWE6cGFzcw=="},
    "no token": lambda: {"Authorization": "Bearer "},
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_tokens_are_401_everywhere(services: Store, kind: str) -> None:
    services.token("player-a")
    order_id = order_for(services, "player-a")["order_id"]
    headers = BAD_TOKENS[kind]()
    for method, path, body in (
        ("GET", "/api/purchases", None),
        ("GET", f"/api/orders/{order_id}", None),
        ("POST", "/api/orders", {"item_id": 1, "quantity": 1}),
        ("POST", f"/api/dev/orders/{order_id}/pay", None),
    ):
        response = services.request(method, path, body=body, headers=headers)
        assert response.status_code == 401, (kind, path, response.body)
        assert error_code(response.body) == "UNAUTHORIZED" and response.headers["www-authenticate"]
        assert_secured(response)
    assert len(services.rows(Order)) == 1


# ---- configuration ---------------------------------------------------------------------------

PROD = {"STAGE": "prod", "DATABASE_URL": "postgresql://db/store", "SESSION_SECRET": SESSION_SECRET}


@pytest.mark.parametrize("secret", ["", " ", "\t\n"])
def test_prod_refuses_an_empty_webhook_secret(secret: str) -> None:
    with pytest.raises(config.ConfigError, match="XSOLLA_WEBHOOK_SECRET"):
        config.load_settings({**PROD, "XSOLLA_WEBHOOK_SECRET": secret})


@pytest.mark.parametrize("secret", ["", " " * 40, "short"])
def test_prod_refuses_an_empty_or_short_session_secret(secret: str) -> None:
    with pytest.raises(config.ConfigError, match="SESSION_SECRET"):
        config.load_settings({**PROD, "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET, "SESSION_SECRET": secret})


def test_prod_starts_with_real_secrets() -> None:
    settings = config.load_settings({**PROD, "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET})
    assert settings.webhook_secret == WEBHOOK_SECRET and not settings.dev_tools


@pytest.mark.parametrize("stage", ["localstack", "prod"])
def test_dev_routes_are_404_outside_the_local_stage(app_with: Callable[..., Store], stage: str) -> None:
    store = app_with(STAGE=stage)
    store.token("player-a")
    order_id = order_for(store, "player-a")["order_id"]
    response = store.post(f"/api/dev/orders/{order_id}/pay", headers=bearer("player-a"))
    assert response.status_code == 404 and error_code(response.body) == "NOT_FOUND"
    assert_secured(response)
    assert json.loads(store.get("/api/config").body)["dev_tools"] is False
    assert [o.status for o in store.rows(Order)] == ["pending"]
    assert store.post("/api/session", {}).status_code == (404 if stage == "prod" else 201)


def test_the_app_is_not_in_debug_mode() -> None:
    from app import app

    assert app.debug is False


# ---- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**6, 1.5, "1", True, None, [1]])
def test_quantity_outside_1_to_99_or_not_an_integer_is_400(services: Store, quantity: Any) -> None:
    item = services.item("gems-pouch-100")
    response = services.post("/api/orders", {"item_id": item["id"], "quantity": quantity}, headers=bearer("p"))
    assert response.status_code == 400 and error_code(response.body) == "VALIDATION_ERROR"
    assert services.rows(Order) == []


def test_quantity_99_is_the_largest_order(services: Store) -> None:
    assert order_for(services, "p", sku="gems-pouch-100", quantity=99)["amount"] == "98.01"


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=-1", "limit=1e3", "offset=-1", "offset=100001", "limit=10&limit=20"]
)
def test_page_size_and_offset_are_bounded(services: Store, query: str) -> None:
    for path in ("/api/items", "/api/purchases"):
        response = services.get(f"{path}?{query}", headers=bearer("p"))
        assert response.status_code == 400 and error_code(response.body) == "VALIDATION_ERROR", (path, query)


@pytest.mark.parametrize("path", ["/api/orders", "/api/session", "/api/webhooks/payment"])
def test_bodies_over_64_kib_are_413(services: Store, path: str) -> None:
    body = b'{"pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    response = services.post(path, body, headers=bearer("p"))
    assert response.status_code == 413
    assert_secured(response)
    assert services.rows(Order) == []


def test_webhook_item_lists_are_bounded(services: Store) -> None:
    payload = json.loads(paid_body(services))
    payload["items"] = payload["items"] * 101
    response = services.deliver(json.dumps(payload).encode())
    assert response.status_code == 400 and error_code(response.body) == "INVALID_PARAMETER"


def test_ids_past_their_columns(services: Store) -> None:
    assert services.get(f"/api/items/{2**31}").status_code == 404
    assert services.get(f"/api/orders/{2**63}", headers=bearer("p")).status_code == 404
    response = services.post("/api/orders", {"item_id": 2**31, "quantity": 1}, headers=bearer("p"))
    assert response.status_code == 400 and error_code(response.body) == "VALIDATION_ERROR"


# ---- rate limit ------------------------------------------------------------------------------


def test_order_creation_is_rate_limited_per_user_through_redis(
    app_with: Callable[..., Store], suite_redis: RedisServer
) -> None:
    store = app_with(ORDER_RATE_LIMIT_PER_MINUTE="3")
    if time.time() % 60 > 57:  # the limit is a fixed one-minute window: start in a fresh one
        time.sleep(61 - time.time() % 60)
    for _ in range(3):
        order_for(store, "flooder")
    limited = store.post("/api/orders", {"item_id": store.item("skin-ember-blade")["id"]}, headers=bearer("flooder"))
    assert limited.status_code == 429 and error_code(limited.body) == "RATE_LIMITED"
    assert 1 <= int(limited.headers["retry-after"]) <= 61
    assert_secured(limited)
    order_for(store, "someone-else")

    from chalicelib import cache

    cache.reset_cache()  # a second app instance: the count lives in Redis, not in the process
    again = store.post("/api/orders", {"item_id": store.item("skin-ember-blade")["id"]}, headers=bearer("flooder"))
    assert again.status_code == 429
    assert list(suite_redis.client().scan_iter(match="*:rate}:orders:flooder:*"))
    assert len([o for o in store.rows(Order) if o.user_id == "flooder"]) == 3


# ---- what leaks ------------------------------------------------------------------------------


def test_webhook_processing_logs_no_secrets_and_no_personal_data(
    services: Store, caplog: pytest.LogCaptureFixture
) -> None:
    email = "jane.doe.4711@example.org"
    token = bearer("test-user")["Authorization"]
    caplog.set_level(logging.DEBUG)
    sent: list[bytes] = []
    order_id = xsolla_payloads.new_order_id()
    for kind, user in (("order_paid", "test-user"), ("order_paid", "test-user"), ("order_canceled", "test-user")):
        payload = json.loads(paid_body(services, order_id=order_id, kind=kind, user=user))
        payload["user"]["email"] = email
        sent.append(json.dumps(payload).encode())
    unknown_user = json.loads(paid_body(services))
    unknown_user["user"] = {"external_id": "ghost", "email": email}
    sent.append(json.dumps(unknown_user).encode())
    invalid = json.loads(paid_body(services))
    invalid["user"]["email"] = email
    invalid["order"]["id"] = email
    sent.append(json.dumps(invalid).encode())
    statuses = [services.deliver(body).status_code for body in sent]
    statuses.append(services.deliver(sent[0], secret="wrong-secret").status_code)
    statuses.append(services.get("/api/purchases", headers={"Authorization": token}).status_code)
    assert statuses == [204, 204, 204, 400, 400, 400, 200]

    logged = "\n".join(
        record.getMessage() + (record.exc_text or "") + str(getattr(record, "args", "")) for record in caplog.records
    )
    assert "webhook processed" in logged and "webhook rejected" in logged
    secrets = [email, WEBHOOK_SECRET, SESSION_SECRET, token.split(" ", 1)[1]]
    secrets += [signatures.sign(body, WEBHOOK_SECRET)["Authorization"].split(" ", 1)[1] for body in sent]
    for secret in secrets:
        assert secret not in logged
    assert "payment_method_name" not in logged and "invoice_id" not in logged


def test_an_internal_fault_answers_our_error_body_with_nothing_of_the_cause(
    new_postgres_database: Any,
    suite_redis: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A schema that drifted from the code (a migration not applied): a real ProgrammingError."""
    from sqlalchemy import text

    from chalicelib.db import transaction

    stack = Stack("services", new_postgres_database(), suite_redis.url)
    configure(monkeypatch, stack)
    wipe_and_seed()
    store = Store(stack)
    with transaction() as session:
        session.execute(text("ALTER TABLE items RENAME COLUMN sku TO stock_code"))
    caplog.set_level(logging.DEBUG)
    listed = store.get("/api/items?q=Ember")
    assert listed.status_code == 500 and error_code(listed.body) == "INTERNAL_ERROR"
    assert_secured(listed)
    webhook = store.deliver(paid_body_without_lookup())
    assert webhook.status_code >= 500 and error_code(webhook.body) == "SERVER_ERROR"
    assert_clean_body(webhook.body)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "ProgrammingError" in logged
    assert "webhook failed with DatabaseError" in logged
    for leak in ("Traceback", "SELECT", "stock_code", "store_grant_order_paid"):
        assert leak not in logged
    from chalicelib import db

    db.reset_engine()


def paid_body_without_lookup() -> bytes:
    payload = xsolla_payloads.order_notification(
        "order_paid",
        order_id=xsolla_payloads.new_order_id(),
        user_id="test-user",
        lines=[xsolla_payloads.Line(sku="skin-ember-blade", quantity=1, amount=Decimal("4.99"))],
    )
    return xsolla_payloads.encode(payload)


# ---- over HTTP: headers, hostile bytes, the dev server's own answers -------------------------


def raw_request(server: Server, method: str, path: str, headers: dict[str, Any], body: bytes = b"") -> Any:
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=10)
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in {**headers, "Content-Length": str(len(body))}.items():
        connection.putheader(name, value)
    connection.endheaders(body)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Signature é" + "a" * 39},
        {"Authorization": ("Signature " + "é" * 40).encode("utf-8")},
        {"webhook-id": "msg_1", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,ü".encode()},
        {"webhook-id": "msg_é".encode(), "webhook-timestamp": "１２３".encode(), "webhook-signature": "v1,abc"},
    ],
)
def test_non_ascii_signature_headers_are_400_over_http(live_app: Server, headers: dict[str, Any]) -> None:
    body = xsolla_payloads.encode(xsolla_payloads.user_validation("test-user"))
    status, sent_headers, payload = raw_request(
        live_app, "POST", "/api/webhooks/payment", {"Content-Type": "application/json", **headers}, body
    )
    assert status == 400 and error_code(payload) == "INVALID_SIGNATURE"
    assert REQUIRED_SECURITY_HEADERS <= set(sent_headers)


def test_every_kind_of_response_carries_the_security_headers(live_app: Server) -> None:
    base = live_app.base_url
    token = bearer("header-check")
    item = json.loads(http(base, "GET", "/api/items?limit=1").body)["data"][0]
    etag = http(base, "GET", "/api/items").headers["etag"]
    body = xsolla_payloads.encode(xsolla_payloads.user_validation("test-user"))
    seen = {}
    for label, method, path, payload, headers in (
        ("200 json", "GET", "/api/items", None, {}),
        ("304", "GET", "/api/items", None, {"If-None-Match": etag}),
        ("201", "POST", "/api/orders", json.dumps({"item_id": item["id"]}).encode(), token),
        ("204 webhook", "POST", "/api/webhooks/payment", body, signatures.sign(body, WEBHOOK_SECRET)),
        ("400", "GET", "/api/items?limit=0", None, {}),
        ("401", "GET", "/api/purchases", None, {}),
        ("404", "GET", "/api/items/999999", None, {}),
        ("405", "DELETE", "/api/items", None, {}),
        ("405 TRACE", "TRACE", "/api/items", None, {}),
        ("413", "POST", "/api/orders", b"x" * (MAX_BODY_BYTES + 1), token),
        ("415", "POST", "/api/orders", b"item_id=1", {**token, "Content-Type": "text/plain"}),
        ("403 unknown path", "GET", "/nowhere", None, {}),
        ("static index", "GET", "/", None, {}),
        ("static asset", "GET", "/assets/app-1234.js", None, {}),
        ("static favicon", "GET", "/favicon.ico", None, {"Accept": "*/*"}),
        ("binary without Accept", "GET", "/favicon.ico", None, {"Accept": "text/html"}),
        ("static missing", "GET", "/assets/nope.js", None, {}),
        ("health", "GET", "/api/health", None, {}),
        ("openapi", "GET", "/api/openapi.json", None, {}),
    ):
        status, sent_headers, answer = raw_request(
            live_app, method, path, {"Content-Type": "application/json", **headers}, payload or b""
        )
        seen[label] = status
        missing = REQUIRED_SECURITY_HEADERS - set(sent_headers)
        assert not missing, (label, status, missing)
        assert_clean_body(answer)
    assert seen == {
        "200 json": 200,
        "304": 304,
        "201": 201,
        "204 webhook": 204,
        "400": 400,
        "401": 401,
        "404": 404,
        "405": 405,
        "405 TRACE": 405,
        "413": 413,
        "415": 415,
        "403 unknown path": 403,
        "static index": 200,
        "static asset": 200,
        "static favicon": 200,
        "binary without Accept": 400,
        "static missing": 404,
        "health": 200,
        "openapi": 200,
    }


def test_the_live_server_logged_no_traceback_and_no_secret(live_app: Server) -> None:
    log = live_app.log_path.read_text()
    assert server_tracebacks(log) == []
    for leak in (WEBHOOK_SECRET, SESSION_SECRET, "@example.com"):
        assert leak not in log


def test_a_blank_secret_from_secrets_manager_verifies_nothing(services: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The prod stage reads the webhook secret from Secrets Manager (moto stands in for AWS here):
    a blank value is refused at use, and Xsolla is told to retry rather than to give up."""
    import boto3
    from moto import mock_aws

    from chalicelib import aws_secrets

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(aws_secrets, "_values", {})
    monkeypatch.setattr(aws_secrets, "_clients", {})
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(Name="store/webhook", SecretString=" \n")["ARN"]
        monkeypatch.setenv("XSOLLA_WEBHOOK_SECRET", "")
        monkeypatch.setenv("XSOLLA_WEBHOOK_SECRET_ARN", arn)
        config.reset_settings()
        with pytest.raises(aws_secrets.SecretError, match="empty"):
            aws_secrets.get_secret(arn)
        body = xsolla_payloads.encode(xsolla_payloads.user_validation("test-user"))
        for secret in (" \n", " ", ""):
            response = services.deliver(body, secret=secret)
            assert response.status_code >= 500, response.body
            assert_clean_body(response.body)
