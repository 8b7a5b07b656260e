"""Line signatures: the line transformations a commit (or a wave) applied to many files, as a table.

The line-level core lives in :mod:`forensics.engine.rewrites`; this module reads the commit's
versions from the scan result and returns a DataFrame.
"""
from __future__ import annotations

from typing import Callable, Iterable

from forensics.engine.rewrites import SIGNATURE_COLUMNS, signature_rows

__all__ = ["SIGNATURE_COLUMNS", "line_signatures", "commit_signatures", "signature_rows"]

def line_signatures(pairs: Iterable[tuple[str, bytes | None, bytes | None]], min_files: int = 2):
    """Signatures over (path, old bytes, new bytes) pairs. Columns: SIGNATURE_COLUMNS: ``files`` the
    number of files showing it, ``lines`` the number of lines, one example line before and after,
    ``kind`` (prefix_added, prefix_removed, replaced, line_added, line_removed) and ``marker`` (a
    regex matching the transformed line, for ``--marker``; empty when none is distinctive).
    Sorted by files, then lines, descending; only signatures seen in at least ``min_files`` files."""
    import pandas as pd

    rows = signature_rows(pairs, min_files)
    df = pd.DataFrame(rows, columns=SIGNATURE_COLUMNS)
    return df.sort_values(["files", "lines", "signature"], ascending=[False, False, True], kind="stable").reset_index(drop=True)


def commit_signatures(result, shas: list[str], min_files: int = 2,
                      read: Callable[[list[str]], dict[str, bytes | None]] | None = None):
    """Signatures of the changes ``shas`` made to paths in scope (backups left out)."""
    ch = result.changes[result.changes["sha"].isin(shas) & ~result.changes["is_backup"]
                        & result.changes["kind"].isin(["M", "R"])]
    read = read or result.read_blobs
    blobs = read(sorted(set(ch["old_blob"]) | set(ch["new_blob"]) - {""}))
    pairs = ((r.path, blobs.get(r.old_blob), blobs.get(r.new_blob)) for r in ch.itertuples(index=False))
    return line_signatures(pairs, min_files=min_files)
