"""Xsolla's webhook receiver as a plain function: (raw body, headers) -> (status, body).

The contract is Xsolla's, not ours: 204 with no body on success (and for every duplicate),
400 with {"error": {"code", "message"}} for what must never be retried, 5xx for our own
transient faults so that Xsolla retries. Verify first, parse after; grant in one transaction
whose unique processed_key makes the grant exactly-once per (type, order id).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib import config, signatures
from chalicelib.config import MAX_BODY_BYTES

log = logging.getLogger("store.webhooks")


@dataclass
class Reply:
    status: int
    body: bytes = b""

    @property
    def headers(self) -> dict[str, str | list[str]]:
        return {"Content-Type": "application/json"} if self.body else {}


class Rejected(Exception):
    """A final answer for Xsolla: 4xx, never retried."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Duplicate(Exception):
    """This (type, order id) was processed before: answer what we answered then."""

    def __init__(self, *, recorded: bool = False) -> None:
        super().__init__()
        self.recorded = recorded  # the audit row of this delivery is already written


@dataclass
class Audit:
    body_sha256: str
    notification_type: str | None = None
    idempotency_key: str | None = None
    scheme: str | None = None
    outcome: str = "received"
    extra: dict[str, Any] = field(default_factory=dict)


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, json.dumps({"error": {"code": code, "message": message}}).encode())


def handle(raw_body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> Reply:
    """``headers`` must be keyed by lower-case names."""
    audit = Audit(body_sha256=hashlib.sha256(raw_body).hexdigest())
    try:
        if len(raw_body) > MAX_BODY_BYTES:
            raise Rejected("INVALID_PARAMETER", f"The body exceeds {MAX_BODY_BYTES} bytes", status=413)
        audit.scheme = _verify(raw_body, headers, now)
        payload = _parse(raw_body)
        audit.notification_type = payload["notification_type"]
        reply = _dispatch(payload, audit)
    except Rejected as exc:
        audit.outcome = "rejected"
        _record(audit, exc.status, exc.code)
        log.warning("webhook rejected type=%s key=%s code=%s", audit.notification_type, audit.idempotency_key, exc.code)
        return _error(exc.status, exc.code, exc.message)
    except Duplicate as duplicate:
        audit.outcome = "duplicate"
        if not duplicate.recorded:
            _record(audit, 204, None)
        log.info("webhook duplicate type=%s key=%s", audit.notification_type, audit.idempotency_key)
        return Reply(204)
    except Exception as exc:  # noqa: BLE001 - 5xx so that Xsolla retries, never a traceback
        from chalicelib.db import is_unavailable

        if is_unavailable(exc):
            log.error(
                "webhook deferred, database unavailable (%s) type=%s key=%s",
                type(exc).__name__,
                audit.notification_type,
                audit.idempotency_key,
            )
            return _error(503, "SERVER_ERROR", "Temporarily unable to process; retry later")
        log.error(
            "webhook failed with %s type=%s key=%s", type(exc).__name__, audit.notification_type, audit.idempotency_key
        )
        return _error(500, "SERVER_ERROR", "Internal error; retry later")
    log.info(
        "webhook processed type=%s key=%s scheme=%s outcome=%s",
        audit.notification_type,
        audit.idempotency_key,
        audit.scheme,
        audit.outcome,
    )
    return reply


def _verify(raw_body: bytes, headers: Mapping[str, str], now: float | None) -> str:
    schemes = config.get_settings().signature_schemes
    try:
        return signatures.verify(raw_body, headers, config.webhook_secret(), schemes, now=now)
    except signatures.SignatureError:
        if config.get_settings().webhook_secret_arn is None:
            raise Rejected("INVALID_SIGNATURE", "Invalid signature") from None
    try:
        # The secret may have been rotated since this container read it: read it again, once.
        return signatures.verify(raw_body, headers, config.webhook_secret(refresh=True), schemes, now=now)
    except signatures.SignatureError:
        raise Rejected("INVALID_SIGNATURE", "Invalid signature") from None


def _parse(raw_body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw_body)
    except (ValueError, RecursionError):
        # Nesting deeper than the interpreter's recursion limit is malformed input, not our fault.
        raise Rejected("INVALID_PARAMETER", "The body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise Rejected("INVALID_PARAMETER", "The body must be a JSON object")
    kind = payload.get("notification_type")
    # The type lands in the audit row: no NUL (not storable in Postgres text), no lone surrogates.
    if not isinstance(kind, str) or not kind or len(kind) > 64 or not kind.isprintable():
        raise Rejected("INVALID_PARAMETER", "notification_type is required")
    return payload


def _validated(model: Any, payload: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Rejected("INVALID_PARAMETER", f"Invalid parameter {where}: {first['msg']}") from None


def _dispatch(payload: dict[str, Any], audit: Audit) -> Reply:
    from chalicelib import schemas

    kind = payload["notification_type"]
    if kind in ("order_paid", "order_canceled"):
        notification = _validated(schemas.OrderNotification, payload)
        audit.idempotency_key = f"{kind}:{notification.order.id}"
        from chalicelib import purchases

        try:
            user_id = _order_paid(notification, audit) if kind == "order_paid" else _order_canceled(notification, audit)
        except Duplicate:
            # The first delivery may have committed and lost the answer to COMMIT: it answered
            # 5xx without invalidating, and this retry is the only chance to do it.
            purchases.invalidate(notification.user.external_id)
            raise
        if user_id is not None:
            purchases.invalidate(user_id)
        return Reply(204)
    if kind == "user_validation":
        notification = _validated(schemas.UserValidation, payload)
        # The audit column holds 128 characters and a user id may have 255: the key is informative.
        audit.idempotency_key = f"user_validation:{notification.user.id}"[:128]
        if not _user_exists(notification.user.id):
            raise Rejected("INVALID_USER", "Invalid user")
        audit.outcome = "user_valid"
        _record(audit, 204, None)
        return Reply(204)
    # payment, refund and anything else: recorded, nothing granted. Items are granted only on
    # order_paid, which Xsolla sends after payment in both delivery modes.
    audit.outcome = "ignored"
    _record(audit, 204, None)
    return Reply(204)


def _user_exists(user_id: str) -> bool:
    from chalicelib.db import transaction
    from chalicelib.models import User

    with transaction() as session:
        return session.get(User, user_id) is not None


def _record(audit: Audit, status: int, error_code: str | None, *, session: Any = None, processed: bool = False) -> None:
    """Write the audit row: inside the caller's transaction for the delivery that changed state
    (its processed_key is the exactly-once claim), on its own for every other delivery."""
    from chalicelib.models import WebhookEvent

    row = WebhookEvent(
        notification_type=audit.notification_type,
        idempotency_key=audit.idempotency_key,
        processed_key=audit.idempotency_key if processed else None,
        scheme=audit.scheme,
        status_code=status,
        error_code=error_code,
        outcome=audit.outcome,
        body_sha256=audit.body_sha256,
    )
    if session is not None:
        session.add(row)
        session.flush()
        return
    from chalicelib.db import is_unavailable, transaction

    try:
        with transaction() as own:
            own.add(row)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        log.error(
            "audit row not written (%s) type=%s key=%s",
            type(exc).__name__,
            audit.notification_type,
            audit.idempotency_key,
        )


def _claim(session: Any, audit: Audit) -> None:
    """A second claim of the key fails the flush, and the whole transaction rolls back with it
    (no savepoint: nothing of a duplicate delivery is kept, so there is nothing to save)."""
    from sqlalchemy.exc import IntegrityError

    try:
        _record(audit, 204, None, session=session, processed=True)
    except IntegrityError:
        raise Duplicate() from None


def _lock_order(session: Any, notification: Any) -> Any:
    """Create the order row if this is the first we hear of it, then lock it, so that every
    notification for one order is applied one after another."""
    from sqlalchemy.orm import joinedload

    from chalicelib.models import Order, utcnow

    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert: Any = pg_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert
    session.execute(
        insert(Order)
        .values(
            id=notification.order.id,
            user_id=notification.user.external_id,
            status="pending",
            amount=notification.order.amount,
            currency=notification.order.currency,
            mode=notification.order.mode,
            provider="xsolla",
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    # The lines come joined into the locking SELECT rather than by a second one; FOR UPDATE OF
    # orders, because Postgres cannot lock the nullable side of the outer join.
    return session.get(
        Order,
        notification.order.id,
        options=[joinedload(Order.lines)],
        with_for_update={"of": Order},
        populate_existing=True,
    )


def _require_user(session: Any, user_id: str) -> None:
    from chalicelib.models import User

    if session.get(User, user_id) is None:
        raise Rejected("INVALID_USER", "Invalid user")


def _grantable_lines(notification: Any) -> dict[str, Any]:
    lines: dict[str, Any] = {}
    for line in notification.items:
        if line.is_bundle_content:
            continue
        if line.sku in lines:
            raise Rejected("INVALID_PARAMETER", f"sku {line.sku} appears twice")
        lines[line.sku] = line
    if not lines:
        raise Rejected("INVALID_PARAMETER", "The order has no items to grant")
    return lines


def _order_paid(notification: Any, audit: Audit) -> str | None:
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from chalicelib.db import transaction
    from chalicelib.models import Item, Purchase, utcnow

    lines = _grantable_lines(notification)
    user_id = notification.user.external_id
    if _in_one_statement(notification, lines, audit):
        return str(user_id)
    try:
        with transaction() as session:
            _require_user(session, user_id)
            items = {i.sku: i for i in session.scalars(select(Item).where(Item.sku.in_(list(lines))))}
            unknown = sorted(set(lines) - set(items))
            if unknown:
                raise Rejected("INVALID_PARAMETER", f"Unknown sku {unknown[0]}")
            order = _lock_order(session, notification)
            expected = _expected_amounts(order, items, lines, notification)
            for sku, line in lines.items():
                if items[sku].currency != notification.order.currency or line.amount != expected[sku]:
                    raise Rejected("INCORRECT_AMOUNT", f"Incorrect amount for {sku}")
            if sum(expected.values(), Decimal("0")) != notification.order.amount:
                raise Rejected("INCORRECT_AMOUNT", "Incorrect order amount")
            if order.status == "canceled":
                audit.outcome = "ignored_canceled"
            elif _ignored_sandbox(notification):
                audit.outcome = "ignored_sandbox"
            else:
                audit.outcome = "granted"
            _claim(session, audit)
            if audit.outcome != "granted":
                return None
            order.status, order.paid_at, order.mode = "paid", utcnow(), notification.order.mode
            for sku, line in lines.items():
                session.add(
                    Purchase(
                        order_id=order.id,
                        user_id=user_id,
                        item_id=items[sku].id,
                        quantity=line.quantity,
                        amount=line.amount,
                        currency=order.currency,
                        status="paid",
                    )
                )
    except IntegrityError:
        raise Duplicate() from None
    return str(user_id)


_GRANT = "SELECT store_grant_order_paid(:order_id, :user_id, :amount, :currency, :mode, :lines, :key, :scheme, :sha)"


def _in_one_statement(notification: Any, lines: dict[str, Any], audit: Audit) -> bool:
    """Postgres: a clean order_paid is granted by one call of store_grant_order_paid (migration
    0002), which makes every check of the path below, then the claim and the grant, as one
    transaction in one round trip.

    True if it granted; Duplicate (its audit row written) if the order was granted before; False,
    with nothing written, when the path below must decide: not Postgres, a sandbox order we
    ignore, or any check that did not pass."""
    from chalicelib.db import get_engine, run_prepared

    if get_engine().dialect.name != "postgresql":
        return False
    if _ignored_sandbox(notification):
        return False
    ((outcome,),) = run_prepared(
        _GRANT,
        {
            "order_id": notification.order.id,
            "user_id": notification.user.external_id,
            "amount": notification.order.amount,
            "currency": notification.order.currency,
            "mode": notification.order.mode,
            # One jsonb parameter rather than three arrays; amounts as strings, so exact.
            "lines": json.dumps(
                [{"sku": sku, "quantity": line.quantity, "amount": str(line.amount)} for sku, line in lines.items()]
            ),
            "key": audit.idempotency_key,
            "scheme": audit.scheme,
            "sha": audit.body_sha256,
        },
    )
    if outcome == "duplicate":
        raise Duplicate(recorded=True)
    if outcome != "granted":
        return False
    audit.outcome = "granted"
    return True


def _ignored_sandbox(notification: Any) -> bool:
    """A sandbox payment this deployment records but does not grant (ACCEPT_SANDBOX_ORDERS off)."""
    return bool(notification.order.mode == "sandbox" and not config.get_settings().accept_sandbox_orders)


def _expected_amounts(
    order: Any, items: dict[str, Any], lines: dict[str, Any], notification: Any
) -> dict[str, Decimal]:
    """Line totals we expect: those of the order we created, else catalogue price x quantity."""
    if order.user_id != notification.user.external_id:
        raise Rejected("INCORRECT_INVOICE", "The notification does not match the order")
    if not order.lines:
        return {sku: items[sku].price * line.quantity for sku, line in lines.items()}
    ordered = {ol.item.sku: ol for ol in order.lines}
    asked = {sku: line.quantity for sku, line in lines.items()}
    if asked != {s: ol.quantity for s, ol in ordered.items()}:
        raise Rejected("INCORRECT_INVOICE", "The notification does not match the order")
    if order.currency != notification.order.currency:
        raise Rejected("INCORRECT_AMOUNT", "Incorrect currency")
    return {sku: ol.amount for sku, ol in ordered.items()}


def _order_canceled(notification: Any, audit: Audit) -> str | None:
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from chalicelib.db import transaction
    from chalicelib.models import Purchase, utcnow

    user_id = notification.user.external_id
    try:
        with transaction() as session:
            _require_user(session, user_id)
            order = _lock_order(session, notification)
            if order.user_id != user_id:
                raise Rejected("INCORRECT_INVOICE", "The notification does not match the order")
            audit.outcome = "revoked" if order.status == "paid" else "canceled_before_paid"
            _claim(session, audit)
            order.status, order.canceled_at = "canceled", utcnow()
            session.execute(update(Purchase).where(Purchase.order_id == order.id).values(status="canceled"))
    except IntegrityError:
        raise Duplicate() from None
    return str(user_id)
