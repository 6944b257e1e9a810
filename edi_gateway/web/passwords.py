"""Checking passwords and secrets: Argon2id hashes, a memory of good checks, a failure throttle.

Job: one place for every secret the web stage checks (technical accounts, OAuth clients, portal
users): :func:`hash_secret` makes a salted Argon2id hash (argon2-cffi defaults, RFC 9106
low-memory profile); :class:`PasswordChecker` verifies a secret against a hash. A successful
check is remembered (by who and a SHA-256 of hash and secret, until :meth:`forget`), so a client
sending its credentials on every call pays one verification; a failure counts in the throttle
(:mod:`edi_gateway.web.throttle`), and past its limit every check of that name from that
address fails at once, the right secret too (else the remembered success would tell a guesser
at once when a guess is right), until the window has passed. An unknown name is checked
against a dummy hash: the same answer after the same work, so names cannot be guessed by timing.
"""

from __future__ import annotations

import hashlib
import threading

import argon2

from edi_gateway.web.throttle import FailureThrottle

_HASHER = argon2.PasswordHasher()


def hash_secret(secret: str) -> str:
    """A salted Argon2id hash of ``secret``."""
    return _HASHER.hash(secret)


_DUMMY_HASH = hash_secret("no such name")


class PasswordChecker:
    """Verifies secrets against hashes; thread-safe.

    Args:
        throttle: the failure bound (default: 10 failures a minute per key).
    """

    def __init__(self, throttle: FailureThrottle | None = None) -> None:
        self.throttle = throttle or FailureThrottle()
        self._verified: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Forget every remembered success (the file of hashes changed)."""
        with self._lock:
            self._verified = set()

    def check(self, who: tuple[str, ...], target: str | None, secret: str) -> bool:
        """True when ``secret`` matches the hash ``target`` (None: an unknown name, False).

        Args:
            who: what the throttle counts, e.g. ``("account", login, caller address)``; its
                last element (the address) is not part of what is remembered.
        """
        if self.throttle.blocked(who):
            return False  # too many failures from there: refused, right or wrong, no work spent
        digest = hashlib.sha256(f"{target}\0{secret}".encode()).hexdigest()
        key = (*who[:-1], digest)
        if target is not None and key in self._verified:
            return True
        try:
            ok = bool(_HASHER.verify(target or _DUMMY_HASH, secret)) and target is not None
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            ok = False
        if not ok:
            self.throttle.failed(who)
            return False
        with self._lock:
            self._verified.add(key)
        return True
