"""schemathesis against the OpenAPI document, every case sent over HTTP to a real `chalice local`
on Postgres + Redis (Chalice is neither WSGI nor ASGI, so there is no in-process transport).

All of schemathesis's checks run: no server errors; status codes, content types, headers and
bodies as documented; invalid input rejected; undeclared methods answered 405; secured operations
refusing a missing or wrong token; valid input accepted where the schema can say what valid is."""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from chalicelib import openapi, signatures
from tests.conftest import WEBHOOK_SECRET, Server
from tests.reliability.support import FIGURES, assert_clean_body, bearer, http, server_tracebacks

PROFILE = settings.get_profile("reliability")

# The document is generated in process from the same pydantic models the code validates with;
# a test below proves the server serves exactly this document. Bearer auth goes through
# schemathesis's own config, so its negative cases (no token, a wrong token) stay negative.
#
# positive_data_acceptance ("schema-valid means accepted") cannot hold where acceptance depends on
# what no schema can say: the catalogue (an order's item_id must exist), a cross-field rule
# (min_price <= max_price), or the webhook's users, catalogue and amounts, whose rejection is
# Xsolla's documented 400. Every other check runs on them; the fuzz suite covers the webhook.
DATA_DEPENDENT = ("createOrder", "listItems", "paymentWebhook")
schema = schemathesis.openapi.from_dict(
    openapi.document(),
    config=SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"bearer": {"bearer": bearer("schema-player")["Authorization"].split(" ", 1)[1]}}},
            "operations": [
                {"include-operation-id": operation, "checks": {"positive_data_acceptance": {"enabled": False}}}
                for operation in DATA_DEPENDENT
            ],
        }
    ),
)


def webhook_signature(case: Any) -> dict[str, str]:
    """Sign the bytes schemathesis will send (requests serialises ``json=`` with json.dumps), so
    that generated notifications reach the parser and the rules instead of stopping at the
    signature check."""
    if case.operation.path != "/api/webhooks/payment" or case.headers and "Authorization" in case.headers:
        return {}
    try:
        raw = json.dumps(case.body, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return {}
    return signatures.sign(raw, WEBHOOK_SECRET, signatures.HMAC_SHA256)


@schema.parametrize()
@settings(PROFILE, max_examples=max(PROFILE.max_examples // 4, 25))
def test_every_operation_conforms_to_the_document(case: Any, live_app: Server) -> None:
    FIGURES["schemathesis_calls"] += 1
    response = case.call_and_validate(base_url=live_app.base_url, headers=webhook_signature(case), timeout=15)
    assert_clean_body(response.content)


def test_the_served_document_is_the_generated_one(live_app: Server) -> None:
    reply = http(live_app.base_url, "GET", "/api/openapi.json")
    assert reply.status == 200 and json.loads(reply.body) == openapi.document()


def test_the_server_logged_no_traceback(live_app: Server) -> None:
    assert server_tracebacks(live_app.log_path.read_text()) == []
