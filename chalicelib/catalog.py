"""The item catalogue: filtered, sorted pages, cached as finished JSON bodies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalicelib.cache import get_cache
from chalicelib.config import get_settings
from chalicelib.errors import NotFound
from chalicelib.formats import money, utc_iso
from chalicelib.schemas import ItemQuery

if TYPE_CHECKING:
    from chalicelib.models import Item

NAMESPACE = "items"


def item_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "sku": item.sku,
        "name": item.name,
        "description": item.description,
        "type": item.type,
        "price": money(item.price),
        "currency": item.currency,
        "image_url": item.image_url,
        "created_at": utc_iso(item.created_at),
    }


def list_items(query: ItemQuery) -> str:
    cache = get_cache()
    field = query.model_dump_json()
    body, generation = cache.get(NAMESPACE, field)
    if body is None:
        body = _query_items(query)
        cache.put(NAMESPACE, field, body, generation, get_settings().items_cache_ttl_s)
    return body


def _query_items(query: ItemQuery) -> str:
    from sqlalchemy import func, select

    from chalicelib.db import transaction
    from chalicelib.models import Item

    conditions: list[Any] = []
    if query.q:
        escaped = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Item.name.ilike(f"%{escaped}%", escape="\\"))
    if query.type:
        conditions.append(Item.type == query.type)
    if query.min_price is not None:
        conditions.append(Item.price >= query.min_price)
    if query.max_price is not None:
        conditions.append(Item.price <= query.max_price)
    sort_keys: dict[str, Any] = {
        "name": Item.name.asc(),
        "-name": Item.name.desc(),
        "price": Item.price.asc(),
        "-price": Item.price.desc(),
        "newest": Item.created_at.desc(),
    }
    order = [sort_keys[query.sort], Item.id.asc()]
    with transaction() as session:
        total = session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0
        items = session.scalars(
            select(Item).where(*conditions).order_by(*order).limit(query.limit).offset(query.offset)
        ).all()
        data = [item_json(item) for item in items]
    page = {"limit": query.limit, "offset": query.offset, "total": total}
    return json.dumps({"data": data, "page": page}, separators=(",", ":"))


def get_item(item_id: int) -> dict[str, Any]:
    from chalicelib.db import transaction
    from chalicelib.models import Item
    from chalicelib.schemas import MAX_INT

    # An id past the column's range is not there; asking Postgres would be an out-of-range error.
    if item_id > MAX_INT:
        raise NotFound(f"Item {item_id} does not exist")
    with transaction() as session:
        item = session.get(Item, item_id)
        if item is None:
            raise NotFound(f"Item {item_id} does not exist")
        return item_json(item)


def invalidate() -> None:
    get_cache().invalidate(NAMESPACE)
