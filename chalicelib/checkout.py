"""Checkout providers: where a pending order's id comes from and where the player pays.

``simulated`` (the default) mints the id locally and payment arrives through the simulator or
the local "Simulate payment" button. ``xsolla`` creates the order through Xsolla's Store API;
the pending order is stored under Xsolla's order id, which its order_paid webhook carries back,
and the player pays on Pay Station. Either way, items are granted only by that webhook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.config import get_settings
from chalicelib.errors import ApiError, CheckoutRejected, CheckoutUnavailable

if TYPE_CHECKING:
    from chalicelib.xsolla_api import Refused

log = logging.getLogger("store.checkout")


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


def start(
    *,
    user_id: str,
    sku: str,
    quantity: int,
    client_ip: str | None,
    email: str | None = None,
    currency: str | None = None,
) -> Started:
    settings = get_settings()
    if settings.checkout_provider == "simulated":
        from chalicelib.xsolla_payloads import new_order_id

        return Started(order_id=new_order_id(), provider="simulated", mode="sandbox")
    if settings.checkout_provider == "xsolla":
        return _start_xsolla(
            user_id=user_id, email=email, sku=sku, quantity=quantity, currency=currency, client_ip=client_ip
        )
    raise NotImplementedError(settings.checkout_provider)


def public_ip(client_ip: str | None) -> str | None:
    """The buyer's address if Xsolla can place it in a country: loopback, private, link-local,
    shared and documentation addresses cannot be."""
    import ipaddress

    if not client_ip:
        return None
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) if address.is_global else None


def _start_xsolla(
    *, user_id: str, email: str | None, sku: str, quantity: int, currency: str | None, client_ip: str | None
) -> Started:
    import secrets

    from chalicelib import config, xsolla_api

    settings = get_settings()
    assert settings.xsolla_project_id is not None
    reference = secrets.token_hex(8)
    # Xsolla needs the buyer's country, from the IP or stated; an address it cannot place
    # (a developer's loopback, a private network) makes it answer 422 without one.
    user_ip = public_ip(client_ip)
    country = None if user_ip else settings.xsolla_default_country
    if user_ip is None and country is None:
        log.error(
            "xsolla checkout not started reference=%s: no public client IP and no XSOLLA_DEFAULT_COUNTRY", reference
        )
        raise CheckoutRejected("The payment provider needs the buyer's country, which the store could not tell")
    body = xsolla_api.payment_token_body(
        user_id=user_id,
        email=email,
        items=[(sku, quantity)],
        sandbox=settings.xsolla_sandbox,
        external_id=reference,
        currency=currency,
        return_url=settings.xsolla_return_url,
        country=country,
    )
    try:
        created = xsolla_api.create_payment_token(
            api_base=settings.xsolla_api_base,
            project_id=settings.xsolla_project_id,
            api_key=config.xsolla_api_key(),
            body=body,
            user_ip=user_ip,
            timeout_s=settings.xsolla_timeout_s,
        )
    except xsolla_api.Unreachable as exc:
        log.warning("xsolla checkout unreachable reference=%s: %s", reference, exc)
        raise CheckoutUnavailable("The payment provider did not answer in time; please try again") from None
    except xsolla_api.Refused as exc:
        log.warning(
            "xsolla checkout refused reference=%s status=%s error_code=%s %s",
            reference,
            exc.status,
            exc.error_code,
            exc.detail,
        )
        raise _refusal(exc) from None
    log.info(
        "xsolla checkout started order_id=%s reference=%s sandbox=%s",
        created.order_id,
        reference,
        settings.xsolla_sandbox,
    )
    return Started(
        order_id=created.order_id,
        provider="xsolla",
        mode="sandbox" if settings.xsolla_sandbox else "default",
        payment_url=xsolla_api.paystation_url(created.token, sandbox=settings.xsolla_sandbox),
        token=created.token,
    )


def _refusal(exc: Refused) -> ApiError:
    if exc.status in (401, 403):
        _reread_rotated_key()
        return CheckoutRejected("The payment provider refused the store's credentials; checkout is unavailable")
    if exc.status == 429 or exc.status >= 500:
        return CheckoutUnavailable("The payment provider is unavailable; please try again shortly")
    if 400 <= exc.status < 500:
        return CheckoutRejected("The payment provider refused this order; the item may not be on sale there")
    return CheckoutRejected("The payment provider sent an answer the store could not use")


def _reread_rotated_key() -> None:
    """After a 401 the key may have been rotated in Secrets Manager: read it again for the next
    order. This order is not retried."""
    from chalicelib import config

    if get_settings().xsolla_api_key_arn is None:
        return
    try:
        config.xsolla_api_key(refresh=True)
    except Exception as exc:  # noqa: BLE001 - the order already failed; this only logs
        log.error("xsolla api key not re-read: %s", type(exc).__name__)
