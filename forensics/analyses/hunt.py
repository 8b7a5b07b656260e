"""Hunting silent damage: the paths at the revision whose version carries a culprit's specific
signature on a line that is not a marker line, found without a hint.

The culprit's signatures are mined (:func:`forensics.analyses.signatures.commit_signatures`); the
specific ones (a marker regex whose background rate in healthy pre-culprit lines is at most
``max_rate``) are hunted. A version that compiles and carries no marker but carries one is in state
``placeholder``: it looks healthy and is not.

Without a culprit named (:func:`mine_bulk`), every bulk culprit (waves, then bulk commits outside
them; those that damaged, masked or healed paths first, by paths still damaged) is mined, up to
``max_culprits`` and within a time budget, each on at most ``max_files`` of its changed files; all
their candidates are checked against the healthy background in one pass
(:func:`forensics.analyses.background.measure`), and each path found names the culprit that brought it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from forensics.analyses.background import measure
from forensics.analyses.signatures import (DEFAULT_BUDGET_SECONDS, MAX_BACKGROUND_RATE, commit_signatures,
                                           placeholder_markers, signature_pattern, specific_markers,
                                           with_background)
from forensics.engine.events import Lineage
from forensics.engine.placeholders import Probe, compile_probes, placeholder_lines
from forensics.engine.states import PLACEHOLDER

HUNT_COLUMNS = ["path", "state", "signatures", "lines", "brought_by", "brought_at", "surfaced_by", "surfaced_at",
                "first_line", "markers", "compiles", "blob", "culprit"]
MAX_CULPRITS = 40       # bulk culprits mined when none is named
MAX_FILES = 200         # changed files diffed per culprit when none is named


@dataclass
class Hunted:
    """What a hunt looks for: ``signatures`` (the culprit's full table), ``specific`` (its rows
    usable as markers), ``culprit`` (its commits) and ``since`` (its first commit's time)."""

    signatures: pd.DataFrame
    specific: pd.DataFrame
    culprit: list[str]
    since: pd.Timestamp
    label: str = ""          # the culprit's name in tables: its first commit

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


@dataclass
class BulkHunt:
    """What :func:`mine_bulk` mined: one :class:`Hunted` per culprit mined (``hunted``), the number
    of bulk culprits there were (``culprits``), and the background's shared pass (``background``:
    lines, versions read, sample, candidates, seconds, budget reached)."""

    hunted: list[Hunted]
    culprits: int
    background: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def probes(self) -> list[Probe]:
        return list(dict.fromkeys(p for h in self.hunted for p in h.probes))


def bulk_culprits(result, wave_window: float = 30) -> list[tuple[str, list[str]]]:
    """(label, commits) of every bulk culprit: waves, then bulk commits outside them; those that
    damaged or healed paths first (by paths still damaged, then damaged, then healed), then the
    rest by paths touched."""
    from forensics.analyses.culprits import bulk_commits, waves, wave_commits
    from forensics.analyses.index import index_of

    index = index_of(result)
    wv = waves(result, wave_window, 1, index)
    wv = wv[wv["kind"] == "wave"]
    members = {r["sha"]: wave_commits(result, r) for _, r in wv.iterrows()}
    in_waves = {s for shas in members.values() for s in shas}
    bulk = bulk_commits(result, None, index)
    bulk = bulk[~bulk["sha"].isin(in_waves)]
    for sha in bulk["sha"]:
        members[sha] = [sha]
    rows = pd.concat([df for df in (wv, bulk) if len(df)], ignore_index=True) if len(wv) or len(bulk) else wv
    if not len(rows):
        return []
    rows = rows.assign(_effect=(rows["paths_damaged"].fillna(0) + rows["paths_healed"].fillna(0)) > 0)
    rows = rows.sort_values(["_effect", "paths_still_damaged", "paths_damaged", "paths_healed", "paths_touched",
                             "committed_at"], ascending=[False, False, False, False, False, True], kind="stable")
    return [(sha, members[sha]) for sha in rows["sha"]]


def mine_bulk(result, max_rate: float = MAX_BACKGROUND_RATE, min_files: int = 2,
              budget_seconds: float = DEFAULT_BUDGET_SECONDS, max_culprits: int = MAX_CULPRITS,
              max_files: int = MAX_FILES, wave_window: float = 30) -> BulkHunt:
    """Every bulk culprit's specific signatures, found with no culprit named (see the module
    docstring). Culprits are mined in rank order until ``max_culprits`` are or ``budget_seconds``
    is spent; then one background pass measures them all in what is left of the budget, and at
    least half of it (so the whole takes at most 1.5 budgets)."""
    t0 = time.perf_counter()
    every = bulk_culprits(result, wave_window)
    when = result.commits.set_index("sha")["committed_at"]
    tables: list[tuple[str, list[str], pd.Timestamp, pd.DataFrame]] = []
    for label, shas in every[:max_culprits]:
        if tables and time.perf_counter() - t0 > budget_seconds:
            break
        table = commit_signatures(result, shas, min_files=min_files, background=False, max_files=max_files)
        tables.append((label, shas, min(when[s] for s in shas), table))
    # only placeholder candidates are measured (see placeholder_markers): new code is specific too
    pending = [(since, [signature_pattern(r) for r in t.itertuples(index=False)
                        if r.kind == "replaced" and r.marker and r.sources >= 2]) for _, _, since, t in tables]
    left = max(budget_seconds - (time.perf_counter() - t0), budget_seconds / 2)
    backgrounds = measure(result, pending, left) if tables else []
    hunted = []
    for (label, shas, since, table), bg in zip(tables, backgrounds):
        if not len(table):
            continue
        new_lines = table.attrs.get("culprit_lines", 0)
        rows = list(table.itertuples(index=False))
        table = with_background(table, rows, bg, new_lines)
        hunted.append(Hunted(table, placeholder_markers(table, max_rate), list(shas), since, label))
    shared = {}
    if backgrounds:
        bg = max(backgrounds, key=lambda b: b.candidates)
        shared = {"lines": bg.lines, "versions": bg.versions, "sample": bg.sample, "candidates": bg.candidates,
                  "seconds": bg.seconds, "budget_reached": bg.budget_reached}
    return BulkHunt(hunted, len(every), shared, round(time.perf_counter() - t0, 3))


def hunt_bulk(result, mined: BulkHunt, read: Callable[[list[str]], dict[str, bytes | None]] | None = None) -> pd.DataFrame:
    """:func:`hunt` over every mined culprit's specific signatures at once; ``culprit`` names the
    culprit that brought each path's placeholders (the one whose commits include ``brought_by``,
    else the first, in rank order, whose signatures the path carries). Columns: HUNT_COLUMNS."""
    live = [h for h in mined.hunted if len(h.specific)]
    if not live:
        return pd.DataFrame(columns=HUNT_COLUMNS)
    merged = Hunted(pd.concat([h.signatures for h in live], ignore_index=True),
                    pd.concat([h.specific for h in live], ignore_index=True).drop_duplicates(["marker", "result"]),
                    [s for h in live for s in h.culprit], min(h.since for h in live))
    table = hunt(result, merged, read)
    owner = {s: h.label for h in live for s in h.culprit}
    carriers = [(h.label, set(h.specific["signature"])) for h in live]

    def culprit_of(row) -> str:
        if row["brought_by"] in owner:
            return owner[row["brought_by"]]
        sigs = set(str(row["signatures"]).split("; "))
        return next((label for label, mine_ in carriers if sigs & mine_), "")

    table["culprit"] = [culprit_of(r) for _, r in table.iterrows()] if len(table) else []
    return table


def hunt(result, hunted: Hunted, read: Callable[[list[str]], dict[str, bytes | None]] | None = None) -> pd.DataFrame:
    """One row per path in scope at the revision whose version carries a hunted signature on a
    non-marker line. Columns: HUNT_COLUMNS: ``state`` (``placeholder`` when the version compiles
    and has no marker, else its scan state), ``signatures`` (the signatures it carries, ``; ``
    between), ``lines`` (non-marker lines carrying one), ``brought_by``/``brought_at`` (the commit
    from which the path's lineage has carried them without interruption, marker lines included),
    ``surfaced_by``/``surfaced_at`` (the commit from which they stand on non-marker lines: the
    unmask; the same commit when they arrived unmasked), ``first_line``, ``markers``, ``compiles``,
    ``blob``, ``culprit`` (the culprit's first commit). Most lines first."""
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
                     "markers": int(row["markers"]), "compiles": bool(row["compiles"]), "blob": row["blob"],
                     "culprit": hunted.label or (hunted.culprit[0] if hunted.culprit else "")})
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
