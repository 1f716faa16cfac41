"""Mail text made safe to print on a terminal: control characters (escape sequences that
move the cursor, retitle the window, or hide text), bidirectional overrides and lone
carriage returns are shown as visible escapes (`\\x1b`, `\\u202e`), never passed through.
Line breaks and tabs stay."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    return _UNSAFE.sub(_escape, text.replace("\r\n", "\n"))
