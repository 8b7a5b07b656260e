"""forensics: investigate bulk damage in git repositories.

Data flows one way: git -> changes -> versions' health -> events -> analyses -> tables.
The library API is as usable from a notebook as from the CLI::

    from forensics import scan, census
    result = scan("path/to/repo", rev="HEAD")
    census(result, depth=2)

Names are imported lazily, so the command line (``forensics guard`` in a pre-commit hook, say)
starts without loading pandas.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "ScanResult": "forensics.engine.scan", "scan": "forensics.engine.scan", "census": "forensics.analyses.census",
    "timeline": "forensics.analyses.timeline", "damage_chains": "forensics.engine.events",
}
__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forensics' has no attribute {name!r}")
