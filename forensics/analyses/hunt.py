"""Hunting silent damage: the paths at the revision whose version carries a culprit's specific
signature on a line that is not a marker line, found without a hint.

The culprit's signatures are mined (:func:`forensics.analyses.signatures.commit_signatures`); the
specific ones (a marker regex whose background rate in healthy pre-culprit lines is at most
``max_rate``) are hunted. A version that compiles and carries no marker but carries one is in state
``placeholder``: it looks healthy and is not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from forensics.analyses.signatures import (DEFAULT_BUDGET_SECONDS, MAX_BACKGROUND_RATE, commit_signatures,
                                           specific_markers)
from forensics.engine.events import Lineage
from forensics.engine.placeholders import Probe, compile_probes, placeholder_lines
from forensics.engine.states import PLACEHOLDER

HUNT_COLUMNS = ["path", "state", "signatures", "lines", "brought_by", "brought_at", "surfaced_by", "surfaced_at",
                "first_line", "markers", "compiles", "blob"]


@dataclass
class Hunted:
    """What a hunt looks for: ``signatures`` (the culprit's full table), ``specific`` (its rows
    usable as markers), ``culprit`` (its commits) and ``since`` (its first commit's time)."""

    signatures: pd.DataFrame
    specific: pd.DataFrame
    culprit: list[str]
    since: pd.Timestamp

    @property
    def probes(self) -> list[Probe]:
        """What to look for in versions: each specific signature's marker regex and result text."""
        return [Probe(m, r) for m, r in zip(self.specific["marker"], self.specific["result"])]


def mine(result, shas: list[str], max_rate: float = MAX_BACKGROUND_RATE, min_files: int = 2,
         budget_seconds: float = DEFAULT_BUDGET_SECONDS, changes: pd.DataFrame | None = None,
         since: pd.Timestamp | None = None) -> Hunted:
    """The culprit's signatures and the specific ones (see :func:`specific_markers`). ``changes``
    and ``since`` for commits the scan does not reach."""
    if since is None:
        when = result.commits.set_index("sha")["committed_at"]
        known = [when[s] for s in shas if s in when.index]
        since = min(known) if known else pd.Timestamp.max.tz_localize("UTC")
    table = commit_signatures(result, shas, min_files=min_files, changes=changes, before=since,
                              budget_seconds=budget_seconds)
    return Hunted(table, specific_markers(table, max_rate), list(shas), since)


def hunt(result, hunted: Hunted, read: Callable[[list[str]], dict[str, bytes | None]] | None = None) -> pd.DataFrame:
    """One row per path in scope at the revision whose version carries a hunted signature on a
    non-marker line. Columns: HUNT_COLUMNS: ``state`` (``placeholder`` when the version compiles
    and has no marker, else its scan state), ``signatures`` (the signatures it carries, ``; ``
    between), ``lines`` (non-marker lines carrying one), ``brought_by``/``brought_at`` (the commit
    from which the path's lineage has carried them without interruption, marker lines included),
    ``surfaced_by``/``surfaced_at`` (the commit from which they stand on non-marker lines: the
    unmask; the same commit when they arrived unmasked), ``first_line``. Most lines first."""
    read = read or result.read_blobs
    spec = hunted.specific
    if not len(spec):
        return pd.DataFrame(columns=HUNT_COLUMNS)
    compiled = compile_probes(hunted.probes)
    names = {Probe(m, r): sig for m, r, sig in zip(spec["marker"], spec["result"], spec["signature"])}
    markers = result.settings.rules.compiled_markers
    subj = result.subjects
    blobs = read(sorted(set(subj["blob"])))
    found: dict[str, tuple[list[Probe], list[int]]] = {}
    for path, blob in zip(subj["path"], subj["blob"]):
        data = blobs.get(blob)
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        live = placeholder_lines(text, compiled, markers)
        if live:
            carried = list(dict.fromkeys(p for got in live.values() for p in got))
            found[path] = (carried, sorted(live))
    if not found:
        return pd.DataFrame(columns=HUNT_COLUMNS)
    history = _History(result, set(found), read)
    when = result.commits.set_index("sha")["committed_at"]
    rows = []
    now = subj.set_index("path")
    for path, (pats, live) in found.items():
        row = now.loc[path]
        brought, surfaced = history.arrival(path, row["blob"], compile_probes(pats), markers)
        state = PLACEHOLDER if bool(row["compiles"]) and int(row["markers"]) == 0 else row["state"]
        rows.append({"path": path, "state": state, "signatures": "; ".join(names[p] for p in pats),
                     "lines": len(live), "brought_by": brought, "brought_at": when.get(brought, pd.NaT),
                     "surfaced_by": surfaced, "surfaced_at": when.get(surfaced, pd.NaT), "first_line": live[0],
                     "markers": int(row["markers"]), "compiles": bool(row["compiles"]), "blob": row["blob"]})
    df = pd.DataFrame(rows, columns=HUNT_COLUMNS)
    for col in ("brought_at", "surfaced_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    return df.sort_values(["lines", "path"], ascending=[False, True], kind="stable").reset_index(drop=True)


class _History:
    """The versions along the lineage of the hunted paths, read once."""

    def __init__(self, result, paths: set[str], read) -> None:
        ch = result.changes[~result.changes["is_backup"]]
        self.lineage = Lineage(ch, result.versions)
        self.rev_order = result.rev_order
        # the paths' earlier names too (renames, copies), so one read covers every lineage
        moved = ch[(ch["old_path"] != ch["path"]) & (ch["old_path"] != "")]
        names, grown = set(paths), True
        while grown:
            more = set(moved.loc[moved["path"].isin(names), "old_path"]) - names
            names |= more
            grown = bool(more)
        mine_ = ch[ch["path"].isin(names)]
        self.read = read
        self.texts: dict[str, str] = {}
        self.live: dict[str, bool] = {}
        self._load(set(mine_["old_blob"]) | set(mine_["new_blob"]))

    def _load(self, blobs: set[str]) -> None:
        todo = sorted(b for b in blobs if b and b not in self.texts)
        if todo:
            for b, data in self.read(todo).items():
                self.texts[b] = data.decode("utf-8", "replace") if data is not None else ""

    def _text(self, blob: str) -> str:
        if blob not in self.texts:
            self._load({blob})
        return self.texts.get(blob, "")

    def arrival(self, path: str, blob: str, patterns, markers) -> tuple[str, str]:
        """(brought_by, surfaced_by) for the hunted ``patterns`` of ``path`` at ``blob``."""
        brought = surfaced = ""
        live_run = True
        before = self.rev_order
        for _ in range(10_000):
            ch = self.lineage.producer(path, blob, before)
            if ch is None:
                break
            text = self._text(blob)
            if not any(p.rx.search(text) for p in patterns):
                break
            brought = ch.sha
            if live_run:
                if blob not in self.live:
                    self.live[blob] = bool(placeholder_lines(text, patterns, markers))
                live_run = self.live[blob]
            if live_run:
                surfaced = ch.sha
            if ch.kind == "A" or not ch.old_blob:
                break
            path, blob, before = ch.old_path, ch.old_blob, ch.order - 1
        return brought, surfaced
