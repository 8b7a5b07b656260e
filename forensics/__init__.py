"""forensics: investigate bulk damage in git repositories.

Data flows one way: git -> changes -> versions' health -> events -> analyses -> tables.
The library API is as usable from a notebook as from the CLI::

    from forensics import scan, census
    result = scan("path/to/repo", rev="HEAD")
    census(result, depth=2)
"""
from __future__ import annotations

__version__ = "0.1.0"

from forensics.scan import ScanResult, scan  # noqa: E402
from forensics.census import census  # noqa: E402
from forensics.timeline import timeline  # noqa: E402
from forensics.events import damage_chains  # noqa: E402

__all__ = ["ScanResult", "scan", "census", "timeline", "damage_chains", "__version__"]
