"""Statement budgets of the hot paths, counted on the app's engine (counts, never timings).
These numbers are what the webhook throughput in bench/ is made of; change them knowingly.

With pg8000 a statement through SQLAlchemy costs three round trips and a transaction adds
BEGIN and a three-round-trip COMMIT; the prepared grant on Postgres (db.run_prepared) is one."""

import json

import pytest
from sqlalchemy import event

from tests.conftest import paid_body


class Statements:
    """Statements sent through SQLAlchemy's cursor, and prepared statements run around it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.sent: list[str] = []
        self.prepared: list[str] = []

    def __enter__(self) -> "Statements":
        from chalicelib import db

        self.engine = db.get_engine()
        event.listen(self.engine, "before_cursor_execute", self._record)
        run_prepared = db.run_prepared

        def counted(sql, params):
            self.prepared.append(sql)
            return run_prepared(sql, params)

        self.monkeypatch.setattr(db, "run_prepared", counted)
        return self

    def _record(self, _conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):
            self.sent.append(statement)

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_an_order_paid_grant_is_one_prepared_statement_on_postgres_and_seven_on_sqlite(store, monkeypatch):
    body = paid_body(store)
    with Statements(monkeypatch) as counted:
        assert store.deliver(body).status_code == 204
    if store.stack.name == "services":
        assert (counted.sent, len(counted.prepared)) == ([], 1), (counted.sent, counted.prepared)
        assert "store_grant_order_paid" in counted.prepared[0]
    else:
        assert (len(counted.sent), counted.prepared) == (7, []), counted.sent
        assert not [s for s in counted.sent if "SAVEPOINT" in s]


def test_our_own_order_is_granted_by_the_same_single_statement(store, monkeypatch):
    token = store.token()
    item = store.item("skin-ember-blade")
    order = json.loads(store.post("/api/orders", {"item_id": item["id"], "quantity": 2}, token=token).body)
    body = paid_body(store, sku="skin-ember-blade", quantity=2, order_id=int(order["order_id"]))
    with Statements(monkeypatch) as counted:
        assert store.deliver(body).status_code == 204
    if store.stack.name == "services":
        assert (counted.sent, len(counted.prepared)) == ([], 1), counted.sent
    else:
        # The lines come with the order's lock, not by a query of their own.
        assert len([s for s in counted.sent if "order_lines" in s]) == 1, counted.sent
        assert len(counted.sent) == 7, counted.sent


def test_a_duplicate_is_answered_without_a_grant(store, monkeypatch):
    body = paid_body(store)
    assert store.deliver(body).status_code == 204
    with Statements(monkeypatch) as counted:
        assert store.deliver(body).status_code == 204
    assert not [s for s in counted.sent if s.startswith(("INSERT INTO purchases", "UPDATE orders"))]
    if store.stack.name == "services":
        # The function writes the duplicate's audit row itself.
        assert (counted.sent, len(counted.prepared)) == ([], 1), counted.sent
