"""Per-commit lookups shared by the culprit, incident and summary analyses (built once per call:
a large history has thousands of runs, and a DataFrame filter per culprit would be quadratic)."""
from __future__ import annotations

import pandas as pd

from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS, HEALING_EVENTS

CULPRIT_COLUMNS = ["kind", "sha", "committed_at", "author", "subject", "paths_changed", "paths_damaged",
                   "paths_healed", "scripts", "paths_still_damaged", "evidence", "paths_masked",
                   # beyond the contract
                   "score", "last_sha", "last_at", "commits", "span_minutes", "paths_touched", "already_damaged",
                   "linked_to", "suffix_first", "suffix_last", "paths_still_caused", "members", "strength"]


def is_masking(event: str, state_after: object) -> bool:
    """A ``healed`` event whose new state is still damaged (it compiles only because its code was
    commented out or hollowed): masking, never healing (CONTRACT)."""
    return event == "healed" and state_after in DAMAGED_STATES


def is_healing(event: str, state_after: object) -> bool:
    """A healing event that left the path healthy (not masked, not surfaced still damaged)."""
    return event in HEALING_EVENTS and state_after not in DAMAGED_STATES


def index_of(result) -> "CulpritIndex":
    """The index of a scan, built once and kept with it (like its damage chains)."""
    found = getattr(result, "_culprit_index", None)
    if found is None or found.source is not result.events:
        found = CulpritIndex(result)
        setattr(result, "_culprit_index", found)
    return found


class _Meta:
    """``meta[sha]`` -> {committed_at, committed_at_local, author, subject, paths_changed, order}, built
    for the commits asked about only (a history has tens of thousands; culprits are hundreds)."""

    def __init__(self, commits) -> None:
        self._pos = dict(zip(commits["sha"].tolist(), range(len(commits))))
        self._at = commits["committed_at"].array
        self._cols = {k: commits[k].tolist() for k in ("committed_at_local", "author", "subject", "paths_changed",
                                                       "order")}
        self._made: dict[str, dict] = {}

    def __getitem__(self, sha: str) -> dict:
        found = self._made.get(sha)
        if found is None:
            i = self._pos[sha]
            found = {k: v[i] for k, v in self._cols.items()}
            found["committed_at"] = self._at[i]
            found["paths_changed"] = int(found["paths_changed"])
            found["order"] = int(found["order"])
            self._made[sha] = found
        return found

    def __contains__(self, sha: object) -> bool:
        return sha in self._pos

    def get(self, sha: str, default=None):
        return self[sha] if sha in self._pos else default


class CulpritIndex:
    """``meta[sha]``: committed_at, committed_at_local, author, subject, paths_changed, order;
    ``touched``/``damaged``/``healed``/``still`` map a sha to the paths it changed, damaged, healed,
    and the paths damaged at the revision whose damage chain passes through it."""

    def __init__(self, result) -> None:
        self.source = result.events
        self._bursts: dict[tuple[float, float], list[list[str]]] = {}
        c = result.commits
        self.meta = _Meta(c)
        self.order: dict[str, int] = dict(zip(c["sha"].tolist(), c["order"].tolist()))
        self.by_author: dict[str, list[str]] = {}
        for a, sha in zip(*c.sort_values(["committed_at", "order"])[["author", "sha"]].T.values):
            self.by_author.setdefault(a, []).append(sha)
        self._position = {a: {s: i for i, s in enumerate(shas)} for a, shas in self.by_author.items()}
        ch = result.changes[~result.changes["is_backup"]]
        damaged_blobs = result.versions.loc[result.versions["state"].isin(DAMAGED_STATES), "blob"]
        was = ch["old_blob"].isin(set(damaged_blobs.tolist())).tolist()
        self.touched: dict[str, set[str]] = {}
        self.first_old: dict[str, list[tuple[str, bool]]] = {}     # per commit: (path, damaged before it)
        for sha, path, was_damaged in zip(ch["sha"].tolist(), ch["path"].tolist(), was):
            self.touched.setdefault(sha, set()).add(path)
            self.first_old.setdefault(sha, []).append((path, was_damaged))
        ev = result.events
        self.damaged: dict[str, set[str]] = {}
        self.healed: dict[str, set[str]] = {}
        self.masked: dict[str, set[str]] = {}
        for sha, path, event, after in zip(ev["sha"].tolist(), ev["path"].tolist(), ev["event"].tolist(),
                                           ev["state_after"].tolist()):
            if event in DAMAGING_EVENTS:
                self.damaged.setdefault(sha, set()).add(path)
            elif is_masking(event, after):
                self.masked.setdefault(sha, set()).add(path)
            elif is_healing(event, after):
                self.healed.setdefault(sha, set()).add(path)
        self.still: dict[str, set[str]] = {}
        self.caused: dict[str, set[str]] = {}      # root cause sha -> paths damaged now that it began
        chains = result.chains()
        for path, chain, root in zip(chains["path"], chains["chain"], chains["root_cause"]):
            for sha, _, _ in chain:
                self.still.setdefault(sha, set()).add(path)
            if root:
                self.caused.setdefault(root, set()).add(path)

    def bursts(self, result, window_minutes: float, span_minutes: float) -> list[list[str]]:
        """Runs of two or more commits by one author, each within ``window_minutes`` of the previous
        one, the whole run within ``span_minutes`` (a longer run is split): shas, oldest first."""
        key = (window_minutes, span_minutes)
        if key not in self._bursts:
            c = result.commits.sort_values(["committed_at", "order"])
            window, span = int(window_minutes * 60e9), int(span_minutes * 60e9)
            ns = pd.to_datetime(c["committed_at"], utc=True).dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
            c = c.assign(_ns=ns.astype("int64"))
            out: list[list[str]] = []
            for _, group in c.groupby(["author", "author_email"], sort=False):
                times = group["_ns"].tolist()
                shas = group["sha"].tolist()
                start = 0
                for i in range(1, len(shas) + 1):
                    if i < len(shas) and times[i] - times[i - 1] <= window and times[i] - times[start] <= span:
                        continue
                    if i - start >= 2:
                        out.append(shas[start:i])
                    start = i
            self._bursts[key] = out
        return self._bursts[key]

    def run_of(self, author: str, first: str, last: str) -> list[str]:
        """``author``'s commits from ``first`` to ``last`` in time order (a wave's members)."""
        pos = self._position.get(author, {})
        if first not in pos:
            return [first] if first else []
        end = pos.get(last, pos[first])
        return self.by_author[author][pos[first]: end + 1]

    def _union(self, table: dict[str, set[str]], shas: list[str]) -> set[str]:
        out: set[str] = set()
        for s in shas:
            out |= table.get(s, set())
        return out

    def damaged_by(self, shas: list[str]) -> set[str]:
        return self._union(self.damaged, shas)

    def healed_by(self, shas: list[str]) -> set[str]:
        return self._union(self.healed, shas)

    def masked_by(self, shas: list[str]) -> set[str]:
        return self._union(self.masked, shas)

    def caused_by(self, shas: list[str]) -> set[str]:
        return self._union(self.caused, shas)

    def still_by(self, shas: list[str]) -> set[str]:
        return self._union(self.still, shas)

    def touched_by(self, shas: list[str]) -> set[str]:
        return self._union(self.touched, shas)

    def stats(self, shas: list[str]) -> dict[str, int]:
        """paths_touched, paths_damaged, paths_healed (left healthy), paths_masked (compiling only because
        commented out or hollowed), paths_still_damaged (damaged now, chain through them),
        paths_still_caused (damaged now, root cause among them), already_damaged of ``shas``."""
        first: dict[str, bool] = {}
        for s in sorted(shas, key=lambda x: self.order.get(x, 0)):
            for path, was in self.first_old.get(s, ()):
                first.setdefault(path, was)
        return {"paths_touched": len(self.touched_by(shas)), "paths_damaged": len(self.damaged_by(shas)),
                "paths_healed": len(self.healed_by(shas)), "paths_still_damaged": len(self.still_by(shas)),
                "already_damaged": sum(first.values()), "paths_masked": len(self.masked_by(shas)),
                "paths_still_caused": len(self.caused_by(shas))}

    def commit_counts(self, shas: list[str]) -> tuple[tuple[str, int, int], ...]:
        """The commits of a culprit that did damage, as (sha, paths still damaged it began, paths it
        damaged all-time), most still damaged first, then most damaged, then oldest."""
        rows = [(s, len(self.caused.get(s, ())), len(self.damaged.get(s, ()))) for s in shas]
        rows = [r for r in rows if r[1] or r[2]]
        return tuple(sorted(rows, key=lambda r: (-r[1], -r[2], self.order.get(r[0], 0))))
