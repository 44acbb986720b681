"""Errors a person can meet with their chats; each carries a message code (core/i18n.py)."""

from __future__ import annotations

from core.errors import FiresideError


class ChatError(FiresideError):
    """Base of the errors about chats and messages."""


class ChatNotFound(ChatError):
    """No chat (or message) with that id, or it is in the trash when it must not be."""


class ImportFormatError(ChatError):
    """An import file that is not a Fireside chat export."""


class TurnTooLarge(ChatError):
    """The newest turn alone does not fit the model's context window."""
