"""How money and time are written in every response: decimal strings and ISO 8601 UTC with Z."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def utc_iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
