"""Comment-outs found by their shape, not by the marker regex.

A commit *comments code out* in a file when the file's new version carries more lines of commented
code with one distinctive prefix (:mod:`forensics.engine.content`: ``#~``, ``# FIXME_COMMENTED:``)
than its old version did, by at least :data:`MIN_LINES`, and holds fewer code lines. When one commit
(or a wave of commits by one author, each within 30 minutes of the previous one) does that with the
same prefix to at least :data:`MIN_FILES` files, the prefix is *mined*: it becomes
a marker of the scan, as if given with ``--marker``, and every version whose most frequent prefix it
is counts those lines as marker lines (so the version is ``marked``, or ``marked+broken``). A prefix a
configured marker, or a default one, already matches is left to the marker (``# REMOVED_SYNTAX_ERROR:``).

Only the ``changes`` and ``versions`` tables are read: no second pass over history.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from forensics.engine.content import is_distinctive
from forensics.engine.health import state_of
from forensics.engine.hollowing import waves_of
from forensics.engine.markers import MarkerPattern

MIN_FILES = 5     # files one commit must comment out with one prefix
MIN_LINES = 3     # lines of code a file must gain as comments with that prefix

_COLS = ["blob", "code_lines", "comment_prefix", "comment_prefix_lines"]


@dataclass(frozen=True)
class MinedPrefix:
    """A comment prefix a commit used to comment code out: ``prefix``, the commit ``sha``, the
    ``files`` it commented out with it, and ``lines`` (commented lines it added in them)."""

    prefix: str
    sha: str
    files: int
    lines: int

    def as_dict(self) -> dict:
        return asdict(self)


def mine_prefixes(changes: pd.DataFrame, versions: pd.DataFrame, markers: tuple[MarkerPattern, ...] = (),
                  commits: pd.DataFrame | None = None) -> list[MinedPrefix]:
    """The prefixes commits used to comment code out in many files, oldest commit first (one entry
    per prefix and commit). With ``commits``, a wave (commits by one author, each within 30 minutes of
    the previous one: :func:`forensics.engine.hollowing.waves_of`) counts its files together."""
    if not len(changes) or "comment_prefix" not in versions:
        return []
    v = versions[_COLS]
    used = v[(v["comment_prefix"] != "") & (v["comment_prefix_lines"] >= MIN_LINES)]
    if not len(used):
        return []
    ch = changes[~changes["is_backup"].astype(bool) & changes["kind"].isin(["M", "R"])
                 & changes["new_blob"].isin(set(used["blob"]))]
    if not len(ch):
        return []
    after = ch[["sha", "order", "path", "old_blob", "new_blob"]].merge(used, left_on="new_blob", right_on="blob")
    before = v.rename(columns={c: f"{c}_before" for c in _COLS})
    both = after.merge(before, left_on="old_blob", right_on="blob_before", how="left")
    had = both["comment_prefix_lines_before"].where(both["comment_prefix_before"] == both["comment_prefix"], 0).fillna(0)
    gained = both["comment_prefix_lines"] - had
    lost_code = both["code_lines"] < both["code_lines_before"].fillna(0)
    hits = both[(gained >= MIN_LINES) & lost_code].assign(gained=gained)
    out = []
    for prefix, by_prefix in hits.groupby("comment_prefix", sort=False):
        if by_prefix["path"].nunique() < MIN_FILES or not is_distinctive(prefix) or _known(prefix, markers):
            continue
        by_sha = dict(tuple(by_prefix.groupby("sha", sort=False)))
        for wave in waves_of(sorted(by_sha), commits):
            if pd.concat([by_sha[s]["path"] for s in wave]).nunique() < MIN_FILES:
                continue
            out += [(int(by_sha[s]["order"].min()), MinedPrefix(prefix, s, int(by_sha[s]["path"].nunique()),
                                                               int(by_sha[s]["gained"].sum()))) for s in wave]
    return [m for _, m in sorted(out, key=lambda t: t[0])]


def _known(prefix: str, markers: tuple[MarkerPattern, ...]) -> bool:
    """A configured or default marker matches lines with this prefix (``--marker`` replacing the
    defaults does not turn the default marker's lines into a mined prefix)."""
    line = f"{prefix} x = 1"
    return any(rx.search(line) is not None for rx in (*markers, *_default_markers()))


def _default_markers() -> tuple[MarkerPattern, ...]:
    from forensics.engine.health import DEFAULT_MARKERS, compile_markers

    return compile_markers(DEFAULT_MARKERS)


def apply_prefixes(versions: pd.DataFrame, prefixes: list[str]) -> pd.DataFrame:
    """``versions`` (a copy when anything changes) where every version whose most frequent comment
    prefix is a mined one counts those lines as marker lines, and its state follows."""
    if not prefixes or "comment_prefix" not in versions:
        return versions
    hit = versions["comment_prefix"].isin(set(prefixes)) & (versions["comment_prefix_lines"] > 0) \
        & versions["readable"].astype(bool)
    if not hit.any():
        return versions
    out = versions.copy()
    out.loc[hit, "markers"] = out.loc[hit, "markers"] + out.loc[hit, "comment_prefix_lines"]
    out.loc[hit, "state"] = [state_of(int(m), bool(c)) for m, c in zip(out.loc[hit, "markers"],
                                                                       out.loc[hit, "compiles"])]
    return out
