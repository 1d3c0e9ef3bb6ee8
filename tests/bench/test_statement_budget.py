"""Statement budgets of the hot paths, counted on the app's engine (counts, never timings).
Each statement is three round trips with pg8000, so these numbers are what the webhook
throughput in bench/ is made of; change them knowingly."""

import json

from sqlalchemy import event

from tests.conftest import paid_body


class Statements(list):
    def __enter__(self):
        from chalicelib.db import get_engine

        self.engine = get_engine()
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def _record(self, _conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):
            self.append(statement)

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_an_order_paid_grant_takes_seven_statements_and_no_savepoint(store):
    body = paid_body(store)
    with Statements() as sent:
        assert store.deliver(body).status_code == 204
    assert len(sent) == 7, sent
    assert not [s for s in sent if "SAVEPOINT" in s]


def test_the_lines_of_our_own_order_come_with_its_lock(store):
    token = store.token()
    item = store.item("skin-ember-blade")
    order = json.loads(store.post("/api/orders", {"item_id": item["id"], "quantity": 2}, token=token).body)
    body = paid_body(store, sku="skin-ember-blade", quantity=2, order_id=int(order["order_id"]))
    with Statements() as sent:
        assert store.deliver(body).status_code == 204
    assert len([s for s in sent if "order_lines" in s]) == 1, sent
    assert len(sent) == 7, sent


def test_a_duplicate_is_answered_without_a_grant(store):
    body = paid_body(store)
    assert store.deliver(body).status_code == 204
    with Statements() as sent:
        assert store.deliver(body).status_code == 204
    assert not [s for s in sent if s.startswith(("INSERT INTO purchases", "UPDATE orders"))]
