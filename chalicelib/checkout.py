"""Checkout providers: where a pending order's id comes from and where the player pays.

``simulated`` (the default) mints the id locally and payment arrives through the simulator or
the local "Simulate payment" button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.config import get_settings


@dataclass(frozen=True)
class Started:
    order_id: int
    provider: str
    mode: str
    payment_url: str | None = None
    token: str | None = None

    def response_fields(self) -> dict[str, Any]:
        if self.payment_url is None:
            return {}
        return {"payment_url": self.payment_url, "token": self.token}


def start(*, user_id: str, sku: str, quantity: int, client_ip: str | None) -> Started:
    settings = get_settings()
    if settings.checkout_provider == "simulated":
        from chalicelib.xsolla_payloads import new_order_id

        return Started(order_id=new_order_id(), provider="simulated", mode="sandbox")
    raise NotImplementedError(settings.checkout_provider)
