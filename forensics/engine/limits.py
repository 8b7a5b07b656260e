"""Bounds on what one version of the evidence may cost (README "Hostile repositories").

A version (one blob) bigger than :data:`MAX_VERSION_BYTES` is never held in memory, compiled or
searched: the blob reader drains it from git in small pieces and hands on a :class:`TooLarge` in its
place (empty bytes that remember the size). The judge records it as ``unreadable`` with error class
``TooLarge`` and error kind ``too_large``: neither healthy nor damaged, counted apart, and never judged
broken. A version whose compilation runs out of memory is recorded the same way (error class
``MemoryError``) and is not cached, so a later scan with more memory judges it.

Why 8 MiB: git can inflate a few kilobytes of pack (a delta that copies its base again and again) to
gigabytes, and compiling Python costs tens of times the source's size in memory, on every core. The
largest hand-written modules are a few hundred kilobytes; a version of 8 MiB is generated data.
"""
from __future__ import annotations

MAX_VERSION_BYTES = 8 << 20
READ_PIECE = 1 << 20


class TooLarge(bytes):
    """A blob over :data:`MAX_VERSION_BYTES`: reads as ``b""``; ``size`` is its real size."""

    size: int

    def __new__(cls, size: int) -> "TooLarge":
        obj = super().__new__(cls, b"")
        obj.size = size
        return obj

    def __reduce__(self):
        return (TooLarge, (self.size,))
