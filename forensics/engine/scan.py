"""The scan: history -> versions' health -> events, cached. Everything downstream reads its tables.

>>> result = scan("data/demo/repo")          # doctest: +SKIP
>>> result.events.head()                     # doctest: +SKIP
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forensics import __version__
from forensics.engine.cache import ScanCache, default_root
from forensics.engine.events import damage_chains, derive_events
from forensics.engine.git import Repository, display_path
from forensics.engine.health import INTERPRETER
from forensics.engine.history import PathScope, read_history
from forensics.engine.judge import VERSION_COLUMNS, JudgePool, default_jobs
from forensics.engine.progress import progress_bar
from forensics.engine.settings import Settings, load_settings
from forensics.engine.states import DAMAGED_STATES

TREE_COLUMNS = ["path", "blob", "mode", "is_backup", "state", "markers", "compiles", "tests"]


@dataclass
class ScanResult:
    """Everything one scan knows. Tables (pandas):

    - ``commits``: sha, order, parents, is_merge, author, author_email, authored_at (UTC),
      authored_at_local, committer, committer_email, committed_at (UTC), committed_at_local, subject,
      paths_changed, paths_matched, is_boundary
    - ``changes``: sha, order, path, old_path, kind (A/M/D/R/C), old_blob, new_blob, similarity, is_backup
    - ``versions``: blob, readable, size, markers, first_marker_line, compiles, error_class,
      error_message, error_line, tests, state, interpreter
    - ``events``: see :data:`forensics.events.EVENT_COLUMNS`
    - ``tree``: the files in scope at the revision: path, blob, mode, is_backup, state, markers,
      compiles, tests
    ``manifest`` holds the repository, revision, settings, interpreter, counts and timings.
    """

    repo: Repository
    rev: str
    rev_sha: str
    settings: Settings
    commits: pd.DataFrame
    changes: pd.DataFrame
    versions: pd.DataFrame
    events: pd.DataFrame
    tree: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    _chains: pd.DataFrame | None = None

    @property
    def subjects(self) -> pd.DataFrame:
        """``tree`` without backup evidence: the paths the analysis is about."""
        return self.tree[~self.tree["is_backup"]]

    @property
    def rev_order(self) -> int:
        return int(self.commits["order"].max()) if len(self.commits) else -1

    def read_blobs(self, blobs: list[str]) -> dict[str, bytes | None]:
        """Contents of ``blobs`` through one ``cat-file --batch`` (None for missing objects)."""
        with self.repo.blob_reader() as reader:
            return dict(reader.read_many([b for b in blobs if b]))

    def files_at_rev(self, keep) -> dict[str, bytes | None]:
        """Contents of the files at the revision whose path satisfies ``keep`` (any path, in scope
        or not: workflow files, Makefiles)."""
        from forensics.engine.git import display_path

        entries = {display_path(p): b for mode, b, p in self.repo.tree(self.rev_sha)
                   if mode in ("100644", "100755") and keep(display_path(p))}
        blobs = self.read_blobs(sorted(set(entries.values())))
        return {p: blobs.get(b) for p, b in entries.items()}

    def worktree_backups(self) -> list[str]:
        """Backup paths present in the worktree but not in the scanned tree (listed, never read or
        written; empty for a bare repository). Only called when a user asks for worktree evidence."""
        if self.repo.is_bare:
            return []
        known, found = set(self.tree["path"]), []
        for dirpath, dirnames, filenames in os.walk(self.repo.path):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            for name in filenames:
                rel = os.path.relpath(os.path.join(dirpath, name), self.repo.path).replace(os.sep, "/")
                if self.settings.rules.is_backup(rel) and rel not in known:
                    found.append(rel)
        return sorted(found)

    def chains(self) -> pd.DataFrame:
        """Damage chains of every damaged path at the revision (see :func:`damage_chains`)."""
        if self._chains is None:
            self._chains = damage_chains(self.subjects, self.changes, self.versions, self.events, self.rev_order)
        return self._chains


def scan(repo: str | os.PathLike[str] | Repository, rev: str = "HEAD", *, paths: list[str] | None = None,
         markers: list[str] | None = None, config: str | None = None, cache: str | os.PathLike[str] | bool | None = None,
         jobs: int | None = None, include_backups: bool | None = None, bulk_threshold: int | None = None,
         since: str | None = None, progress: bool = True, check_compile: bool = True) -> ScanResult:
    """Scan history up to ``rev``; reuse a cached scan of the same repository, revision and settings.

    ``cache``: a directory, ``None`` for ``$FORENSICS_CACHE`` or the per-user cache dir, ``False`` for
    no cache. The analysed repository is never written to.
    """
    t0 = time.perf_counter()
    repository = repo if isinstance(repo, Repository) else Repository.open(repo)
    rev_sha = repository.resolve(rev)
    settings = load_settings(repository, rev_sha, config, paths=paths, markers=markers,
                             include_backups=include_backups, bulk_threshold=bulk_threshold, since=since,
                             check_compile=None if check_compile else False)
    store = None if cache is False else ScanCache(default_root() if cache in (None, True) else cache,
                                                  repository.common_dir)
    key = settings.scan_key()
    if store is not None:
        hit = store.load_scan(rev_sha, key)
        if hit is not None:
            meta, tables = hit
            versions = store.load_versions(settings.rules.fingerprint())
            if versions is not None:
                meta = dict(meta, from_cache=True, seconds_total=round(time.perf_counter() - t0, 3))
                return ScanResult(repository, rev, rev_sha, settings, tables["commits"], tables["changes"],
                                  versions, tables["events"], tables["tree"], meta)

    timings: dict[str, float] = {}
    t = time.perf_counter()
    fingerprint = settings.rules.fingerprint()
    known = store.load_versions(fingerprint) if store is not None else None
    if known is None:
        known = pd.DataFrame({c: pd.Series(dtype=object) for c in VERSION_COLUMNS})
    known_blobs = set(known["blob"])
    wanted: set[str] = set()
    # judge versions while the history streams in: the walk and the judging overlap
    pool = JudgePool(repository, settings.rules, jobs, None)

    def discovered(blobs: list[str]) -> None:
        wanted.update(blobs)
        pool.add(b for b in blobs if b not in known_blobs)

    base = None
    if store is not None and not settings.since:
        found = store.ancestors_of(repository, rev_sha, key)
        if found is not None:
            loaded = store.load_scan(found[0], key)
            base = (found[0], loaded[1], loaded[0]) if loaded is not None else None
    with progress_bar("scanning history", None, progress) as advance:
        history = read_history(repository, rev_sha, settings.pathspec, settings.rules,
                               settings.include_backups, settings.since, progress=lambda n: advance(1),
                               on_blobs=discovered, exclude=[base[0]] if base else None)
        timings["history"] = time.perf_counter() - t
        tree_rows = _tree_in_scope(repository, rev_sha, settings)
        discovered(list(tree_rows["blob"]))
    with progress_bar("judging versions", len(pool.seen), progress) as advance:
        advance(len(pool.rows))
        pool.progress = advance
        fresh = pool.finish()
    base_events = None
    if base is not None:
        # an incremental scan: the new commits come after every cached one in topological order
        old = base[1]
        shift = int(old["commits"]["order"].max()) + 1 if len(old["commits"]) else 0
        history.commits["order"] += shift
        history.changes["order"] += shift
        history.commits = pd.concat([old["commits"], history.commits], ignore_index=True)
        history.changes = pd.concat([old["changes"], history.changes], ignore_index=True)
        wanted.update(pd.unique(old["changes"][["old_blob", "new_blob"]].values.ravel()))
        wanted.discard("")
        base_events = old["events"]
    all_versions = pd.concat([known, fresh], ignore_index=True) if len(known) else fresh
    if store is not None and len(fresh):
        store.save_versions(fingerprint, fresh)
    versions = all_versions[all_versions["blob"].isin(wanted)].reset_index(drop=True)
    timings["judge"] = time.perf_counter() - t

    t = time.perf_counter()
    if base_events is not None:
        new_changes = history.changes[~history.changes["sha"].isin(set(base[1]["commits"]["sha"]))]
        events = pd.concat([base_events, derive_events(new_changes, versions, history.commits)], ignore_index=True)
    else:
        events = derive_events(history.changes, versions, history.commits)
    tree = _with_health(tree_rows, versions)
    timings["events"] = time.perf_counter() - t

    unreadable = versions.loc[~versions["readable"].astype(bool), "blob"].tolist()
    subjects = tree[~tree["is_backup"]]
    manifest: dict[str, Any] = {
        "forensics": __version__,
        "repo": repository.path,
        "rev": rev,
        "rev_sha": rev_sha,
        "settings": settings.as_dict(),
        "settings_key": key,
        "rules_fingerprint": fingerprint,
        "interpreter": INTERPRETER,
        "jobs": jobs or default_jobs(),
        "shallow": repository.is_shallow,
        "bare": repository.is_bare,
        "renames_detected": history.renames_detected,
        "commits": int(len(history.commits)),
        "changes": int(len(history.changes)),
        "versions": int(len(versions)),
        "versions_judged": int(len(fresh)),
        "versions_reused": int(len(wanted) - len(fresh)),
        "unreadable_objects": unreadable,
        "events": int(len(events)),
        "paths_in_scope": int(len(subjects)),
        "damaged_now": int(subjects["state"].isin(DAMAGED_STATES).sum()),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "from_cache": False,
        "incremental_from": base[0] if base is not None else None,
    }
    if store is not None:
        store.save_scan(rev_sha, key, manifest, {"commits": history.commits, "changes": history.changes,
                                                 "events": events, "tree": tree},
                        base=(base[0], base[2], set(base[1]["commits"]["sha"])) if base is not None else None)
    manifest["seconds_total"] = round(time.perf_counter() - t0, 3)
    return ScanResult(repository, rev, rev_sha, settings, history.commits, history.changes, versions,
                      events, tree, manifest)


def _tree_in_scope(repo: Repository, rev_sha: str, settings: Settings) -> pd.DataFrame:
    scope = PathScope(settings.pathspec, settings.rules, settings.include_backups)
    rows = []
    for mode, blob, path in repo.tree(rev_sha):
        if mode not in ("100644", "100755"):
            continue
        kept, is_backup = scope(path)
        if kept:
            rows.append((display_path(path), blob, mode, is_backup))
    df = pd.DataFrame(rows, columns=["path", "blob", "mode", "is_backup"], dtype=object)
    df["is_backup"] = df["is_backup"].astype(bool)
    return df


def _with_health(tree: pd.DataFrame, versions: pd.DataFrame) -> pd.DataFrame:
    v = versions[["blob", "state", "markers", "compiles", "tests"]]
    out = tree.merge(v, on="blob", how="left")
    out["path"] = out["path"].astype(object)
    return out[TREE_COLUMNS].sort_values("path", kind="stable").reset_index(drop=True)
