"""Items, sessions, purchases, orders, health and the error contract, on both stacks."""

import json

import pytest

from chalicelib import xsolla_payloads
from tests.conftest import paid_body


def body(response):
    return json.loads(response.body)


def assert_error(response, status, code):
    assert response.status_code == status, response.body
    error = body(response)["error"]
    assert error["code"] == code and error["message"]
    assert b"Traceback" not in response.body


def test_items_default_page(store):
    page = body(store.get("/api/items"))
    assert page["page"] == {"limit": 20, "offset": 0, "total": 12}
    names = [item["name"] for item in page["data"]]
    assert names == sorted(names)
    item = page["data"][0]
    assert set(item) == {"id", "sku", "name", "description", "type", "price", "currency", "image_url", "created_at"}
    assert isinstance(item["price"], str) and item["currency"] == "USD"


def test_items_pagination_is_stable_and_complete(store):
    seen = []
    for offset in range(0, 12, 5):
        seen += [i["sku"] for i in body(store.get(f"/api/items?limit=5&offset={offset}"))["data"]]
    assert len(seen) == len(set(seen)) == 12


def test_items_search_type_price_and_sort(store):
    assert [i["sku"] for i in body(store.get("/api/items?q=GEMS&sort=price"))["data"]] == [
        "gems-pouch-100",
        "gems-chest-550",
        "gems-vault-1200",
    ]
    skins = body(store.get("/api/items?type=skin&sort=-price"))["data"]
    assert [i["type"] for i in skins] == ["skin"] * 4
    assert [i["price"] for i in skins] == ["12.99", "9.99", "7.99", "4.99"]
    cheap = body(store.get("/api/items?min_price=0.99&max_price=1.99"))
    assert {i["price"] for i in cheap["data"]} <= {"0.99", "1.99"} and cheap["page"]["total"] == 3


def test_search_treats_wildcards_literally(store):
    assert body(store.get("/api/items?q=%25"))["page"]["total"] == 0
    assert body(store.get("/api/items?q=_"))["page"]["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "offset=-1",
        "type=weapon",
        "sort=cost",
        "min_price=-1",
        "min_price=5&max_price=1",
        "min_price=NaN",
        "q=" + "x" * 65,
        "unknown=1",
        "limit=5&limit=6",
    ],
)
def test_malformed_item_queries_are_400_with_details(store, query):
    response = store.get(f"/api/items?{query}")
    assert_error(response, 400, "VALIDATION_ERROR")


def test_items_etag_and_304(store):
    first = store.get("/api/items?limit=3")
    etag = first.headers["etag"]
    again = store.get("/api/items?limit=3", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.body == b""
    other = store.get("/api/items?limit=4", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_item_by_id(store):
    item = store.item("skin-neon-ronin")
    assert body(store.get(f"/api/items/{item['id']}")) == item
    assert_error(store.get("/api/items/999999"), 404, "NOT_FOUND")
    assert_error(store.get("/api/items/abc"), 404, "NOT_FOUND")


def test_session_issues_a_bearer_token_for_the_test_user(store):
    response = store.post("/api/session", {})
    assert response.status_code == 201
    session = body(response)
    assert session["user"] == {"id": "test-user"} and session["expires_at"].endswith("Z")
    assert body(store.get("/api/purchases", token=session["token"]))["data"] == []


def test_session_rejects_unknown_fields(store):
    assert_error(store.post("/api/session", {"user_id": "admin"}), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer not-a-jwt"}]
)
def test_purchases_require_a_valid_bearer_token(store, headers):
    response = store.get("/api/purchases", headers=headers)
    assert_error(response, 401, "UNAUTHORIZED")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_purchases_are_the_callers_own_and_filterable(store):
    store.token("player-two")
    mine, theirs = xsolla_payloads.new_order_id(), xsolla_payloads.new_order_id()
    assert store.deliver(paid_body(store, order_id=mine)).status_code == 204
    assert store.deliver(paid_body(store, order_id=theirs, user="player-two", sku="gems-pouch-100")).status_code == 204
    assert store.deliver(paid_body(store, order_id=mine, kind="order_canceled")).status_code == 204
    own = body(store.get("/api/purchases", token=store.token()))
    assert [p["order_id"] for p in own["data"]] == [mine]
    purchase = own["data"][0]
    assert set(purchase) == {"id", "order_id", "item", "quantity", "amount", "currency", "status", "purchased_at"}
    assert purchase["status"] == "canceled" and purchase["purchased_at"].endswith("Z")
    assert body(store.get("/api/purchases?status=paid", token=store.token()))["data"] == []
    other = body(store.get("/api/purchases", token=store.token("player-two")))
    assert [p["order_id"] for p in other["data"]] == [theirs]


def test_purchases_etag_changes_when_a_webhook_lands(store):
    token = store.token()
    etag = store.get("/api/purchases", token=token).headers["etag"]
    assert store.get("/api/purchases", token=token, headers={"If-None-Match": etag}).status_code == 304
    store.deliver(paid_body(store))
    assert store.get("/api/purchases", token=token, headers={"If-None-Match": etag}).status_code == 200


def test_create_and_read_an_order(store):
    token = store.token()
    item = store.item("power-second-wind")
    response = store.post("/api/orders", {"item_id": item["id"], "quantity": 2}, token=token)
    assert response.status_code == 201
    order = body(response)
    assert (order["status"], order["amount"], order["currency"], order["user_id"]) == (
        "pending",
        "4.98",
        "USD",
        "test-user",
    )
    assert order["items"] == [
        {"item_id": item["id"], "sku": item["sku"], "name": item["name"], "quantity": 2, "amount": "4.98"}
    ]
    assert 0 < order["order_id"] < 2**53
    assert body(store.get(f"/api/orders/{order['order_id']}", token=token))["status"] == "pending"


def test_another_user_cannot_see_my_order(store):
    item = store.item("skin-ember-blade")
    order = body(store.post("/api/orders", {"item_id": item["id"]}, token=store.token()))
    assert_error(store.get(f"/api/orders/{order['order_id']}", token=store.token("intruder")), 404, "NOT_FOUND")
    assert_error(
        store.post(f"/api/dev/orders/{order['order_id']}/pay", token=store.token("intruder")), 404, "NOT_FOUND"
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"item_id": 1, "quantity": 0},
        {"item_id": 1, "quantity": 100},
        {"item_id": "1"},
        {"quantity": 1},
        {"item_id": 1, "quantity": 1, "price": "0.01"},
        {"item_id": 1, "user_id": "someone"},
        {"item_id": 10**20},
    ],
)
def test_order_bodies_are_validated_and_extra_fields_rejected(store, payload):
    assert_error(store.post("/api/orders", payload, token=store.token()), 400, "VALIDATION_ERROR")


def test_order_for_an_unknown_item(store):
    assert_error(store.post("/api/orders", {"item_id": 999999}, token=store.token()), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("raw", [b"{bad json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_json_bodies(store, raw):
    assert_error(store.post("/api/orders", raw, token=store.token()), 400, "BAD_REQUEST")


def test_orders_need_json(store):
    response = store.post("/api/orders", b"item_id=1", token=store.token(), headers={"Content-Type": "text/plain"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_unknown_order_ids_are_404(store):
    token = store.token()
    for raw in ("12345", "abc", "99999999999999999999", "0"):
        assert_error(store.get(f"/api/orders/{raw}", token=token), 404, "NOT_FOUND")


def test_wrong_method_is_405_with_our_body(store):
    response = store.request("DELETE", "/api/items")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]


def test_dev_route_is_404_outside_the_local_stage(store, monkeypatch):
    token = store.token()
    item = store.item("skin-ember-blade")
    order = body(store.post("/api/orders", {"item_id": item["id"]}, token=token))
    from chalicelib import config

    monkeypatch.setenv("STAGE", "localstack")
    monkeypatch.setenv("XSOLLA_WEBHOOK_SECRET", "x" * 32)
    monkeypatch.setenv("SESSION_SECRET", "s" * 32)
    config.reset_settings()
    token = store.token()
    assert_error(store.post(f"/api/dev/orders/{order['order_id']}/pay", token=token), 404, "NOT_FOUND")
    assert body(store.get("/api/config"))["dev_tools"] is False


def test_health(store):
    response = store.get("/api/health")
    expected_cache = "ok" if store.stack.redis_url else "disabled"
    assert response.status_code == 200
    assert body(response) == {"status": "ok", "database": "ok", "cache": expected_cache}


def test_security_headers_on_success_and_errors(store):
    for response in (store.get("/api/items"), store.get("/api/items?limit=0"), store.request("PUT", "/api/items")):
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]


def test_openapi_documents_every_route_from_the_models(store):
    from app import app

    spec = body(store.get("/api/openapi.json"))
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routes = {(path, method) for path, methods in app.routes.items() for method in methods if path.startswith("/api/")}
    assert routes == documented
    item_schema = spec["components"]["schemas"]["ItemOut"]
    assert {"id", "sku", "price", "currency"} <= set(item_schema["properties"])
    order_create = spec["components"]["schemas"]["OrderCreate"]
    assert order_create.get("additionalProperties") is False


def test_rate_limit_on_order_creation(store, monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("ORDER_RATE_LIMIT_PER_MINUTE", "3")
    config.reset_settings()
    token = store.token("rate-limited-user")
    item = store.item("power-loot-magnet")
    statuses = [store.post("/api/orders", {"item_id": item["id"]}, token=token).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    limited = store.post("/api/orders", {"item_id": item["id"]}, token=token)
    assert_error(limited, 429, "RATE_LIMITED")
    assert int(limited.headers["retry-after"]) >= 1


def test_demo_login_can_be_switched_off(store, monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("DEMO_LOGIN", "false")
    config.reset_settings()
    assert_error(store.post("/api/session", {}), 404, "NOT_FOUND")


def test_control_characters_in_search_are_400_not_a_database_error(store):
    assert_error(store.get("/api/items?q=ab%00cd"), 400, "VALIDATION_ERROR")
