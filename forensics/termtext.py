"""Text from the analysed repository, made safe for a terminal: C0 and C1 control characters (escape
sequences that could set the clipboard, the window title or a hidden link, clear the screen) are shown
as ``\\xNN`` escapes, and bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
U+061C: "Trojan Source", text that reads in another order than it is) as ``\\uNNNN``, never sent raw.
Used by every human-facing table and message; JSON stays raw."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """``value`` as text with control and bidi characters escaped (tabs and newlines kept)."""
    text = str(value)
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def one_line(value: object) -> str:
    """``value`` as text that stays on one line: :func:`printable`, and newlines, carriage returns,
    tabs and Unicode line separators escaped too (a path in a line of output)."""
    text = str(value)
    return _CONTROL_OR_BREAK.sub(_escape, text) if _CONTROL_OR_BREAK.search(text) else text
