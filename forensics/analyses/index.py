"""Per-commit lookups shared by the culprit, incident and summary analyses (built once per call:
a large history has thousands of runs, and a DataFrame filter per culprit would be quadratic)."""
from __future__ import annotations

from forensics.engine.states import DAMAGING_EVENTS, HEALING_EVENTS, is_damaged

CULPRIT_COLUMNS = ["kind", "sha", "committed_at", "author", "subject", "paths_changed", "paths_damaged",
                   "paths_healed", "scripts", "paths_still_damaged", "evidence",
                   # beyond the contract
                   "score", "last_sha", "last_at", "commits", "span_minutes", "paths_touched", "already_damaged",
                   "linked_to", "suffix_first", "suffix_last"]


class CulpritIndex:
    """``meta[sha]``: committed_at, committed_at_local, author, subject, paths_changed, order;
    ``touched``/``damaged``/``healed``/``still`` map a sha to the paths it changed, damaged, healed,
    and the paths damaged at the revision whose damage chain passes through it."""

    def __init__(self, result) -> None:
        c = result.commits
        self.meta: dict[str, dict] = {
            sha: {"committed_at": at, "committed_at_local": loc, "author": a, "subject": s, "paths_changed": int(n),
                  "order": int(o)}
            for sha, at, loc, a, s, n, o in zip(c["sha"], c["committed_at"], c["committed_at_local"], c["author"],
                                                 c["subject"], c["paths_changed"], c["order"])}
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
