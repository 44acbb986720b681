"""The person's Hugging Face access token, kept in the system keyring.

Gated models (Llama, some Gemma repositories) need a token. It is a password, so it never
goes into the settings file: it lives in the system keyring (macOS Keychain, Windows
Credential Locker, the Secret Service on Linux). Where no keyring backend is available the
store says so, and keeps the token in memory for this session only.
"""

from __future__ import annotations

from typing import Final

import keyring
import keyring.backend
import keyring.errors

from core.models.errors import TokenStoreError

SERVICE: Final = "Fireside"
ACCOUNT: Final = "huggingface-token"


class TokenStore:
    """Reads, saves and forgets the token. ``backend`` defaults to the system keyring."""

    def __init__(
        self, backend: keyring.backend.KeyringBackend | None = None, *, account: str = ACCOUNT
    ) -> None:
        self._backend = backend
        self.account = account  # the local server's API key is kept the same way
        self._session_token: str | None = None

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    @property
    def persistent(self) -> bool:
        """True when a real keyring backend is available to keep the token across sessions."""
        try:
            priority = float(self.backend.priority)
        except Exception:
            return False
        return priority > 0

    def get(self) -> str | None:
        if self._session_token is not None:
            return self._session_token
        if not self.persistent:
            return None
        try:
            return self.backend.get_password(SERVICE, self.account)
        except keyring.errors.KeyringError:
            return None

    def set(self, token: str) -> bool:
        """Keep the token; True if saved in the keyring, False if held for this session only."""
        token = token.strip()
        if not token:
            raise TokenStoreError("models_token_empty")
        if not self.persistent:
            self._session_token = token
            return False
        try:
            self.backend.set_password(SERVICE, self.account, token)
        except keyring.errors.KeyringError:
            self._session_token = token  # the keyring is there but refused: this session only
            return False
        self._session_token = None
        return True

    def clear(self) -> None:
        self._session_token = None
        if not self.persistent:
            return
        try:
            self.backend.delete_password(SERVICE, self.account)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored
        except keyring.errors.KeyringError as exc:
            raise TokenStoreError("models_token_store_failed", reason=str(exc)) from exc
