"""Realistic Xsolla notification bodies, built in one place for the simulator, the local
"Simulate payment" route and the tests. Shapes follow Xsolla's combined-mode order_paid."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

XSOLLA_ITEM_TYPES = {"currency_pack": "virtual_currency", "bundle": "bundle"}


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    amount: Decimal
    item_type: str = "skin"


def xsolla_amount(value: Decimal) -> str:
    """Xsolla writes amounts as strings with four decimals, e.g. "1.9900"."""
    return f"{value:.4f}"


def new_order_id() -> int:
    """Simulated order ids live above 10^12, away from real Xsolla ids, and stay JS-safe."""
    return 10**12 + secrets.randbelow(2**53 - 10**12)


def order_notification(
    notification_type: str,
    *,
    order_id: int,
    user_id: str,
    lines: Sequence[Line],
    currency: str = "USD",
    email: str | None = None,
    mode: str = "sandbox",
) -> dict[str, Any]:
    total = sum((line.amount for line in lines), Decimal("0"))
    transaction_id = secrets.randbelow(10**9) + 10**9
    return {
        "notification_type": notification_type,
        "items": [
            {
                "sku": line.sku,
                "type": XSOLLA_ITEM_TYPES.get(line.item_type, "virtual_good"),
                "is_pre_order": False,
                "quantity": line.quantity,
                "amount": xsolla_amount(line.amount),
                "promotions": [],
                "custom_attributes": None,
                "is_free": False,
                "is_bonus": False,
                "is_bundle_content": False,
            }
            for line in lines
        ],
        "order": {
            "id": order_id,
            "mode": mode,
            "currency_type": "real",
            "currency": currency,
            "amount": xsolla_amount(total),
            "status": "paid" if notification_type == "order_paid" else "canceled",
            "platform": "xsolla",
            "comment": None,
            "invoice_id": str(transaction_id),
            "promotions": [],
            "coupons": [],
            "promocodes": [],
        },
        "user": {"external_id": user_id, "email": email or f"{user_id}@example.com"},
        "billing": {
            "notification_type": "payment",
            "settings": {"project_id": 290001, "merchant_id": 510001},
            "purchase": {"total": {"currency": currency, "amount": float(total)}},
            "transaction": {
                "id": transaction_id,
                "external_id": str(order_id),
                "payment_date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                "payment_method": 1380,
                "payment_method_name": "Credit/Debit Card",
                "dry_run": 1 if mode == "sandbox" else 0,
                "agreement": 1,
            },
            "payment_details": {
                "payment": {"currency": currency, "amount": xsolla_amount(total)},
                "vat": {"currency": currency, "amount": "0.0000", "percent": 0},
                "xsolla_fee": {"currency": currency, "amount": "0.0000"},
            },
        },
        "custom_parameters": {"source": "game-item-store"},
    }


def user_validation(user_id: str) -> dict[str, Any]:
    return {
        "notification_type": "user_validation",
        "settings": {"project_id": 290001, "merchant_id": 510001},
        "user": {"id": user_id, "ip": "127.0.0.1", "email": f"{user_id}@example.com", "country": "US"},
    }


def encode(payload: dict[str, Any]) -> bytes:
    """Serialise once; these exact bytes are what gets signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
