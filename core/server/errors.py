"""Errors the server answers with, in the shape OpenAI's clients read.

Every refusal is an :class:`ApiError`: an HTTP status, a message code from core/i18n.py (so
the person reads it in their language) and OpenAI's ``type``/``param``/``code`` fields, which
clients branch on. Errors of the engine and the models map onto these in one place
(:func:`from_fireside_error`), so no handler invents its own status codes.
"""

from __future__ import annotations

from typing import Any

from core.engine.errors import (
    EngineError,
    InvalidRequest,
    ModelFileError,
    NoModelLoaded,
    PromptTooLong,
    TemplateError,
)
from core.errors import FiresideError
from core.i18n import Translator
from core.knowledge.errors import KnowledgeError
from core.models.errors import ModelsError


class ApiError(FiresideError):
    """A refusal with its HTTP status and OpenAI error fields."""

    def __init__(self, status: int, code: str, *, api_code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None,
                 **params: Any) -> None:  # fmt: skip
        super().__init__(code, **params)
        self.status = status
        self.api_code = api_code
        self.param = param
        self.headers = headers or {}

    @property
    def api_type(self) -> str:
        if self.status == 401:
            return "authentication_error"
        if self.status >= 500:
            return "server_error"
        return "invalid_request_error"

    def body(self, translate: Translator) -> dict[str, Any]:
        """OpenAI's error object: ``{"error": {message, type, param, code}}``."""
        return {
            "error": {
                "message": self.message(translate),
                "type": self.api_type,
                "param": self.param,
                "code": self.api_code,
            }
        }


def from_fireside_error(exc: FiresideError) -> ApiError:
    """The status a core error deserves: the request's fault is 400, the engine's is 500."""
    if isinstance(exc, ApiError):
        return exc
    params = dict(exc.params)
    if isinstance(exc, PromptTooLong):
        return ApiError(400, exc.code, api_code="context_length_exceeded", param="messages",
                        **params)  # fmt: skip
    if isinstance(exc, InvalidRequest):
        return ApiError(400, exc.code, api_code="invalid_value", param=params.get("name"),
                        **params)  # fmt: skip
    if isinstance(exc, ModelsError | ModelFileError | NoModelLoaded | TemplateError):
        return ApiError(400, exc.code, api_code="model_unusable", param="model", **params)
    if isinstance(exc, KnowledgeError):  # no embedding model, unknown collection, reindex
        return ApiError(400, exc.code, api_code="knowledge_unavailable", param="model",
                        **params)  # fmt: skip
    if isinstance(exc, EngineError):
        return ApiError(500, exc.code, api_code="engine_failed", **params)
    return ApiError(500, exc.code, **params)
