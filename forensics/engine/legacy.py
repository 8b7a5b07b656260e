"""Damage is a change, not an era: which versions are ``legacy`` (code of an older or newer dialect,
born that way) rather than damaged.

A version is ``legacy`` when it does not compile, carries no marker, fails only with Python 2 or
newer-Python errors (``dialect_only``, see :mod:`forensics.engine.error_kinds`), and its lineage (the
versions this path came from, through edits, renames and copies, in the scanned history) never
compiled under the running interpreter. A file that compiled once and then fails, whatever the
message, is damage. With ``strict`` nothing is legacy: every version that does not compile is broken.

Being a property of a lineage and not of a blob, it lives on the ``changes`` table (``legacy_before``,
``legacy_after``) and on the tree at the revision, not on ``versions``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class LegacyLineages:
    """``before``/``after``: one bool per row of the changes table given (its old / new version is
    legacy); ``at_end``: the (path, blob) pairs that are legacy at the end of the walk."""

    before: list[bool]
    after: list[bool]
    at_end: set[tuple[str, str]] = field(default_factory=set)
    candidates: frozenset[str] = frozenset()
    walked: set[tuple[str, str]] = field(default_factory=set)

    def is_legacy(self, path: str, blob: str) -> bool:
        """A version at the revision: legacy when its lineage (as walked) never compiled; a version
        whose lineage was not walked (``--since``) is judged on its own."""
        if blob not in self.candidates:
            return False
        return (path, blob) in self.at_end or (path, blob) not in self.walked


def legacy_lineages(changes: pd.DataFrame, versions: pd.DataFrame, strict: bool = False) -> LegacyLineages:
    """Walk ``changes`` (sorted by ``order``) once and decide, for each change, whether its old and new
    versions are legacy. Only changes touching a version that does not compile are looked at."""
    n = len(changes)
    before, after = [False] * n, [False] * n
    if strict or n == 0 or not len(versions):
        return LegacyLineages(before, after)
    v = versions[["blob", "compiles", "markers", "dialect_only", "readable"]]
    candidates = frozenset(v.loc[~v["compiles"].astype(bool) & (v["markers"] == 0) & v["dialect_only"].astype(bool)
                                 & v["readable"].astype(bool), "blob"])
    if not candidates:
        return LegacyLineages(before, after)
    failing = set(v.loc[~v["compiles"].astype(bool), "blob"])
    old_b, new_b = changes["old_blob"], changes["new_blob"]
    look = (old_b.isin(failing) | new_b.isin(failing)).to_numpy()
    ever: dict[tuple[str, str], bool] = {}     # (path, failing blob) -> its lineage compiled at some point
    cols = zip(changes["path"], changes["old_path"], changes["kind"], old_b, new_b)
    for i, (path, old_path, kind, ob, nb) in enumerate(cols):
        if not look[i]:
            continue
        ever_old = False
        if ob:
            ever_old = ob not in failing or ever.get((old_path, ob), False)
            before[i] = ob in candidates and not ever_old
        if nb and nb in failing:
            inherit = ever_old if kind in ("M", "R", "C") and ob else False
            key = (path, nb)
            ever[key] = ever.get(key, False) or inherit
            after[i] = nb in candidates and not ever[key]
    return LegacyLineages(before, after, {k for k, e in ever.items() if not e and k[1] in candidates}, candidates,
                          set(ever))
