"""Routes only. Each reads the request, calls one chalicelib function and returns.

Service modules are imported inside the routes: whatever app.py imports at module level is paid
on every Lambda cold start, and most requests need only a few of them.
"""

import logging

from chalice.app import Response

from chalicelib import web
from chalicelib.static import BINARY_TYPES

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

app = web.App(app_name="game-item-store")
# Exactly the binary types we serve (Chalice's default list has twenty): every response is
# matched against this list, on every request.
app.api.binary_types = list(BINARY_TYPES)
app.register_middleware(web.http_middleware, "http")
web.tune_local_server()
route = web.router(app)


@route("/api/items", methods=["GET"])
def list_items() -> Response:
    from chalicelib import catalog, schemas

    query = web.parse_query(app.current_request, schemas.ItemQuery)
    return web.conditional_json(app.current_request, catalog.list_items(query), "public, max-age=15")


@route("/api/items/{item_id}", methods=["GET"])
def get_item(item_id: str) -> Response:
    from chalicelib import catalog

    if not item_id.isascii() or not item_id.isdigit() or len(item_id) > 12:
        return web.error_response(404, "NOT_FOUND", "No such item")
    return web.json_response(catalog.get_item(int(item_id)), headers={"Cache-Control": "public, max-age=15"})


@route("/api/session", methods=["POST"])
def create_session() -> Response:
    from chalicelib import accounts, schemas

    web.parse_body(app.current_request, schemas.SessionCreate)
    return web.json_response(accounts.start_session(), status=201)


@route("/api/purchases", methods=["GET"])
def list_purchases() -> Response:
    from chalicelib import auth, purchases, schemas

    user_id = auth.user_from_headers(web.lower_headers(app.current_request))
    query = web.parse_query(app.current_request, schemas.PurchaseQuery)
    return web.conditional_json(app.current_request, purchases.list_purchases(user_id, query), "private, no-cache")


@route("/api/orders", methods=["POST"])
def create_order() -> Response:
    from chalicelib import auth, orders, schemas

    user_id = auth.user_from_headers(web.lower_headers(app.current_request))
    body = web.parse_body(app.current_request, schemas.OrderCreate)
    client_ip = app.current_request.context.get("identity", {}).get("sourceIp")
    return web.json_response(orders.create_order(user_id, body, client_ip=client_ip), status=201)


@route("/api/orders/{order_id}", methods=["GET"])
def get_order(order_id: str) -> Response:
    from chalicelib import auth, orders

    user_id = auth.user_from_headers(web.lower_headers(app.current_request))
    return web.json_response(orders.get_order(user_id, orders.parse_order_id(order_id)))


@route("/api/dev/orders/{order_id}/pay", methods=["POST"])
def simulate_payment(order_id: str) -> Response:
    from chalicelib import auth, orders

    user_id = auth.user_from_headers(web.lower_headers(app.current_request))
    return web.json_response(orders.simulate_payment(user_id, orders.parse_order_id(order_id)))


@route("/api/webhooks/payment", methods=["POST"])
def payment_webhook() -> Response:
    from chalicelib import webhooks

    request = app.current_request
    raw = request.raw_body
    reply = webhooks.handle(raw.encode("utf-8") if isinstance(raw, str) else raw, web.lower_headers(request))
    return Response(body=reply.body.decode("utf-8"), status_code=reply.status, headers=dict(reply.headers))


@route("/api/health", methods=["GET"])
def health() -> Response:
    from chalicelib import health as checks

    status, body = checks.check()
    return web.json_response(body, status=status)


@route("/api/config", methods=["GET"])
def public_config() -> Response:
    from chalicelib.config import get_settings

    settings = get_settings()
    return web.json_response(
        {"stage": settings.stage, "dev_tools": settings.dev_tools, "checkout_provider": settings.checkout_provider}
    )


@route("/api/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib import openapi as spec

    return web.json_response(spec.document(), headers={"Cache-Control": "public, max-age=300"})


@route("/", methods=["GET"])
def storefront() -> Response:
    from chalicelib import static

    return static.index()


@route("/assets/{name}", methods=["GET"])
def storefront_asset(name: str) -> Response:
    from chalicelib import static

    return static.asset(name)


@route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    from chalicelib import static

    return static.root_file("favicon.ico")
