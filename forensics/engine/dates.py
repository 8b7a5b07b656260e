"""Commit dates as git stores them (``<epoch> <offset>``), read so that no commit's metadata can end a command.

git accepts, and real histories hold, what a strict ISO parser refuses: offsets out of range
(``+51800``: 518 hours), ``-0000``, ``+9999``, dates before 1970 (negative epochs, which ``git log``
prints as nothing), dates far in the future, and idents with no date at all. The instant is the epoch
(UTC whatever the offset says); the offset only decides the local wall-clock text.

Rules (documented in README "What the words mean"):

- the UTC time is the epoch; an epoch pandas cannot hold (before 1677, after 2262) or no epoch at
  all becomes 1970-01-01T00:00:00Z, flagged ``unrepresentable`` or ``missing``;
- an offset is in range when it is ``[+-]HHMM`` with HH <= 14 and MM < 60; otherwise the local text
  is the UTC time (``+00:00``) and the date is flagged ``offset_out_of_range``; ``-0000`` is UTC;
- flags also mark ``before_1970`` (negative epoch) and ``in_future`` (more than a day after ``now``).
The raw ``<epoch> <offset>`` text is kept as it was stored.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

import pandas as pd

_RAW = re.compile(r"^\s*(-?\d+)(?:\s+([+-]?\d+))?\s*$")
_IDENT_DATE = re.compile(rb"> *(-?\d+)(?: +([+-]?\d+))? *$")
_LOW, _HIGH = -(2 ** 63) // 10 ** 9 + 1, (2 ** 63 - 1) // 10 ** 9 - 1   # what pandas' ns timestamps hold
FUTURE_SLACK = 86400


class GitDate(NamedTuple):
    """One parsed date: ``utc`` (a tz-aware Timestamp), ``local`` (ISO 8601 text with the offset, or
    UTC when the offset is out of range), ``raw`` (as stored) and ``flags`` (``;``-separated, "" when
    clean)."""

    utc: pd.Timestamp
    local: str
    raw: str
    flags: str


def parse_git_date(raw: str, now: float | None = None) -> GitDate:
    """Parse ``<epoch> <offset>`` as git stores it; never raises."""
    now = time.time() if now is None else now
    flags: list[str] = []
    m = _RAW.match(raw or "")
    epoch: int | None = int(m.group(1)) if m else None
    offset = m.group(2) if m else None
    if epoch is None:
        flags.append("missing")
        epoch = 0
    elif not _LOW <= epoch <= _HIGH:
        flags.append("unrepresentable")
        epoch = 0
    else:
        if epoch < 0:
            flags.append("before_1970")
        if epoch > now + FUTURE_SLACK:
            flags.append("in_future")
    utc = pd.Timestamp(epoch, unit="s", tz="UTC")
    minutes = _offset_minutes(offset)
    if offset is not None and minutes is None:
        flags.append("offset_out_of_range")
    local = _local_text(epoch, minutes or 0)
    return GitDate(utc, local, (raw or "").strip(), ";".join(flags))


def _offset_minutes(offset: str | None) -> int | None:
    """Minutes east of UTC for a ``[+-]HHMM`` offset in range, else None."""
    if offset is None:
        return 0
    m = re.fullmatch(r"([+-]?)(\d{2})(\d{2})", offset)
    if not m:
        return None
    hours, mins = int(m.group(2)), int(m.group(3))
    if hours > 14 or mins >= 60:
        return None
    sign = -1 if m.group(1) == "-" else 1
    return sign * (hours * 60 + mins)


def _local_text(epoch: int, minutes: int) -> str:
    tz = timezone(timedelta(minutes=minutes))
    try:
        return datetime.fromtimestamp(epoch, tz).isoformat()
    except (OverflowError, OSError, ValueError):   # beyond datetime's years 1..9999
        return pd.Timestamp(epoch, unit="s", tz="UTC").isoformat()


def ident_date(header: bytes, field: bytes) -> str:
    """The raw ``<epoch> <offset>`` of the ``author``/``committer`` line of a raw commit object ("" when
    the line has no date)."""
    for line in header.split(b"\n"):
        if not line:
            break  # end of the headers
        if line.startswith(field + b" "):
            m = _IDENT_DATE.search(line)
            if not m:
                return ""
            return " ".join(g.decode("ascii") for g in m.groups() if g is not None)
    return ""


def decode_ident(raw: bytes) -> str:
    """Commit text as git printed it (UTF-8 when the commit declares its encoding, raw bytes when it
    does not): UTF-8, else Windows-1252, else Latin-1 (every byte is one): never fails, never loses
    a byte to U+FFFD."""
    for enc in ("utf-8", "cp1252", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # unreachable: latin-1 decodes any bytes
