"""Typed engine errors that carry a message code, never a traceback, to the person.

Every failure that can reach a caller is one of these. They cross the process boundary as
(kind, code, params) and are rebuilt here, so the caller can branch on the type and show
``error.message(translator)`` in the person's language.
"""

from __future__ import annotations

from typing import Any

from core.errors import FiresideError


class EngineError(FiresideError):
    """Base of everything the engine reports. ``code`` keys the message catalogue."""


class ModelFileError(EngineError):
    """The file is missing, unreadable, not GGUF, truncated or inconsistent.

    Raised by the pre-flight check in the calling process, before llama.cpp sees the file.
    """


class ModelLoadError(EngineError):
    """llama.cpp refused the model, or the engine died while loading it."""


class EngineCrashed(EngineError):
    """The engine process died (killed, aborted, out of memory). Start a fresh one."""


class EngineStartError(EngineError):
    """The engine process could not be started or did not answer in time."""


class NoModelLoaded(EngineError):
    """A request needed a model the engine does not have loaded."""


class PromptTooLong(EngineError):
    """The prompt does not fit the context window."""


class TemplateError(EngineError):
    """The model's chat template failed (``template_error``) or passed a limit of the
    template process (``template_too_slow``, ``template_too_large``) and is not used.

    Nothing falls back on its own: the person may choose Fireside's plain transcript
    instead, which the window offers and the CLI names (``--plain-transcript``); a session
    made with ``template=ChatTemplate.plain_transcript()`` then works with this model."""

    offers_plain_transcript = True


class InvalidRequest(EngineError):
    """A request argument is out of range (checked before it is sent)."""


class EngineInternalError(EngineError):
    """Anything else the engine caught; carries its reason as text."""


ERROR_TYPES: dict[str, type[EngineError]] = {
    cls.__name__: cls
    for cls in (
        ModelFileError,
        ModelLoadError,
        EngineCrashed,
        EngineStartError,
        NoModelLoaded,
        PromptTooLong,
        TemplateError,
        InvalidRequest,
        EngineInternalError,
    )
}


def rebuild_error(kind: str, code: str, params: dict[str, Any]) -> EngineError:
    """Turn an error event from the engine process back into its exception type."""
    return ERROR_TYPES.get(kind, EngineInternalError)(code, **params)
