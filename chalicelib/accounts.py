"""The demo login: a session for the configured test user."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import issue_token
from chalicelib.config import get_settings


def start_session() -> dict[str, Any]:
    from chalicelib.db import transaction
    from chalicelib.orders import ensure_user

    user_id = get_settings().test_user_id
    with transaction() as session:
        ensure_user(session, user_id)
    token, expires = issue_token(user_id)
    return {"token": token, "user": {"id": user_id}, "expires_at": expires.isoformat().replace("+00:00", "Z")}
