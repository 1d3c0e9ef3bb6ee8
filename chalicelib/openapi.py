"""OpenAPI 3.1 for the whole API, generated from the pydantic models the code validates with."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib import schemas

REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "Malformed query or body",
    "401": "Missing, invalid or expired bearer token",
    "404": "Not found",
    "405": "Method not allowed",
    "413": "Body too large",
    "415": "Unsupported media type",
    "429": "Too many requests",
    "503": "A backing service is unavailable",
}
_WEBHOOK_ERRORS = {
    "400": "INVALID_SIGNATURE, INVALID_PARAMETER, INVALID_USER, INCORRECT_AMOUNT or INCORRECT_INVOICE "
    "(final for Xsolla)",
    "413": "Body over 64 KiB",
    "415": "Unsupported media type",
    "500": "Unexpected fault (Xsolla retries)",
    "503": "Database unavailable (Xsolla retries)",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*codes: str, table: dict[str, str] = _ERRORS) -> dict[str, Any]:
    return {code: _json(schemas.ErrorOut, table[code]) for code in codes}


def _query(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    return [
        {"name": name, "in": "query", "required": False, "schema": _without_null(prop)}
        for name, prop in schema["properties"].items()
    ]


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is None when it is left out; a query string has no null, and
    an empty value is not one either."""
    options = [option for option in prop.get("anyOf", []) if option != {"type": "null"}]
    if len(options) == len(prop.get("anyOf", [])):
        return prop
    rest = {key: value for key, value in prop.items() if key != "anyOf" and not (key == "default" and value is None)}
    return {**options[0], **rest} if len(options) == 1 else {"anyOf": options, **rest}


def _path_id(name: str, maximum: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum},
    }


BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
ETAG_HEADERS = {"ETag": {"schema": {"type": "string"}}}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}}


def _paths() -> dict[str, Any]:
    not_modified = {"304": {"description": "Not modified (If-None-Match matched the ETag)"}}
    return {
        "/api/items": {
            "get": {
                "summary": "List items (filter, search, sort, paginate)",
                "operationId": "listItems",
                "parameters": _query(schemas.ItemQuery) + [IF_NONE_MATCH],
                "responses": {
                    "200": {**_json(schemas.ItemList, "A page of items"), "headers": ETAG_HEADERS},
                    **not_modified,
                    **_errors("400", "503"),
                },
            }
        },
        "/api/items/{item_id}": {
            "get": {
                "summary": "One item",
                "operationId": "getItem",
                "parameters": [_path_id("item_id", schemas.MAX_INT)],
                "responses": {"200": _json(schemas.ItemOut, "The item"), **_errors("404", "503")},
            }
        },
        "/api/session": {
            "post": {
                "summary": "Demo login as the test user",
                "operationId": "createSession",
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _ref(schemas.SessionCreate)}},
                },
                "responses": {
                    "201": _json(schemas.SessionOut, "A bearer token"),
                    **_errors("400", "404", "415", "503"),
                },
            }
        },
        "/api/purchases": {
            "get": {
                "summary": "The caller's purchases",
                "operationId": "listPurchases",
                "security": BEARER,
                "parameters": _query(schemas.PurchaseQuery) + [IF_NONE_MATCH],
                "responses": {
                    "200": {**_json(schemas.PurchaseList, "A page of purchases"), "headers": ETAG_HEADERS},
                    **not_modified,
                    **_errors("400", "401", "503"),
                },
            }
        },
        "/api/orders": {
            "post": {
                "summary": "Create a pending order",
                "operationId": "createOrder",
                "security": BEARER,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(schemas.OrderCreate)}},
                },
                "responses": {
                    "201": _json(schemas.OrderOut, "The pending order"),
                    **_errors("400", "401", "415", "429", "503"),
                    "502": _json(schemas.ErrorOut, "CHECKOUT_REJECTED: the payment provider refused"),
                    "504": _json(schemas.ErrorOut, "CHECKOUT_UNAVAILABLE: the payment provider did not answer"),
                },
            }
        },
        "/api/orders/{order_id}": {
            "get": {
                "summary": "One of the caller's orders",
                "operationId": "getOrder",
                "security": BEARER,
                "parameters": [_path_id("order_id", schemas.MAX_BIGINT)],
                "responses": {"200": _json(schemas.OrderOut, "The order"), **_errors("401", "404", "503")},
            }
        },
        "/api/dev/orders/{order_id}/pay": {
            "post": {
                "summary": "Local stage only: deliver a signed order_paid for this order",
                "operationId": "simulatePayment",
                "security": BEARER,
                "parameters": [_path_id("order_id", schemas.MAX_BIGINT)],
                "responses": {
                    "200": _json(schemas.DevPayOut, "The webhook was delivered"),
                    **_errors("401", "404", "503"),
                },
            }
        },
        "/api/webhooks/payment": {
            "post": {
                "summary": "Xsolla webhook (order_paid, order_canceled, user_validation, payment, refund)",
                "operationId": "paymentWebhook",
                "description": "Signed with `Authorization: Signature <sha1(body + secret)>` (Xsolla) "
                "or Standard Webhooks `webhook-id`/`webhook-timestamp`/`webhook-signature` (HMAC-SHA256).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "anyOf": [
                                    _ref(schemas.OrderNotification),
                                    _ref(schemas.UserValidation),
                                    _ref(schemas.AnyNotification),
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "204": {"description": "Processed, or a duplicate of a processed delivery"},
                    **_errors("400", "413", "415", "500", "503", table=_WEBHOOK_ERRORS),
                },
            }
        },
        "/api/health": {
            "get": {
                "summary": "Health of the database and the cache",
                "operationId": "health",
                "responses": {
                    "200": _json(schemas.HealthOut, "Healthy"),
                    "503": _json(schemas.HealthOut, "Database down"),
                },
            }
        },
        "/api/config": {
            "get": {
                "summary": "What the storefront needs to know about this deployment",
                "operationId": "publicConfig",
                "responses": {"200": _json(schemas.PublicConfigOut, "Public configuration")},
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


MODELS: list[type[BaseModel]] = [
    schemas.ItemList,
    schemas.ItemOut,
    schemas.PurchaseList,
    schemas.OrderOut,
    schemas.SessionOut,
    schemas.HealthOut,
    schemas.PublicConfigOut,
    schemas.DevPayOut,
    schemas.ErrorOut,
]
REQUESTS: list[type[BaseModel]] = [
    schemas.OrderCreate,
    schemas.SessionCreate,
    schemas.OrderNotification,
    schemas.UserValidation,
    schemas.AnyNotification,
]


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(m, "serialization") for m in MODELS] + [(m, "validation") for m in REQUESTS],
        ref_template=REF,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Game item store",
            "version": "1.0.0",
            "description": "Items, purchases, orders and the Xsolla payment webhook. Every error is "
            '{"error": {"code", "message", "details"?}}.',
        },
        "paths": _paths(),
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
