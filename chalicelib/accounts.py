"""The demo login: a session for the configured test user."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import issue_token
from chalicelib.config import get_settings
from chalicelib.errors import NotFound
from chalicelib.formats import utc_iso


def start_session() -> dict[str, Any]:
    from chalicelib.db import transaction
    from chalicelib.orders import ensure_user

    settings = get_settings()
    if not settings.demo_login:
        raise NotFound("The demo login is disabled in this stage; use the identity provider's token")
    user_id = settings.test_user_id
    with transaction() as session:
        ensure_user(session, user_id)
    token, expires = issue_token(user_id)
    return {"token": token, "user": {"id": user_id}, "expires_at": utc_iso(expires)}
