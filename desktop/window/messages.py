"""How the window says things that come from outside it: errors and foreign text.

Every part of the window reports a failed core call the same way, as one line in the
person's language: the core's own message for its errors (``core.errors.FiresideError``
carries a code that ``core.i18n`` translates), the file and the system's reason for an
``OSError`` about a file, and for a failed connection what ``core.models.network`` makes of
it (no raw "[Errno -2]" ever). Text from the Hub or from file names is shown as plain text,
never as HTML.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel

from core.errors import FiresideError
from core.i18n import Translator
from core.models.network import cause_of, plain_reason, reason_phrase


def describe_error(error: object, translate: Translator) -> str:
    """One line in the person's language for anything a core call raised."""
    if isinstance(error, FiresideError):
        return error.message(translate)
    if isinstance(error, BaseException) and cause_of(error) == "offline":
        return translate("models_hub_no_network")  # never "[Errno -2] Name or service…"
    if isinstance(error, OSError):
        if not error.filename:  # a connection, not a file: refused, timed out, cut
            phrase = reason_phrase(error)
            return translate(phrase.code, **phrase.params)
        where, why = str(error.filename), error.strerror or plain_reason(error)
        text = QCoreApplication.translate("Messages", "Could not read or write %1: %2")
        return text.replace("%1", where).replace("%2", why)
    return str(error) or type(error).__name__


def plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    """A label for text that comes from outside (the Hub, file names): never read as HTML."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    return label


def base_model_hint() -> str:
    """What "base model" means, in one line (model lists, the status line)."""
    return QCoreApplication.translate(
        "Messages",
        "A base model has no chat template: it continues your text rather than answering "
        "as an assistant.",
    )
