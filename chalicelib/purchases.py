"""A player's purchases: only their own, newest first, cached per user."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from chalicelib.cache import get_cache
from chalicelib.config import get_settings
from chalicelib.formats import money, utc_iso
from chalicelib.schemas import PurchaseQuery

if TYPE_CHECKING:
    from chalicelib.models import Purchase


def namespace(user_id: str) -> str:
    return "purchases:" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:24]


def purchase_json(purchase: Purchase) -> dict[str, Any]:
    return {
        "id": purchase.id,
        "order_id": purchase.order_id,
        "item": {"id": purchase.item.id, "sku": purchase.item.sku, "name": purchase.item.name},
        "quantity": purchase.quantity,
        "amount": money(purchase.amount),
        "currency": purchase.currency,
        "status": purchase.status,
        "purchased_at": utc_iso(purchase.created_at),
    }


def list_purchases(user_id: str, query: PurchaseQuery) -> str:
    cache = get_cache()
    ns, field = namespace(user_id), query.model_dump_json()
    body, generation = cache.get(ns, field)
    if body is None:
        body = _query_purchases(user_id, query)
        cache.put(ns, field, body, generation, get_settings().purchases_cache_ttl_s)
    return body


def _query_purchases(user_id: str, query: PurchaseQuery) -> str:
    from sqlalchemy import func, select

    from chalicelib.db import transaction
    from chalicelib.models import Purchase

    conditions = [Purchase.user_id == user_id]
    if query.status:
        conditions.append(Purchase.status == query.status)
    with transaction() as session:
        total = session.scalar(select(func.count()).select_from(Purchase).where(*conditions)) or 0
        rows = session.scalars(
            select(Purchase)
            .where(*conditions)
            .order_by(Purchase.created_at.desc(), Purchase.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        data = [purchase_json(p) for p in rows]
    return json.dumps(
        {"data": data, "page": {"limit": query.limit, "offset": query.offset, "total": total}}, separators=(",", ":")
    )


def invalidate(user_id: str) -> None:
    get_cache().invalidate(namespace(user_id))
