"""Property-based abuse of the webhook (Hypothesis), in process on Postgres + Redis.

Whatever a signer sends, the answer is 204 or a final 400 with one of Xsolla's documented codes:
a 5xx would make Xsolla retry a payload that can never succeed, and a traceback would leak.
Whatever was granted is priced exactly: a mutated payload never buys an item cheaper."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from chalicelib import signatures, xsolla_payloads
from chalicelib.config import MAX_BODY_BYTES
from chalicelib.seed import EXAMPLE_ITEMS
from tests.conftest import WEBHOOK_SECRET, Store
from tests.reliability.support import DOCUMENTED_WEBHOOK_CODES, FIGURES, assert_clean_body, error_code

PROFILE = settings.get_profile("reliability")
SKUS = [(sku, kind, Decimal(price)) for sku, _, _, kind, price in EXAMPLE_ITEMS]
USERS = ["test-user", "fuzz-player", "nobody-here"]
NEST = "__nested_arrays_"
KINDS = ["order_paid", "order_canceled", "user_validation", "payment", "refund"]

awkward_text = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\ud800", "\udfff", "\u202e", "😀", "NaN", "Infinity", "1e999999", "-0", "0x10"]
) | st.text(max_size=20)
awkward_numbers = st.sampled_from([0, -1, 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63), 10**30, 1.5, -0.0])
json_values = st.recursive(
    st.none() | st.booleans() | awkward_numbers | st.integers() | st.floats(allow_nan=False) | awkward_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def parent_of(document: Any, path: tuple[Any, ...]) -> Any:
    node = document
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def valid_payloads(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    user = draw(st.sampled_from(USERS))
    if kind == "user_validation":
        return xsolla_payloads.user_validation(user)
    lines = []
    for sku, item_type, price in draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=3, unique=True)):
        quantity = draw(st.integers(1, 5))
        lines.append(xsolla_payloads.Line(sku=sku, quantity=quantity, amount=price * quantity, item_type=item_type))
    order_id = draw(st.integers(1, 2**53))
    payload = xsolla_payloads.order_notification(
        "order_paid" if kind in ("payment", "refund") else kind, order_id=order_id, user_id=user, lines=lines
    )
    if kind in ("payment", "refund"):
        payload["notification_type"] = kind
    return payload


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = draw(valid_payloads())
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(document)))
        operation = draw(st.sampled_from(["replace", "delete", "add", "nest", "grow", "retype"]))
        if operation == "retype":
            document["notification_type"] = draw(st.sampled_from(KINDS) | awkward_text)
            continue
        if not path:
            continue
        container, key = parent_of(document, path), path[-1]
        if operation == "replace":
            container[key] = draw(json_values)
        elif operation == "delete":
            del container[key]
        elif operation == "add" and isinstance(container, dict):
            container[draw(st.text(max_size=12))] = draw(json_values)
        elif operation == "nest":
            container[key] = f"{NEST}{draw(st.sampled_from([10, 500, 5_000]))}"
        elif operation == "grow" and isinstance(container[key], list) and container[key]:
            container[key] = container[key] * draw(st.sampled_from([2, 101]))
    return document


@st.composite
def encodings(draw: st.DrawFn, document: Any) -> bytes:
    style = draw(st.sampled_from(["compact", "spaced", "indented", "ascii"]))
    if style == "ascii":
        raw = json.dumps(document)
    else:
        separators = (",", ":") if style == "compact" else None
        raw = json.dumps(document, ensure_ascii=False, separators=separators, indent=2 if style == "indented" else None)
    # Nesting deeper than Python's recursion limit cannot go through json.dumps: splice it in.
    raw = re.sub(f'"{NEST}(\\d+)"', lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), raw)
    return raw.encode("utf-8", errors="surrogatepass")


def signed_headers(draw: st.DrawFn, body: bytes) -> dict[str, str]:
    return signatures.sign(body, WEBHOOK_SECRET, draw(st.sampled_from(signatures.SCHEMES)))


def post(store: Store, body: bytes, headers: dict[str, str]) -> Any:
    FIGURES["fuzz_cases"] += 1
    response = store.post("/api/webhooks/payment", body, headers={"Content-Type": "application/json", **headers})
    assert_clean_body(response.body)
    assert response.status_code < 500, (response.status_code, response.body, body[:300])
    return response


def assert_documented(response: Any, body: bytes) -> None:
    if response.status_code == 204:
        assert response.body == b""
        return
    assert response.status_code == 400, (response.status_code, response.body, body[:300])
    assert error_code(response.body) in DOCUMENTED_WEBHOOK_CODES, response.body


def assert_grants_are_priced_exactly(store: Store) -> None:
    from chalicelib.db import get_engine

    with get_engine().connect() as connection:
        mispriced = connection.execute(
            text(
                "SELECT p.id FROM purchases p JOIN items i ON i.id = p.item_id "
                "WHERE p.amount <> i.price * p.quantity OR p.currency <> i.currency"
            )
        ).all()
        ungranted = connection.execute(
            text(
                "SELECT o.id FROM orders o WHERE o.status = 'paid' AND NOT EXISTS "
                "(SELECT 1 FROM webhook_events e WHERE e.processed_key = 'order_paid:' || o.id)"
            )
        ).all()
    assert mispriced == [] and ungranted == []


def test_a_valid_signed_delivery_grants(services: Store) -> None:
    """The base the mutations start from is accepted: without this the properties below prove nothing."""
    services.token("fuzz-player")
    payload = xsolla_payloads.order_notification(
        "order_paid",
        order_id=xsolla_payloads.new_order_id(),
        user_id="fuzz-player",
        lines=[xsolla_payloads.Line(sku=SKUS[0][0], quantity=2, amount=SKUS[0][2] * 2)],
    )
    body = xsolla_payloads.encode(payload)
    assert post(services, body, signatures.sign(body, WEBHOOK_SECRET)).status_code == 204


@settings(PROFILE)
@given(data=st.data())
def test_mutated_payloads_signed_again_get_204_or_a_documented_400(services: Store, data: st.DataObject) -> None:
    services.token("fuzz-player")
    document = data.draw(mutated())
    body = data.draw(encodings(document))
    assume(len(body) <= MAX_BODY_BYTES)
    response = post(services, body, signed_headers(data.draw, body))
    assert_documented(response, body)
    assert_grants_are_priced_exactly(services)


@settings(PROFILE, max_examples=max(PROFILE.max_examples // 2, 50))
@given(body=st.binary(max_size=4096), data=st.data())
def test_arbitrary_signed_bytes_are_invalid_parameter(services: Store, body: bytes, data: st.DataObject) -> None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        parsed = None
    assume(not (isinstance(parsed, dict) and "notification_type" in parsed))
    response = post(services, body, signed_headers(data.draw, body))
    assert response.status_code == 400 and error_code(response.body) == "INVALID_PARAMETER", response.body


header_values = st.text(max_size=80) | st.builds(
    lambda n, tail: "Signature " + "0123456789abcdef"[n % 16] * n + tail,
    st.integers(0, 45),
    st.sampled_from(["", " ", "é", "\x00", "A"]),
)


@settings(PROFILE, max_examples=max(PROFILE.max_examples // 2, 50))
@given(
    body=st.binary(max_size=2048) | st.builds(xsolla_payloads.encode, valid_payloads()),
    headers=st.dictionaries(
        st.sampled_from(["Authorization", "webhook-id", "webhook-timestamp", "webhook-signature"]), header_values
    ),
)
def test_unsigned_or_badly_signed_bytes_are_invalid_signature(
    services: Store, body: bytes, headers: dict[str, str]
) -> None:
    response = post(services, body, headers)
    assert response.status_code == 400 and error_code(response.body) == "INVALID_SIGNATURE", response.body


@settings(PROFILE, max_examples=25)
@given(extra=st.integers(1, 8 * 1024), filler=st.binary(min_size=1, max_size=64), signed=st.booleans())
def test_bodies_over_64_kib_are_413(services: Store, extra: int, filler: bytes, signed: bool) -> None:
    body = (filler * (MAX_BODY_BYTES // len(filler) + 1))[:MAX_BODY_BYTES] + b"x" * extra
    headers = signatures.sign(body, WEBHOOK_SECRET) if signed else {}
    response = post(services, body, headers)
    assert response.status_code == 413


def test_json_nested_past_the_recursion_limit_is_a_400_on_every_json_route(services: Store) -> None:
    nested = b'{"notification_type":"order_paid","items":' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    FIGURES["fuzz_cases"] += 1
    webhook = services.deliver(nested)
    assert webhook.status_code == 400 and error_code(webhook.body) == "INVALID_PARAMETER"
    token = services.token()
    body = b'{"item_id":' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    for path in ("/api/orders", "/api/session"):
        response = services.post(path, body, token=token)
        assert response.status_code == 400 and error_code(response.body) == "BAD_REQUEST", response.body


def test_user_validation_for_the_longest_allowed_user_id_is_answered(services: Store) -> None:
    """A 255-character id (users.id allows it) once overflowed the 128-character audit key: 500."""
    for user in ("u" * 255, "test-user"):
        body = xsolla_payloads.encode(xsolla_payloads.user_validation(user))
        response = post(services, body, signatures.sign(body, WEBHOOK_SECRET))
        assert response.status_code == (204 if user == "test-user" else 400)
