"""Pydantic models: what the API accepts and returns, and what the webhook reads.

The OpenAPI document is generated from these same classes (openapi.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)

ItemType = Literal["skin", "power_up", "currency_pack", "bundle"]
SortKey = Literal["name", "-name", "price", "-price", "newest"]
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1  # items.id is an INTEGER column
# No control characters (a NUL byte is not storable in Postgres text) in anything that reaches SQL.
SafeText = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]*$")]
MoneyString = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", examples=["4.99"])]
PRICE_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,2})?$"


def _price_text(value: Any) -> Any:
    if not isinstance(value, str) or re.fullmatch(PRICE_PATTERN, value) is None:
        raise ValueError("expected a price such as 4.99")
    return value


# A price filter arrives as query text: one pattern is both what is accepted and what the OpenAPI
# document promises (a bare Decimal would also take "1e2", " 5", "+5" while documenting none).
PriceFilter = Annotated[
    Decimal,
    BeforeValidator(_price_text),
    WithJsonSchema({"type": "string", "pattern": PRICE_PATTERN, "examples": ["4.99"]}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- queries -----------------------------------------------------------------------------


class PageQuery(Strict):
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=100_000)


class ItemQuery(PageQuery):
    q: SafeText | None = Field(None, min_length=1, max_length=64)
    type: ItemType | None = None
    min_price: PriceFilter | None = None
    max_price: PriceFilter | None = None
    sort: SortKey = "name"

    @model_validator(mode="after")
    def _price_range(self) -> ItemQuery:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price must not be greater than max_price")
        return self


class PurchaseQuery(PageQuery):
    status: Literal["paid", "canceled"] | None = None


# ---- bodies ------------------------------------------------------------------------------


class SessionCreate(Strict):
    """Empty: the demo login always signs in the configured test user."""


class OrderCreate(Strict):
    item_id: StrictInt = Field(ge=1, le=MAX_INT)
    quantity: StrictInt = Field(1, ge=1, le=99)


# ---- responses ---------------------------------------------------------------------------


class Page(BaseModel):
    limit: int
    offset: int
    total: int


class ItemOut(BaseModel):
    id: int
    sku: str
    name: str
    description: str
    type: str
    price: MoneyString
    currency: str
    image_url: str | None
    created_at: datetime


class ItemList(BaseModel):
    data: list[ItemOut]
    page: Page


class ItemRef(BaseModel):
    id: int
    sku: str
    name: str


class PurchaseOut(BaseModel):
    id: int
    order_id: int
    item: ItemRef
    quantity: int
    amount: MoneyString
    currency: str
    status: Literal["paid", "canceled"]
    purchased_at: datetime


class PurchaseList(BaseModel):
    data: list[PurchaseOut]
    page: Page


class OrderLineOut(BaseModel):
    item_id: int
    sku: str
    name: str
    quantity: int
    amount: MoneyString


class OrderOut(BaseModel):
    order_id: int
    status: Literal["pending", "paid", "canceled"]
    user_id: str
    amount: MoneyString
    currency: str
    items: list[OrderLineOut]
    created_at: datetime
    paid_at: datetime | None = None
    canceled_at: datetime | None = None
    payment_url: str | None = None
    token: str | None = None


class DevPayOut(BaseModel):
    order_id: int
    status: str
    webhook_status: int


class UserOut(BaseModel):
    id: str


class SessionOut(BaseModel):
    token: str
    user: UserOut
    expires_at: datetime


class HealthOut(BaseModel):
    status: Literal["ok", "error"]
    database: Literal["ok", "unavailable"]
    cache: Literal["ok", "degraded", "disabled"]


class PublicConfigOut(BaseModel):
    stage: str
    dev_tools: bool
    checkout_provider: str


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorOut(BaseModel):
    error: ErrorInfo


# ---- the Xsolla webhook ------------------------------------------------------------------
# Real payloads carry many more fields than these; they are ignored, never rejected.


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _decimal_from_json(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a decimal string")
    if isinstance(value, (int, float)):
        return str(value)
    return value


class WebhookItem(Lenient):
    sku: SafeText = Field(min_length=1, max_length=64)
    type: str | None = Field(None, max_length=64)
    quantity: StrictInt = Field(ge=1, le=10_000)
    amount: Decimal = Field(ge=0, le=Decimal("1e9"), allow_inf_nan=False)
    is_bundle_content: bool = False

    _amount = field_validator("amount", mode="before")(_decimal_from_json)


class WebhookOrder(Lenient):
    id: StrictInt = Field(ge=1, le=MAX_BIGINT)
    mode: Literal["default", "sandbox"] = "default"
    currency: SafeText = Field(min_length=3, max_length=3)
    amount: Decimal = Field(ge=0, le=Decimal("1e9"), allow_inf_nan=False)
    status: str | None = Field(None, max_length=32)

    _amount = field_validator("amount", mode="before")(_decimal_from_json)


class WebhookUser(Lenient):
    external_id: SafeText = Field(min_length=1, max_length=255)
    email: str | None = Field(None, max_length=320)


class OrderNotification(Lenient):
    """order_paid and order_canceled share this shape."""

    notification_type: Literal["order_paid", "order_canceled"]
    items: list[WebhookItem] = Field(min_length=1, max_length=100)
    order: WebhookOrder
    user: WebhookUser
    billing: dict[str, Any] | None = None
    custom_parameters: dict[str, Any] | None = None


class ValidationUser(Lenient):
    id: SafeText = Field(min_length=1, max_length=255)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class UserValidation(Lenient):
    notification_type: Literal["user_validation"]
    user: ValidationUser


class AnyNotification(Lenient):
    notification_type: str = Field(min_length=1, max_length=64)
