"""Per-commit lookups shared by the culprit, incident and summary analyses (built once per call:
a large history has thousands of runs, and a DataFrame filter per culprit would be quadratic)."""
from __future__ import annotations

from forensics.engine.states import DAMAGING_EVENTS, HEALING_EVENTS, is_damaged

CULPRIT_COLUMNS = ["kind", "sha", "committed_at", "author", "subject", "paths_changed", "paths_damaged",
                   "paths_healed", "scripts", "paths_still_damaged", "evidence",
                   # beyond the contract
                   "score", "last_sha", "last_at", "commits", "span_minutes", "paths_touched", "already_damaged",
                   "linked_to", "suffix_first", "suffix_last"]


def index_of(result) -> "CulpritIndex":
    """The index of a scan, built once and kept with it (like its damage chains)."""
    found = getattr(result, "_culprit_index", None)
    if found is None or found.source is not result.events:
        found = CulpritIndex(result)
        setattr(result, "_culprit_index", found)
    return found


class CulpritIndex:
    """``meta[sha]``: committed_at, committed_at_local, author, subject, paths_changed, order;
    ``touched``/``damaged``/``healed``/``still`` map a sha to the paths it changed, damaged, healed,
    and the paths damaged at the revision whose damage chain passes through it."""

    def __init__(self, result) -> None:
        self.source = result.events
        self._bursts: dict[tuple[float, float], list[list[str]]] = {}
        c = result.commits
        self.meta: dict[str, dict] = {
            sha: {"committed_at": at, "committed_at_local": loc, "author": a, "subject": s, "paths_changed": int(n),
                  "order": int(o)}
            for sha, at, loc, a, s, n, o in zip(c["sha"], c["committed_at"], c["committed_at_local"], c["author"],
                                                 c["subject"], c["paths_changed"], c["order"])}
        self.by_author: dict[str, list[str]] = {}
        for a, sha in zip(*c.sort_values(["committed_at", "order"])[["author", "sha"]].T.values):
            self.by_author.setdefault(a, []).append(sha)
        self._position = {a: {s: i for i, s in enumerate(shas)} for a, shas in self.by_author.items()}
        ch = result.changes[~result.changes["is_backup"]]
        state = dict(zip(result.versions["blob"], result.versions["state"]))
        self.touched: dict[str, set[str]] = {}
        self.first_old: dict[str, list[tuple[int, str, bool]]] = {}
        for sha, path, old_blob, order in zip(ch["sha"], ch["path"], ch["old_blob"], ch["order"]):
            self.touched.setdefault(sha, set()).add(path)
            was_damaged = bool(old_blob) and is_damaged(state.get(old_blob))
            self.first_old.setdefault(sha, []).append((order, path, was_damaged))
        ev = result.events
        self.damaged: dict[str, set[str]] = {}
        self.healed: dict[str, set[str]] = {}
        for sha, path, event in zip(ev["sha"], ev["path"], ev["event"]):
            if event in DAMAGING_EVENTS:
                self.damaged.setdefault(sha, set()).add(path)
            elif event in HEALING_EVENTS:
                self.healed.setdefault(sha, set()).add(path)
        self.still: dict[str, set[str]] = {}
        chains = result.chains()
        for path, chain in zip(chains["path"], chains["chain"]):
            for sha, _, _ in chain:
                self.still.setdefault(sha, set()).add(path)

    def bursts(self, result, window_minutes: float, span_minutes: float) -> list[list[str]]:
        """Runs of two or more commits by one author, each within ``window_minutes`` of the previous
        one, the whole run within ``span_minutes`` (a longer run is split): shas, oldest first."""
        key = (window_minutes, span_minutes)
        if key not in self._bursts:
            import pandas as pd

            c = result.commits.sort_values(["committed_at", "order"])
            window, span = pd.Timedelta(minutes=window_minutes), pd.Timedelta(minutes=span_minutes)
            out: list[list[str]] = []
            for _, group in c.groupby(["author", "author_email"], sort=False):
                times = group["committed_at"].tolist()
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

    def still_by(self, shas: list[str]) -> set[str]:
        return self._union(self.still, shas)

    def touched_by(self, shas: list[str]) -> set[str]:
        return self._union(self.touched, shas)

    def stats(self, shas: list[str]) -> dict[str, int]:
        """paths_touched, paths_damaged, paths_healed, paths_still_damaged, already_damaged of ``shas``."""
        first: dict[str, tuple[int, bool]] = {}
        for s in shas:
            for order, path, was in self.first_old.get(s, ()):
                if path not in first or order < first[path][0]:
                    first[path] = (order, was)
        return {"paths_touched": len(self.touched_by(shas)), "paths_damaged": len(self.damaged_by(shas)),
                "paths_healed": len(self.healed_by(shas)), "paths_still_damaged": len(self.still_by(shas)),
                "already_damaged": sum(1 for _, was in first.values() if was)}
