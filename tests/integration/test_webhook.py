"""POST /api/webhooks/payment, through the Chalice app, on SQLite+memory and Postgres+Redis."""

import json
import time
from decimal import Decimal

from chalicelib import xsolla_payloads
from chalicelib.models import Order, Purchase, WebhookEvent
from chalicelib.signatures import HMAC_SHA256
from tests.conftest import WEBHOOK_SECRET, paid_body


def error_code(response):
    return json.loads(response.body)["error"]["code"]


def test_order_paid_grants_the_item(store):
    body = paid_body(store, quantity=2)
    response = store.deliver(body)
    assert response.status_code == 204 and response.body == b""
    [purchase] = store.rows(Purchase)
    assert (purchase.user_id, purchase.quantity, purchase.amount, purchase.status) == (
        "test-user",
        2,
        Decimal("9.98"),
        "paid",
    )
    [order] = store.rows(Order)
    assert order.status == "paid" and order.paid_at is not None


def test_standard_webhooks_scheme_grants_too(store):
    response = store.deliver(paid_body(store), scheme=HMAC_SHA256)
    assert response.status_code == 204
    assert len(store.rows(Purchase)) == 1


def test_duplicate_delivery_is_204_and_grants_nothing_more(store):
    body = paid_body(store)
    assert [store.deliver(body).status_code for _ in range(3)] == [204, 204, 204]
    assert len(store.rows(Purchase)) == 1
    outcomes = sorted(e.outcome for e in store.rows(WebhookEvent))
    assert outcomes == ["duplicate", "duplicate", "granted"]


def test_missing_signature_header(store):
    response = store.post("/api/webhooks/payment", paid_body(store))
    assert response.status_code == 400 and error_code(response) == "INVALID_SIGNATURE"
    assert store.rows(Purchase) == []


def test_malformed_signature_header(store):
    response = store.deliver(paid_body(store), headers={"Authorization": "Signature xyz"})
    assert response.status_code == 400 and error_code(response) == "INVALID_SIGNATURE"


def test_non_ascii_signature_header_is_400_not_500(store):
    response = store.deliver(paid_body(store), headers={"Authorization": "Signature é" + "a" * 39})
    assert response.status_code == 400 and error_code(response) == "INVALID_SIGNATURE"


def test_wrong_secret(store):
    response = store.deliver(paid_body(store), secret="not-the-secret")
    assert response.status_code == 400 and error_code(response) == "INVALID_SIGNATURE"
    assert store.rows(Purchase) == []


def test_tampered_byte(store):
    body = paid_body(store)
    from chalicelib.signatures import sign

    headers = sign(body, WEBHOOK_SECRET)
    response = store.deliver(body.replace(b'"quantity":1', b'"quantity":9'), headers=headers)
    assert response.status_code == 400 and error_code(response) == "INVALID_SIGNATURE"
    assert store.rows(Purchase) == []


def test_stale_timestamp(store):
    from chalicelib.signatures import sign

    body = paid_body(store)
    headers = sign(body, WEBHOOK_SECRET, HMAC_SHA256, timestamp=int(time.time()) - 301)
    response = store.deliver(body, headers=headers)
    assert response.status_code == 400 and error_code(response) == "INVALID_SIGNATURE"


def test_every_rejected_delivery_leaves_an_audit_row(store):
    store.deliver(paid_body(store), secret="wrong")
    [event] = store.rows(WebhookEvent)
    assert (event.status_code, event.error_code, event.outcome) == (400, "INVALID_SIGNATURE", "rejected")
    assert len(event.body_sha256) == 64


def test_bad_json_after_a_valid_signature(store):
    response = store.deliver(b'{"notification_type": "order_paid",')
    assert response.status_code == 400 and error_code(response) == "INVALID_PARAMETER"


def test_json_that_is_not_an_object(store):
    response = store.deliver(b'["order_paid"]')
    assert response.status_code == 400 and error_code(response) == "INVALID_PARAMETER"


def test_missing_fields(store):
    response = store.deliver(json.dumps({"notification_type": "order_paid", "order": {"id": 5}}).encode())
    assert response.status_code == 400 and error_code(response) == "INVALID_PARAMETER"


def test_order_id_beyond_bigint_is_invalid_parameter(store):
    payload = json.loads(paid_body(store))
    payload["order"]["id"] = 2**63
    response = store.deliver(json.dumps(payload).encode())
    assert response.status_code == 400 and error_code(response) == "INVALID_PARAMETER"


def test_unknown_user(store):
    response = store.deliver(paid_body(store, user="nobody"))
    assert response.status_code == 400 and error_code(response) == "INVALID_USER"
    assert store.rows(Order) == []


def test_unknown_sku(store):
    payload = json.loads(paid_body(store))
    payload["items"][0]["sku"] = "no-such-sku"
    response = store.deliver(json.dumps(payload).encode())
    assert response.status_code == 400 and error_code(response) == "INVALID_PARAMETER"


def test_incorrect_line_amount(store):
    response = store.deliver(paid_body(store, quantity=2, amount="4.99"))
    assert response.status_code == 400 and error_code(response) == "INCORRECT_AMOUNT"
    assert store.rows(Purchase) == [] and store.rows(Order) == []


def test_incorrect_currency(store):
    payload = json.loads(paid_body(store))
    payload["order"]["currency"] = "EUR"
    response = store.deliver(json.dumps(payload).encode())
    assert response.status_code == 400 and error_code(response) == "INCORRECT_AMOUNT"


def test_incorrect_order_total(store):
    payload = json.loads(paid_body(store))
    payload["order"]["amount"] = "100.0000"
    response = store.deliver(json.dumps(payload).encode())
    assert response.status_code == 400 and error_code(response) == "INCORRECT_AMOUNT"


def test_amounts_with_four_decimals_compare_as_decimals(store):
    payload = json.loads(paid_body(store, sku="power-xp-boost-1h"))
    assert payload["items"][0]["amount"] == "1.9900"
    assert store.deliver(json.dumps(payload).encode()).status_code == 204


def test_notification_that_does_not_match_our_pending_order(store):
    token = store.token()
    item = store.item("skin-ember-blade")
    order = json.loads(store.post("/api/orders", {"item_id": item["id"], "quantity": 1}, token=token).body)
    wrong_quantity = paid_body(store, order_id=order["order_id"], quantity=2)
    response = store.deliver(wrong_quantity)
    assert response.status_code == 400 and error_code(response) == "INCORRECT_INVOICE"
    store.token("someone-else")
    other_user = paid_body(store, order_id=order["order_id"], user="someone-else")
    assert error_code(store.deliver(other_user)) == "INCORRECT_INVOICE"
    assert store.rows(Purchase) == []
    assert store.deliver(paid_body(store, order_id=order["order_id"])).status_code == 204
    assert json.loads(store.get(f"/api/orders/{order['order_id']}", token=token).body)["status"] == "paid"


def test_realistic_payload_with_unmodelled_fields_is_accepted(store):
    payload = json.loads(paid_body(store, sku="gems-chest-550"))
    payload["order"]["mode"] = "sandbox"
    payload["items"][0]["custom_attributes"] = {"purchased": 0, "attr": "value"}
    payload["items"][0]["promotions"] = [
        {"amount_without_discount": "6.0000", "amount_with_discount": "4.9900", "sequence": 1}
    ]
    payload["future_field"] = {"nested": [1, 2, 3]}
    payload["billing"]["payment_details"]["payout_currency_rate"] = 1
    response = store.deliver(json.dumps(payload, indent=2, ensure_ascii=False).encode())
    assert response.status_code == 204
    [order] = store.rows(Order)
    assert order.mode == "sandbox"


def test_sandbox_orders_are_recorded_but_not_granted_when_disabled(store, monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("ACCEPT_SANDBOX_ORDERS", "false")
    config.reset_settings()
    response = store.deliver(paid_body(store))
    assert response.status_code == 204
    assert store.rows(Purchase) == []
    assert [e.outcome for e in store.rows(WebhookEvent)] == ["ignored_sandbox"]


def test_order_canceled_revokes_the_purchase(store):
    order_id = xsolla_payloads.new_order_id()
    assert store.deliver(paid_body(store, order_id=order_id)).status_code == 204
    cancel = paid_body(store, order_id=order_id, kind="order_canceled")
    assert store.deliver(cancel).status_code == 204
    assert store.deliver(cancel).status_code == 204
    [purchase] = store.rows(Purchase)
    assert purchase.status == "canceled"
    [order] = store.rows(Order)
    assert order.status == "canceled" and order.canceled_at is not None


def test_cancel_arriving_before_payment_means_the_late_payment_grants_nothing(store):
    order_id = xsolla_payloads.new_order_id()
    assert store.deliver(paid_body(store, order_id=order_id, kind="order_canceled")).status_code == 204
    assert store.deliver(paid_body(store, order_id=order_id)).status_code == 204
    assert store.rows(Purchase) == []
    assert store.rows(Order)[0].status == "canceled"
    outcomes = sorted(e.outcome for e in store.rows(WebhookEvent))
    assert outcomes == ["canceled_before_paid", "ignored_canceled"]


def test_user_validation(store):
    known = xsolla_payloads.encode(xsolla_payloads.user_validation("test-user"))
    assert store.deliver(known).status_code == 204
    unknown = store.deliver(xsolla_payloads.encode(xsolla_payloads.user_validation("ghost")))
    assert unknown.status_code == 400 and error_code(unknown) == "INVALID_USER"


def test_payment_refund_and_unknown_types_are_recorded_and_grant_nothing(store):
    for kind in ("payment", "refund", "something_new"):
        body = json.dumps({"notification_type": kind, "transaction": {"id": 1}}).encode()
        assert store.deliver(body).status_code == 204
    assert store.rows(Purchase) == []
    assert sorted(e.notification_type for e in store.rows(WebhookEvent)) == ["payment", "refund", "something_new"]


def test_body_over_64_kib_is_413_before_anything_else(store):
    body = b'{"notification_type":"payment","pad":"' + b"x" * 70_000 + b'"}'
    response = store.post("/api/webhooks/payment", body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413


def test_a_webhook_invalidates_the_purchases_cache(store):
    token = store.token()
    assert json.loads(store.get("/api/purchases", token=token).body)["page"]["total"] == 0
    assert store.deliver(paid_body(store)).status_code == 204
    assert json.loads(store.get("/api/purchases", token=token).body)["page"]["total"] == 1


def test_the_local_pay_button_goes_through_the_real_webhook(store):
    token = store.token()
    item = store.item("power-loot-magnet")
    order = json.loads(store.post("/api/orders", {"item_id": item["id"], "quantity": 3}, token=token).body)
    paid = store.post(f"/api/dev/orders/{order['order_id']}/pay", token=token)
    assert paid.status_code == 200
    assert json.loads(paid.body) == {"order_id": order["order_id"], "status": "paid", "webhook_status": 204}
    [event] = store.rows(WebhookEvent)
    assert event.outcome == "granted" and event.scheme == "xsolla"
    assert store.rows(Purchase)[0].quantity == 3


def test_control_characters_in_stored_fields_are_invalid_parameter_not_a_retry(store):
    for field in ("sku", "external_id"):
        payload = json.loads(paid_body(store))
        if field == "sku":
            payload["items"][0]["sku"] = "skin\x00ember"
        else:
            payload["user"]["external_id"] = "test\x00user"
        response = store.deliver(json.dumps(payload).encode())
        assert response.status_code == 400 and error_code(response) == "INVALID_PARAMETER"


def test_a_payment_for_someone_elses_order_is_incorrect_invoice_even_without_lines(store):
    order_id = xsolla_payloads.new_order_id()
    store.token("player-two")
    assert store.deliver(paid_body(store, order_id=order_id, kind="order_canceled")).status_code == 204
    response = store.deliver(paid_body(store, order_id=order_id, user="player-two"))
    assert response.status_code == 400 and error_code(response) == "INCORRECT_INVOICE"
