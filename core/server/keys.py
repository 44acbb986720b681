"""The local server's API key, kept in the system keyring beside the Hub token.

A server that listens beyond this computer (any host but loopback) answers only requests that
carry this key as ``Authorization: Bearer``. It is generated once and kept like the Hugging
Face token (core/models/tokens.py): in the keyring, never in the settings file; where no
keyring is available it lives for this session only, and the caller says so.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

import keyring.backend

from core.models.tokens import TokenStore

ACCOUNT: Final = "local-server-api-key"
PREFIX: Final = "fs-"


class ApiKeyStore:
    """Reads, creates and replaces the server's key."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._tokens = TokenStore(backend, account=ACCOUNT)

    @property
    def persistent(self) -> bool:
        """True when the key survives this session (a real keyring is there)."""
        return self._tokens.persistent

    def get(self) -> str | None:
        return self._tokens.get()

    def get_or_create(self) -> str:
        """The key, made now if there is none yet."""
        return self.get() or self.renew()

    def renew(self) -> str:
        """A new random key in place of the old one (which stops working at once)."""
        key = PREFIX + secrets.token_urlsafe(32)
        self._tokens.set(key)
        return key


def key_matches(expected: str, authorization: str | None) -> bool:
    """Whether an ``Authorization`` header carries the key, compared in constant time."""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
