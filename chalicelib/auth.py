"""Bearer tokens for the demo login. HS256 JWTs signed with SESSION_SECRET; in production the
same ``user_from_headers`` would validate the identity provider's token instead."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import jwt

from chalicelib.config import get_settings, session_secret
from chalicelib.errors import Unauthorized

ISSUER = "game-item-store"
AUDIENCE = "game-item-store-api"
ALGORITHM = "HS256"


def issue_token(user_id: str, *, now: datetime | None = None) -> tuple[str, datetime]:
    settings = get_settings()
    issued = now or datetime.now(UTC)
    expires = issued + timedelta(seconds=settings.session_ttl_seconds)
    claims = {"sub": user_id, "iat": issued, "exp": expires, "iss": ISSUER, "aud": AUDIENCE}
    return jwt.encode(claims, session_secret(), algorithm=ALGORITHM), expires


def user_from_headers(headers: Mapping[str, str]) -> str:
    """The authenticated user id, or Unauthorized. ``headers`` are keyed in lower case."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    try:
        claims = jwt.decode(
            token.strip(),
            session_secret(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("The token is not valid") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("The token is not valid")
    return subject
