"""Text from the analysed repository, made safe for a terminal: C0 and C1 control characters (escape
sequences that could set the clipboard, the window title or a hidden link, clear the screen) are shown
as ``\\xNN`` escapes, never sent raw. Used by every human-facing table and message; JSON stays raw."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: object) -> str:
    """``value`` as text with control characters escaped (tabs and newlines kept)."""
    text = str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text) if _CONTROL.search(text) else text
