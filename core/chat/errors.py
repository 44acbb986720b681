"""Errors a person can meet with their chats; each carries a message code (core/i18n.py)."""

from __future__ import annotations

from typing import Any

from core.i18n import Translator


class ChatError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(Translator("en")(code, **params))

    def message(self, translate: Translator) -> str:
        return translate(self.code, **self.params)


class ChatNotFound(ChatError):
    """No chat (or message) with that id, or it is in the trash when it must not be."""


class ImportFormatError(ChatError):
    """An import file that is not a Fireside chat export."""


class TurnTooLarge(ChatError):
    """The newest turn alone does not fit the model's context window."""
