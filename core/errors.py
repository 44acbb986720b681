"""The base of every error a person can meet: a message code and its parameters.

Each part of the core (engine, chats, models, knowledge) raises its own subclasses; all of
them carry a code from core/i18n.py, so whoever shows the error (the CLI's one line, the
window's message box) can say it in the person's language with ``message(translator)``.
"""

from __future__ import annotations

from typing import Any

from core.i18n import Translator


class FiresideError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(Translator("en")(code, **params))

    def message(self, translate: Translator) -> str:
        return translate(self.code, **self.params)
