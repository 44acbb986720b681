"""Text for a terminal that cannot take the terminal over.

fireside-cli prints names that come from strangers: model and file names from the Hub, file
names from the disk, chat titles from imported files, and replies from a model. Printed raw,
an ESC sequence in such a name can recolour, move the cursor, rewrite earlier lines, set the
window title or (on some terminals) answer back with keystrokes; bidirectional overrides can
make ``evil.exe`` read as something else. ``TerminalSafeStream`` wraps stdout and stderr and
shows every such character as a visible escape (``\\x1b``, ``\\u202e``), keeping only line
breaks, tabs and the carriage return that fireside-cli's own progress lines use.
"""

from __future__ import annotations

import re
from typing import TextIO

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; the
# bidirectional embedding, override and isolate characters.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every character that could steer a terminal shown as an escape."""
    return _UNSAFE.sub(_escape, text)


class TerminalSafeStream:
    """A text stream that writes through ``terminal_safe``; the rest is the wrapped stream's
    (``fileno`` and ``isatty`` too, so ``input()`` keeps line editing)."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(terminal_safe(text))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.wrapped.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.wrapped, name)
