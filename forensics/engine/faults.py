"""Fault injection for tests: ``FORENSICS_FAULT=<point>:<n>`` fails at the n-th pass through a named
point. ``kill`` points SIGKILL the process (restore's crash test); ``raise`` points raise
RuntimeError (a report notebook that fails mid-run). Unset in normal use: a no-op."""
from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def fault(point: str, kill: bool = False) -> None:
    spec = os.environ.get("FORENSICS_FAULT", "")
    if not spec or not spec.startswith(point + ":"):
        return
    _counts[point] = _counts.get(point, 0) + 1
    if spec == f"{point}:{_counts[point]}":
        if kill:
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError(f"injected fault at {point} (FORENSICS_FAULT)")


def fault_block(point: str, subject: str) -> None:
    """``FORENSICS_FAULT_BLOCK=<point>:<name>:<fifo>``: at ``point``, when ``subject``'s base name is
    ``name``, block opening the FIFO ``fifo`` for reading (a hang on one input, for the fleet's time
    bound test). Unset in normal use: a no-op."""
    spec = os.environ.get("FORENSICS_FAULT_BLOCK", "")
    if not spec.startswith(point + ":"):
        return
    name, fifo = spec[len(point) + 1:].split(":", 1)
    if os.path.basename(os.path.normpath(subject)) == name:
        with open(fifo, "rb") as fh:
            fh.read()
