"""The spreadsheet-formula rule for CSV cells written for people (OWASP "CSV injection").

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would start a
formula in a spreadsheet; it is written with a single quote ``'`` in front, which spreadsheets show as
text. A cell that already begins with ``'`` gets one too, so the rule can be undone exactly: reading
strips one leading ``'`` (:func:`restore_cell`). Numbers are never touched (``-3`` stays a number).

``FORENSICS_RAW_CSV=1`` in the environment writes raw values instead, for scripts.
"""
from __future__ import annotations

import os

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def raw_csv_requested() -> bool:
    """True when ``FORENSICS_RAW_CSV`` asks for raw cells (``1``, ``true``, ``yes``)."""
    return os.environ.get("FORENSICS_RAW_CSV", "").strip().lower() in ("1", "true", "yes")


def neutralise_cell(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or value[0] == QUOTE):
        return QUOTE + value
    return value


def restore_cell(value: str) -> str:
    """The inverse of :func:`neutralise_cell` for a cell read back as text."""
    return value[1:] if value.startswith(QUOTE) else value
