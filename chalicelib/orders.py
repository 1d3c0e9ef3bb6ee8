"""Orders: created pending by "Buy", paid only by the provider's order_paid webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.config import get_settings
from chalicelib.errors import NotFound, RateLimited, ValidationFailed
from chalicelib.formats import money, utc_iso
from chalicelib.schemas import OrderCreate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from chalicelib.models import Order


def order_json(order: Order, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "status": order.status,
        "user_id": order.user_id,
        "amount": money(order.amount),
        "currency": order.currency,
        "items": [
            {
                "item_id": line.item_id,
                "sku": line.item.sku,
                "name": line.item.name,
                "quantity": line.quantity,
                "amount": money(line.amount),
            }
            for line in order.lines
        ],
        "created_at": utc_iso(order.created_at),
        "paid_at": utc_iso(order.paid_at) if order.paid_at else None,
        "canceled_at": utc_iso(order.canceled_at) if order.canceled_at else None,
        **(extra or {}),
    }


def ensure_user(session: Session, user_id: str) -> None:
    """Users are created on first authenticated use: the token is the proof of identity."""
    from chalicelib.models import User

    if session.get(User, user_id) is None:
        session.add(User(id=user_id, email=f"{user_id}@example.com"))
        session.flush()


def _check_rate(user_id: str) -> None:
    from chalicelib.cache import get_cache

    limit = get_settings().order_rate_limit_per_minute
    retry_after = get_cache().hit_rate_limit(f"orders:{user_id}", limit, 60)
    if retry_after is not None:
        raise RateLimited(f"At most {limit} orders a minute; retry shortly", headers={"Retry-After": str(retry_after)})


def create_order(user_id: str, request: OrderCreate, *, client_ip: str | None = None) -> dict[str, Any]:
    from chalicelib import checkout
    from chalicelib.db import transaction
    from chalicelib.models import Item, Order, OrderLine, User

    _check_rate(user_id)
    with transaction() as session:
        item = session.get(Item, request.item_id)
        if item is None:
            raise ValidationFailed("The item does not exist", details=[{"field": "item_id", "message": "unknown item"}])
        sku, price, currency = item.sku, item.price, item.currency
        user = session.get(User, user_id)
        email = user.email if user is not None else None
    amount = price * request.quantity
    started = checkout.start(
        user_id=user_id, email=email, sku=sku, quantity=request.quantity, currency=currency, client_ip=client_ip
    )
    with transaction() as session:
        ensure_user(session, user_id)
        order = Order(
            id=started.order_id,
            user_id=user_id,
            status="pending",
            amount=amount,
            currency=currency,
            mode=started.mode,
            provider=started.provider,
        )
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, item_id=request.item_id, quantity=request.quantity, amount=amount))
        session.flush()
        session.refresh(order)
        return order_json(order, started.response_fields())


def _own_order(session: Session, user_id: str, order_id: int) -> Order:
    from chalicelib.models import Order

    order = session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound(f"Order {order_id} does not exist")
    return order


def get_order(user_id: str, order_id: int) -> dict[str, Any]:
    from chalicelib.db import transaction

    with transaction() as session:
        return order_json(_own_order(session, user_id, order_id))


def parse_order_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) > 2**63 - 1 or int(raw) < 1:
        raise NotFound(f"Order {raw[:32]} does not exist")
    return int(raw)


def simulate_payment(user_id: str, order_id: int) -> dict[str, Any]:
    """Local stage only: sign an order_paid for this order and push it through the real
    webhook handler, exactly as Xsolla would deliver it."""
    from chalicelib import config, signatures, webhooks, xsolla_payloads
    from chalicelib.db import transaction

    settings = get_settings()
    if not settings.dev_tools:
        raise NotFound("No such route")
    with transaction() as session:
        order = _own_order(session, user_id, order_id)
        lines = [
            xsolla_payloads.Line(sku=ol.item.sku, quantity=ol.quantity, amount=ol.amount, item_type=ol.item.type)
            for ol in order.lines
        ]
        payload = xsolla_payloads.order_notification(
            "order_paid", order_id=order.id, user_id=order.user_id, lines=lines, currency=order.currency, mode="sandbox"
        )
    body = xsolla_payloads.encode(payload)
    headers = signatures.sign(body, config.webhook_secret(), settings.signature_schemes[0])
    reply = webhooks.handle(body, {k.lower(): v for k, v in headers.items()})
    with transaction() as session:
        status = _own_order(session, user_id, order_id).status
    return {"order_id": order_id, "status": status, "webhook_status": reply.status}
