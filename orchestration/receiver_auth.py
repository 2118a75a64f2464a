"""Bearer-token authentication for `journeys serve`, as the Collector's `bearertokenauth` does it.

With a token configured, a request is accepted only with `Authorization: Bearer <token>`; the
comparison takes the same time wherever the first differing byte is, so the token cannot be
guessed byte by byte from answer times.
"""

from __future__ import annotations

import hmac

SCHEME = "bearer"


def authorized(authorization: str | None, token: str) -> bool:
    """Whether an `Authorization` header value carries `token` (always true without a token)."""
    if not token:
        return True
    scheme, _, supplied = (authorization or "").strip().partition(" ")
    if scheme.lower() != SCHEME:
        return False
    return hmac.compare_digest(supplied.strip().encode(), token.encode())
