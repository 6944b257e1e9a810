"""OAuth2 access tokens of the Service mode (client credentials grant, as PISTE issues them).

Job: issue a signed, short-lived bearer token to an OAuth2 client that proved its secret
(``POST /api/oauth/token``, ``grant_type=client_credentials``; answer ``access_token``,
``token_type`` ``Bearer``, ``expires_in`` seconds, ``scope`` ``openid``:
``../shared/domain/chorus-pro.md`` §6), and check a token on every call. Tokens are JWTs
(RFC 7519) signed with HS256 (PyJWT) under a 256-bit key kept in the state folder
(``var/api-token-key``, mode 0600, made at the first start); a token signed with another key, a
token past its ``exp`` and anything that is not a token are refused alike.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

import jwt

ALGORITHM = "HS256"
SCOPE = "openid"


def load_key(state_dir: Path, name: str = "api-token-key") -> bytes:
    """A 256-bit key of this gateway (``state_dir/name``), created (0600, atomically) when
    missing: ``api-token-key`` signs the API's tokens, ``portal-session-key`` the portal's
    session cookies.

    Raises:
        OSError: the key cannot be read or written.
    """
    path = state_dir / name
    with contextlib.suppress(FileNotFoundError):
        return bytes.fromhex(path.read_text().strip())
    state_dir.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    with contextlib.suppress(FileExistsError):
        os.link(temp, path)  # never replaces a key another process made meanwhile
    temp.unlink()
    return bytes.fromhex(path.read_text().strip())


class TokenIssuer:
    """Issues and checks access tokens.

    Args:
        key: the signing key (:func:`load_key`).
        lifetime: seconds a token is valid (``[api] token_seconds``, 3600 as PISTE).
    """

    def __init__(self, key: bytes, lifetime: int) -> None:
        self.key = key
        self.lifetime = lifetime
        self._checked: dict[str, tuple[str, float]] = {}  # token -> (client, exp)

    def issue(self, client_id: str, now: float | None = None) -> dict[str, object]:
        """The token answer for ``client_id``: ``access_token``, ``token_type``, ``expires_in``,
        ``scope``."""
        issued = int(now if now is not None else time.time())
        claims = {"sub": client_id, "iat": issued, "exp": issued + self.lifetime, "scope": SCOPE}
        token = jwt.encode(claims, self.key, algorithm=ALGORITHM)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "scope": SCOPE,
        }

    def client_of(self, token: str, now: float | None = None) -> str | None:
        """The client id a valid token was issued to; None for an expired, forged or
        malformed token (never raises). A token already checked is only checked for its
        expiry again (a client sends the same token on every call; at most 10,000 kept)."""
        moment = time.time() if now is None else now
        known = self._checked.get(token)
        if known is not None:
            return known[0] if moment < known[1] else None
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError:
            return None
        sub, exp = claims.get("sub"), claims.get("exp")
        if not isinstance(sub, str) or not isinstance(exp, int | float):
            return None
        if len(self._checked) >= 10_000:
            self._checked.clear()
        self._checked[token] = (sub, float(exp))
        return sub
