"""Send a signed Xsolla webhook to a running store, the way Xsolla would.

Builds a realistic combined-mode payload (order, user, items, billing), serialises it once,
signs exactly those bytes with the app's own signatures.sign(), and POSTs them.

    python scripts/simulate_webhook.py --sku skin-ember-blade --quantity 2
    python scripts/simulate_webhook.py --order-id 1234 --type order_canceled
    python scripts/simulate_webhook.py --scheme hmac-sha256 --repeat 3
    python scripts/simulate_webhook.py --dry-run

Exit status: 0 when every delivery got a 2xx answer, 1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib import signatures, xsolla_payloads  # noqa: E402
from chalicelib.config import DEV_WEBHOOK_SECRET  # noqa: E402

DEFAULT_URL = "http://localhost:8000/api/webhooks/payment"
TIMEOUT_S = 10


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError("the amount must be a non-negative number")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help=f"webhook URL (default {DEFAULT_URL})")
    parser.add_argument(
        "--secret",
        default=os.environ.get("XSOLLA_WEBHOOK_SECRET") or DEV_WEBHOOK_SECRET,
        help="shared secret (default $XSOLLA_WEBHOOK_SECRET, else the local dev secret)",
    )
    parser.add_argument("--type", default="order_paid", choices=["order_paid", "order_canceled", "user_validation"])
    parser.add_argument("--scheme", default="xsolla", choices=list(signatures.SCHEMES))
    parser.add_argument("--sku", default="skin-ember-blade", help="item SKU (default skin-ember-blade)")
    parser.add_argument("--quantity", type=_positive, default=1)
    parser.add_argument("--user", default=os.environ.get("TEST_USER_ID") or "test-user", help="user external id")
    parser.add_argument("--order-id", type=_positive, default=None, help="Xsolla order id (default: random)")
    parser.add_argument(
        "--amount",
        type=_decimal,
        default=None,
        help="line total (default: the item's price x quantity, read from the server's /api/items)",
    )
    parser.add_argument("--currency", default=None, help="currency (default: the item's)")
    parser.add_argument("--mode", default="sandbox", choices=["sandbox", "default"])
    parser.add_argument("--repeat", type=_positive, default=1, help="send the same bytes N times (idempotency)")
    parser.add_argument("--dry-run", action="store_true", help="print the body and headers, send nothing")
    return parser.parse_args(argv)


def _api_base(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def lookup_price(url: str, sku: str) -> tuple[Decimal, str, str]:
    """(price, currency, type) of ``sku`` from the same server's catalogue."""
    offset = 0
    while True:
        query = urllib.parse.urlencode({"limit": 100, "offset": offset})
        with urllib.request.urlopen(f"{_api_base(url)}/api/items?{query}", timeout=TIMEOUT_S) as response:
            page = json.load(response)
        for item in page["data"]:
            if item["sku"] == sku:
                return Decimal(item["price"]), item["currency"], item["type"]
        offset += page["page"]["limit"]
        if offset >= page["page"]["total"]:
            raise LookupError(f"sku {sku!r} is not in the catalogue at {_api_base(url)}")


def build_body(args: argparse.Namespace) -> bytes:
    if args.type == "user_validation":
        return xsolla_payloads.encode(xsolla_payloads.user_validation(args.user))
    amount, currency, item_type = args.amount, args.currency, "skin"
    if amount is None or currency is None:
        price, item_currency, item_type = lookup_price(args.url, args.sku)
        amount = price * args.quantity if amount is None else amount
        currency = currency or item_currency
    order_id = args.order_id or xsolla_payloads.new_order_id()
    payload = xsolla_payloads.order_notification(
        args.type,
        order_id=order_id,
        user_id=args.user,
        currency=currency,
        mode=args.mode,
        lines=[xsolla_payloads.Line(sku=args.sku, quantity=args.quantity, amount=amount, item_type=item_type)],
    )
    return xsolla_payloads.encode(payload)


def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        body = build_body(args)
    except (OSError, LookupError, ValueError) as exc:
        print(f"error: could not build the payload: {exc}", file=sys.stderr)
        return 1
    headers = signatures.sign(body, args.secret, args.scheme)
    if args.dry_run:
        for name, value in headers.items():
            print(f"{name}: {value}")
        print()
        print(body.decode("utf-8"))
        return 0
    failures = 0
    for attempt in range(1, args.repeat + 1):
        try:
            status, text = send(args.url, body, headers)
        except OSError as exc:
            print(f"[{attempt}/{args.repeat}] error: {exc}", file=sys.stderr)
            failures += 1
            continue
        print(f"[{attempt}/{args.repeat}] {status} {text}".rstrip())
        failures += not 200 <= status < 300
    order_id = json.loads(body).get("order", {}).get("id")
    if order_id is not None:
        print(f"order id: {order_id}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
