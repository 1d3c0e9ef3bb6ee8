"""order_paid grant as one Postgres function

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 21:40:00

The webhook's common case (a clean order_paid) as one statement that is its own transaction:
one round trip with pg8000 instead of about 26. The function grants only when every check
of the Python path in chalicelib/webhooks.py passes; for anything else it writes nothing and
answers 'check', and the Python path decides (and words the rejection). It must never be less
strict than that path: tests/integration/test_grant_function.py runs both on the same cases.

Postgres only: on SQLite the Python path is the only path.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANT_ORDER_PAID = """
CREATE OR REPLACE FUNCTION store_grant_order_paid(
    p_order_id bigint,
    p_user_id text,
    p_amount numeric,
    p_currency text,
    p_mode text,
    p_lines jsonb,
    p_key text,
    p_scheme text,
    p_body_sha256 text
) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    v_order orders%ROWTYPE;
    v_lines integer;
    v_ordered integer := 0;
    v_matched integer;
    v_total numeric;
BEGIN
    -- Nothing is written until every check has passed: the caller runs this as a transaction of
    -- its own, and 'check' must leave the database as it was.
    v_lines := jsonb_array_length(p_lines);
    PERFORM 1 FROM users WHERE id = p_user_id;
    IF NOT FOUND OR v_lines = 0 THEN
        RETURN 'check';
    END IF;

    -- Lock the order, so that every notification for one order is applied one after another.
    SELECT * INTO v_order FROM orders WHERE id = p_order_id FOR UPDATE;
    IF FOUND AND (v_order.user_id <> p_user_id OR v_order.currency <> p_currency OR v_order.status = 'canceled') THEN
        RETURN 'check';
    END IF;

    -- Every line must be a known item in the order's currency, at the amount we expect: that of
    -- the line of the order we created, else the catalogue price times the quantity.
    IF v_order.id IS NOT NULL THEN
        SELECT count(*) INTO v_ordered FROM order_lines WHERE order_id = p_order_id;
    END IF;
    IF v_ordered > 0 THEN
        SELECT count(*), sum(ol.amount) INTO v_matched, v_total
        FROM jsonb_to_recordset(p_lines) AS n(sku text, quantity integer, amount numeric)
        JOIN items i ON i.sku = n.sku AND i.currency = p_currency
        JOIN order_lines ol ON ol.order_id = p_order_id AND ol.item_id = i.id
            AND ol.quantity = n.quantity AND ol.amount = n.amount;
        IF v_matched <> v_ordered THEN
            RETURN 'check';
        END IF;
    ELSE
        SELECT count(*), sum(n.amount) INTO v_matched, v_total
        FROM jsonb_to_recordset(p_lines) AS n(sku text, quantity integer, amount numeric)
        JOIN items i ON i.sku = n.sku AND i.currency = p_currency AND n.amount = i.price * n.quantity;
    END IF;
    IF v_matched <> v_lines OR v_total IS DISTINCT FROM p_amount THEN
        RETURN 'check';
    END IF;

    IF v_order.id IS NULL THEN
        -- The first we hear of this order. If someone created it since we looked (a concurrent
        -- delivery, a checkout), the Python path decides, under the lock.
        INSERT INTO orders (id, user_id, status, amount, currency, mode, provider, created_at)
        VALUES (p_order_id, p_user_id, 'pending', p_amount, p_currency, p_mode, 'xsolla', now())
        ON CONFLICT (id) DO NOTHING;
        IF NOT FOUND THEN
            RETURN 'check';
        END IF;
        v_order.currency := p_currency;
    END IF;

    -- The claim: processed_key is unique, so one delivery of this order gets past here, once.
    INSERT INTO webhook_events
        (received_at, notification_type, idempotency_key, processed_key, scheme, status_code, outcome, body_sha256)
    VALUES (now(), 'order_paid', p_key, p_key, p_scheme, 204, 'granted', p_body_sha256)
    ON CONFLICT (processed_key) DO NOTHING;
    IF NOT FOUND THEN
        -- Granted before: this delivery's audit row, and no change.
        INSERT INTO webhook_events
            (received_at, notification_type, idempotency_key, scheme, status_code, outcome, body_sha256)
        VALUES (now(), 'order_paid', p_key, p_scheme, 204, 'duplicate', p_body_sha256);
        RETURN 'duplicate';
    END IF;

    UPDATE orders SET status = 'paid', paid_at = now(), mode = p_mode WHERE id = p_order_id;
    INSERT INTO purchases (order_id, user_id, item_id, quantity, amount, currency, status, created_at)
    SELECT p_order_id, p_user_id, i.id, n.quantity, n.amount, v_order.currency, 'paid', now()
    FROM jsonb_to_recordset(p_lines) AS n(sku text, quantity integer, amount numeric)
    JOIN items i ON i.sku = n.sku;
    RETURN 'granted';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANT_ORDER_PAID)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS store_grant_order_paid(bigint, text, numeric, text, text, jsonb, text, text, text)"
        )
