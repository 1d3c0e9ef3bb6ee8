"""The HTTP boundary: request parsing, JSON/ETag responses, and the one place where errors
become ``{"error": {...}}``. Only the standard library and Chalice are imported at module
level, because app.py imports this module on every cold start."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Chalice, Request, Response

from chalicelib.config import MAX_BODY_BYTES
from chalicelib.errors import (
    ApiError,
    BadRequest,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
    pydantic_details,
)

log = logging.getLogger("store.http")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Chalice answers some requests itself, before any view runs, with {"Code", "Message"}.
_CHALICE_CODES = {
    400: ("BAD_REQUEST", "The request could not be understood"),
    403: ("NOT_FOUND", "No such route"),
    405: ("METHOD_NOT_ALLOWED", "This method is not allowed on this route"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json"),
    500: ("INTERNAL_ERROR", "An internal error occurred"),
}

M = TypeVar("M")
Headers = dict[str, str | list[str]]


class App(Chalice):
    """Chalice keeps the current request in a plain attribute of the app object. Lambda runs one
    request per process, but ``chalice local`` serves requests on threads, where one request
    could read another's body. A thread-local keeps each request its own."""

    _local = threading.local()

    @property  # type: ignore[override]
    def current_request(self) -> Request:
        return self._local.__dict__.get("request")  # type: ignore[return-value]

    @current_request.setter
    def current_request(self, value: Request | None) -> None:
        self._local.request = value

    @property  # type: ignore[override]
    def lambda_context(self) -> Any:
        return getattr(self._local, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._local.context = value


def tune_local_server() -> None:
    """Under ``chalice local`` (whose CLI imports chalice.local before the app), stop its HTTP
    server stalling keep-alive clients for 40 ms per request: it writes the headers and the body
    separately, and Nagle holds the body until the client's delayed ACK. socketserver's own
    switch sets TCP_NODELAY on each accepted socket (buffering the response into one write
    instead would also buffer "100 Continue", and curl would wait a second before each body).
    The listen queue also gets room for a burst of connections instead of socketserver's 5.
    Lambda never imports chalice.local, so there this does nothing."""
    local = sys.modules.get("chalice.local")
    if local is None:
        return
    local.ChaliceRequestHandler.disable_nagle_algorithm = True
    local.ThreadedHTTPServer.request_queue_size = 128
    local.ChaliceRequestHandler.__getattr__ = _any_method_to_the_app
    if not hasattr(local.ChaliceRequestHandler, "_send_bare_error_response"):
        local.ChaliceRequestHandler._send_bare_error_response = local.ChaliceRequestHandler._send_error_response
        local.ChaliceRequestHandler._send_error_response = _send_error_with_security_headers


def _send_error_with_security_headers(handler: Any, error: Any) -> None:
    """The answers chalice local gives without running the app (an unknown path's 403, as API
    Gateway's) skip the middleware; they get the security headers all the same."""
    error.headers = {**SECURITY_HEADERS, **(error.headers or {})}
    handler._send_bare_error_response(error)


def _any_method_to_the_app(handler: Any, name: str) -> Any:
    """http.server answers a method it has no ``do_<METHOD>`` for (TRACE, QUERY...) with its own
    501 HTML page, without our error body or security headers; let the app answer 405 instead."""
    if name.startswith("do_"):
        return handler._generic_handle
    raise AttributeError(name)


def error_response(
    status: int, code: str, message: str, *, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    sent: Headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})}
    return Response(body=json.dumps({"error": error}), status_code=status, headers=sent)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    sent: Headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})}
    return Response(body=json.dumps(data, separators=(",", ":")), status_code=status, headers=sent)


def etag_of(body: str) -> str:
    return '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'


def conditional_json(request: Request, body: str, cache_control: str) -> Response:
    """200 with an ETag, or 304 when the client already holds this exact body."""
    etag = etag_of(body)
    headers: Headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Authorization"}
    presented = request.headers.get("if-none-match", "")
    if presented:
        tags = {t.strip().removeprefix("W/") for t in presented.split(",")}
        if etag in tags or "*" in tags:
            return Response(body="", status_code=304, headers=headers)
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json", **headers})


def lower_headers(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


def parse_query(request: Request, model: type[M]) -> M:
    params = request.query_params
    raw: dict[str, str] = {}
    if params is not None:
        for name in params:
            values = params.getlist(name)
            if len(values) > 1:
                raise ValidationFailed(f"query parameter '{name}' given more than once")
            raw[name] = values[0]
    result: M = _validate(model, raw)
    return result


def parse_body(request: Request, model: type[M]) -> M:
    raw = request.raw_body or b"{}"
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        # Nesting deeper than the interpreter's recursion limit is malformed input, not our fault.
        raise BadRequest("The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    result: M = _validate(model, data)
    return result


def _validate(model: Any, data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("The request is invalid", details=pydantic_details(exc)) from None


def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, details=exc.details, headers=exc.headers)


def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map our typed errors, database outages and bugs to the documented error body.
    Nothing escapes to Chalice, which would log a traceback and answer in its own format."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ApiError as exc:
            return _api_error(exc)
        except Exception as exc:  # noqa: BLE001 - the boundary: nothing may escape as a traceback
            from chalicelib.db import is_unavailable

            if is_unavailable(exc):
                log.error("database unavailable in %s: %s", view.__name__, type(exc).__name__)
                outage = ServiceUnavailable(
                    "A backing service is unavailable; retry shortly", headers={"Retry-After": "5"}
                )
                return _api_error(outage)
            frame = exc.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            where = f"{frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}" if frame else "?"
            log.error("unhandled %s in %s at %s", type(exc).__name__, view.__name__, where)
            return error_response(500, "INTERNAL_ERROR", "An internal error occurred")

    return wrapper


def router(app: Any) -> Callable[..., Callable[[Callable[..., Any]], Any]]:
    """``app.route`` with every view guarded."""

    def route(path: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
        def register(view: Callable[..., Any]) -> Any:
            return app.route(path, **options)(guarded(view))

        return register

    return route


def http_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Runs around every HTTP request, including the ones Chalice rejects by itself."""
    body = event.raw_body
    if body and len(body) > MAX_BODY_BYTES:
        response = error_response(413, PayloadTooLarge.code, f"The body exceeds {MAX_BODY_BYTES} bytes")
    else:
        response = get_response(event)
        response = _normalise_chalice_error(response)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _normalise_chalice_error(response: Response) -> Response:
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    code, message = _CHALICE_CODES.get(response.status_code, ("ERROR", "The request failed"))
    headers = {k: str(v) for k, v in response.headers.items() if k.lower() == "allow"}
    return error_response(response.status_code, code, message, headers=headers)
