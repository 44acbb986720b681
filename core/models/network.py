"""Why the Hub could not be reached, in words a person reads, never the system's raw error.

A failed connection arrives as an ``OSError`` somewhere in a chain of exceptions (httpx's
``ConnectError`` wraps ``socket.gaierror(-2, 'Name or service not known')``, and so on).
Shown as it is, "[Errno -2] Name or service not known" tells a person nothing, and in a
Chinese window it is English besides. :func:`unreachable` finds the cause and turns it into
a typed, translated error: no network at all ("You are offline: the Hub cannot be reached"),
a refused connection, no answer in time, a connection cut; anything else keeps the system's
text without its errno.
"""

from __future__ import annotations

import errno
import re
import socket
from collections.abc import Iterator
from typing import Final, Literal

from core.i18n import Phrase
from core.models.errors import HubTransient

Cause = Literal["offline", "refused", "timeout", "reset", "other"]

_DEFAULT_ENDPOINT: Final = "https://huggingface.co"
_NO_ROUTE: Final = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}
_NAME_ERRORS: Final = {
    code
    for code in (
        getattr(socket, "EAI_NONAME", None),
        getattr(socket, "EAI_AGAIN", None),
        getattr(socket, "EAI_NODATA", None),
        getattr(socket, "EAI_FAIL", None),
    )
    if code is not None
}
# What resolvers say when a name cannot be looked up, on Linux, macOS and Windows (httpx
# sometimes keeps only the text of the socket error).
_NAME_TEXTS: Final = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "no address associated with hostname",
    "name resolution",
)
_ERRNO_PREFIX: Final = re.compile(r"^\s*\[(?:Errno|WinError)\s*-?\d+\]\s*")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 20:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def cause_of(exc: BaseException) -> Cause:
    """What went wrong with a connection, judged from the whole chain of exceptions."""
    for item in _chain(exc):
        text = str(item).lower()
        if isinstance(item, socket.gaierror) and (item.errno in _NAME_ERRORS or not item.errno):
            return "offline"
        if any(phrase in text for phrase in _NAME_TEXTS):
            return "offline"
        if isinstance(item, OSError) and item.errno in _NO_ROUTE:
            return "offline"
        if "network is unreachable" in text or "no route to host" in text:
            return "offline"
        if isinstance(item, ConnectionRefusedError) or "connection refused" in text:
            return "refused"
        if (
            isinstance(item, TimeoutError)
            or "timed out" in text
            or "timeout" in type(item).__name__.lower()
        ):
            return "timeout"
        if isinstance(item, ConnectionError) or "connection reset" in text:
            return "reset"
    return "other"


def plain_reason(exc: BaseException) -> str:
    """The first line of an error's text, without the "[Errno -2]" a person cannot read."""
    lines = str(exc).strip().splitlines()
    text = _ERRNO_PREFIX.sub("", lines[0]) if lines else ""
    return text or type(exc).__name__


def reason_phrase(exc: BaseException) -> Phrase:
    """Why a connection failed, as a phrase translated with the message that holds it."""
    cause = cause_of(exc)
    if cause == "other":
        return Phrase("net_other", reason=plain_reason(exc))
    return Phrase(f"net_{cause}")


def unreachable(exc: BaseException, endpoint: str) -> HubTransient:
    """The error to raise when the Hub at ``endpoint`` could not be reached because of
    ``exc``: worth a retry, and said in words."""
    if cause_of(exc) == "offline":
        if endpoint.rstrip("/") == _DEFAULT_ENDPOINT:
            return HubTransient("models_hub_no_network")
        return HubTransient("models_hub_no_network_at", endpoint=endpoint)
    return HubTransient("models_hub_unreachable", endpoint=endpoint, reason=reason_phrase(exc))
