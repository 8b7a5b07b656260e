"""The scan: history -> versions' health -> events, cached. Everything downstream reads its tables.

>>> result = scan("data/demo/repo")          # doctest: +SKIP
>>> result.events.head()                     # doctest: +SKIP
"""
from __future__ import annotations

import os
import sys
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
from forensics.engine.legacy import LegacyLineages, legacy_lineages
from forensics.engine.progress import progress_bar
from forensics.engine.settings import Settings, load_settings
from forensics.engine.states import DAMAGED_STATES, LEGACY

TREE_COLUMNS = ["path", "blob", "mode", "is_backup", "state", "markers", "compiles", "tests", "error_kind"]


@dataclass
class ScanResult:
    """Everything one scan knows. Tables (pandas):

    - ``commits``: sha, order, parents, is_merge, author, author_email, authored_at (UTC),
      authored_at_local, committer, committer_email, committed_at (UTC), committed_at_local, subject,
      paths_changed, paths_matched, is_boundary, authored_at_raw, committed_at_raw, date_flag (see
      :mod:`forensics.engine.dates`)
    - ``changes``: sha, order, path, old_path, kind (A/M/D/R/C), old_blob, new_blob, similarity, is_backup,
      legacy_before, legacy_after (the old / new version is ``legacy`` in this lineage:
      :mod:`forensics.engine.legacy`)
    - ``versions``: blob, readable, size, markers, first_marker_line, compiles, error_class,
      error_message, error_line, tests, state, error_kind, dialect_only, interpreter (``state`` is
      the blob's own: ``legacy`` is a lineage's, on ``changes``, ``events`` and ``tree``)
    - ``events``: see :data:`forensics.events.EVENT_COLUMNS`
    - ``tree``: the files in scope at the revision: path, blob, mode, is_backup, state (``legacy``
      included), markers, compiles, tests, error_kind
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

    def chains(self) -> pd.DataFrame:
        """Damage chains of every damaged path at the revision (see :func:`damage_chains`)."""
        if self._chains is None:
            self._chains = damage_chains(self.subjects, self.changes, self.versions, self.events, self.rev_order)
        return self._chains


def scan(repo: str | os.PathLike[str] | Repository, rev: str = "HEAD", *, paths: list[str] | None = None,
         markers: list[str] | None = None, config: str | None = None, cache: str | os.PathLike[str] | bool | None = None,
         jobs: int | None = None, include_backups: bool | None = None, bulk_threshold: int | None = None,
         since: str | None = None, progress: bool = True, check_compile: bool = True,
         strict: bool | None = None, trust_repo: bool = False, repo_config: bool = True) -> ScanResult:
    """Scan history up to ``rev``; reuse a cached scan of the same repository, revision and settings.

    ``strict``: no version is ``legacy`` (code of another Python dialect counts as broken, as damage).
    ``cache``: a directory, ``None`` for ``$FORENSICS_CACHE`` or the per-user cache dir, ``False`` for
    no cache; a cache that cannot be used (read-only, full, a file in its place) is left out of this
    run, said once on stderr and in ``manifest["cache_problem"]``. ``repo_config=False`` ignores the
    analysed repository's ``[tool.forensics]`` table; what it set is ``manifest["repo_settings"]``
    (``{}`` when nothing). ``trust_repo``: open a repository owned by another user (see
    :meth:`Repository.open`). The analysed repository is never written to.
    """
    t0 = time.perf_counter()
    repository = repo if isinstance(repo, Repository) else Repository.open(repo, trust=trust_repo)
    rev_sha = repository.resolve(rev)
    settings = load_settings(repository, rev_sha, config, paths=paths, markers=markers,
                             include_backups=include_backups, bulk_threshold=bulk_threshold, since=since,
                             check_compile=None if check_compile else False, strict=strict or None,
                             repo_config=repo_config)
    repo_settings = _repo_settings(settings, repo_config)
    store = None if cache is False else ScanCache(default_root() if cache in (None, True) else cache,
                                                  repository.common_dir)
    key = settings.scan_key()
    if store is not None:
        hit = store.load_scan(rev_sha, key)
        if hit is not None:
            meta, tables = hit
            versions = store.load_versions(settings.rules.fingerprint())
            if versions is not None:
                meta = dict(meta, from_cache=True, repo_settings=repo_settings,
                            seconds_total=round(time.perf_counter() - t0, 3), partial_clone=repository.is_partial)
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
    try:
        with progress_bar("scanning history", None, progress) as advance:
            history = read_history(repository, rev_sha, settings.pathspec, settings.rules,
                                   settings.include_backups, settings.since, progress=lambda n: advance(1),
                                   on_blobs=discovered, exclude=[base[0]] if base else None)
            timings["history"] = time.perf_counter() - t
            tree_rows = _tree_in_scope(repository, rev_sha, settings)
            discovered(list(tree_rows["blob"]))
    except BaseException:  # Ctrl-C or an error while the history streams in: the workers end now
        pool.abort()
        raise
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
    legacy = legacy_lineages(history.changes, versions, strict=settings.strict)
    history.changes["legacy_before"] = legacy.before
    history.changes["legacy_after"] = legacy.after
    if base_events is not None:
        new_changes = history.changes[~history.changes["sha"].isin(set(base[1]["commits"]["sha"]))]
        events = pd.concat([base_events, derive_events(new_changes, versions, history.commits)], ignore_index=True)
    else:
        events = derive_events(history.changes, versions, history.commits)
    tree = _with_health(tree_rows, versions, legacy)
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
        "partial_clone": repository.is_partial,
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
        "legacy_now": int((subjects["state"] == LEGACY).sum()),
        "strict": settings.strict,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "from_cache": False,
        "incremental_from": base[0] if base is not None else None,
        "repo_settings": repo_settings,
        "cache_problem": None,
    }
    if store is not None:
        store.save_scan(rev_sha, key, manifest, {"commits": history.commits, "changes": history.changes,
                                                 "events": events, "tree": tree},
                        base=(base[0], base[2], set(base[1]["commits"]["sha"])) if base is not None else None)
    if store is not None and store.problem:
        manifest["cache_problem"] = store.problem
        print(f"forensics: warning: this run did not use the cache ({store.problem})", file=sys.stderr)
    manifest["seconds_total"] = round(time.perf_counter() - t0, 3)
    return ScanResult(repository, rev, rev_sha, settings, history.commits, history.changes, versions,
                      events, tree, manifest)


def _repo_settings(settings: Settings, repo_config: bool) -> dict[str, Any]:
    """What the analysed repository's ``[tool.forensics]`` table set (``source``, ``applied``), or
    ``{"ignored": True}`` with ``--ignore-repo-config``, or ``{}`` when it set nothing."""
    if not repo_config:
        return {"ignored": True}
    return dict(settings.repo_settings)


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


def _with_health(tree: pd.DataFrame, versions: pd.DataFrame, legacy: LegacyLineages | None = None) -> pd.DataFrame:
    """``tree`` with each version's health; a version ``legacy`` in its lineage (``legacy``) is in state legacy."""
    v = versions[["blob", "state", "markers", "compiles", "tests", "error_kind"]]
    out = tree.merge(v, on="blob", how="left")
    out["path"] = out["path"].astype(object)
    if legacy is not None and legacy.candidates:
        is_legacy = [legacy.is_legacy(p, b) for p, b in zip(out["path"], out["blob"])]
        out["state"] = out["state"].mask(pd.Series(is_legacy, index=out.index, dtype=bool), LEGACY)
    return out[TREE_COLUMNS].sort_values("path", kind="stable").reset_index(drop=True)
