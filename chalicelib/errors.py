"""Typed errors of our own API. One boundary (web.py) turns them into HTTP responses."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class BadRequest(ApiError):
    status = 400
    code = "BAD_REQUEST"


class ValidationFailed(ApiError):
    status = 400
    code = "VALIDATION_ERROR"


class Unauthorized(ApiError):
    status = 401
    code = "UNAUTHORIZED"

    def __init__(self, message: str = "A valid bearer token is required", **kwargs: Any):
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="store"'})
        super().__init__(message, **kwargs)


class NotFound(ApiError):
    status = 404
    code = "NOT_FOUND"


class PayloadTooLarge(ApiError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class RateLimited(ApiError):
    status = 429
    code = "RATE_LIMITED"


class ServiceUnavailable(ApiError):
    status = 503
    code = "SERVICE_UNAVAILABLE"


class CheckoutRejected(ApiError):
    status = 502
    code = "CHECKOUT_REJECTED"


class CheckoutUnavailable(ApiError):
    status = 504
    code = "CHECKOUT_UNAVAILABLE"


def pydantic_details(exc: Any) -> list[dict[str, str]]:
    """Where and what, never the offending input (it may be large or personal)."""
    return [
        {"field": ".".join(str(p) for p in err.get("loc", ())) or "body", "message": err.get("msg", "invalid")}
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
