"""The scan: history -> versions' health -> events, cached. Everything downstream reads its tables.

>>> result = scan("data/demo/repo")          # doctest: +SKIP
>>> result.events.head()                     # doctest: +SKIP
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from forensics import __version__
from forensics.engine.cache import CachedScan, ScanCache, default_root
from forensics.engine.events import damage_chains, derive_events
from forensics.engine.git import Repository, display_path
from forensics.engine.health import INTERPRETER
from forensics.engine.history import History, PathScope, read_history
from forensics.engine.judge import VERSION_COLUMNS, JudgePool, default_jobs
from forensics.engine.commentouts import apply_prefixes, mine_prefixes
from forensics.engine.declared_python import read_declared_python
from forensics.engine.error_kinds import TOO_LARGE_KIND
from forensics.engine.hollowing import HollowedLineages, hollowed_lineages
from forensics.engine.legacy import LegacyLineages, legacy_lineages
from forensics.engine.progress import progress_bar
from forensics.engine.settings import Settings, load_settings
from forensics.engine.states import DAMAGED_STATES, HOLLOWED, LEGACY
from forensics.engine.view import view_of
from forensics.errors import ForensicsError

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
      :mod:`forensics.engine.legacy`), hollowed_before, hollowed_after (``hollowed`` in this
      lineage: :mod:`forensics.engine.hollowing`)
    - ``versions``: blob, readable, size, markers, first_marker_line, compiles, error_class,
      error_message, error_line, tests, state, error_kind, dialect_only, code_lines, statements,
      definitions, commented_code, comment_prefix, comment_prefix_lines (:mod:`forensics.engine.content`),
      interpreter (``state`` is the blob's own, with mined comment prefixes counted as markers:
      ``legacy`` and ``hollowed`` are a lineage's, on ``changes``, ``events`` and ``tree``)
    - ``events``: see :data:`forensics.events.EVENT_COLUMNS`
    - ``tree``: the files in scope at the revision: path, blob, mode, is_backup, state (``legacy``
      included), markers, compiles, tests, error_kind
    ``manifest`` holds the repository, revision, settings, interpreter, counts and timings, the
    ``declared_python``, the ``hollowing_commits`` and the mined ``comment_prefixes``.
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


def _as_tuple(value: Sequence[str] | None) -> tuple[str, ...] | None:
    """``value`` as a tuple (a frozen option cannot hold a list), None kept."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


@dataclass(frozen=True)
class ScanOptions:
    """How to scan: every option of :func:`scan`. None means "as the settings layers say" (the
    defaults, then the analysed repository's ``[tool.forensics]``, then ``config``)."""

    paths: tuple[str, ...] | None = None
    """Pathspecs of the files in scope (replaces the settings' ``paths``)."""
    markers: tuple[str, ...] | None = None
    """Regexes of a damage marker (replaces the settings' ``markers``)."""
    config: str | None = None
    """A TOML settings file (a ``[tool.forensics]``-style table at its top level)."""
    cache: str | os.PathLike[str] | bool | None = None
    """A cache directory; None or True for ``$FORENSICS_CACHE`` or the per-user cache dir; False for no cache."""
    jobs: int | None = None
    """Worker processes judging versions (None: one per core)."""
    include_backups: bool | None = None
    """Keep backup evidence (``*.bak`` and the like) in scope, marked ``is_backup``."""
    bulk_threshold: int | None = None
    """Paths a commit must change to count as bulk."""
    since: str | None = None
    """Only commits after this date (no incremental scan then)."""
    progress: bool = True
    """Show progress bars on stderr."""
    check_compile: bool = True
    """False: do not compile versions (markers only)."""
    strict: bool | None = None
    """True: no version is ``legacy`` (another dialect's code counts as broken, as damage)."""
    trust_repo: bool = False
    """Open a repository owned by another user (see :meth:`Repository.open`)."""
    repo_config: bool = True
    """False: ignore the analysed repository's ``[tool.forensics]`` table."""
    python: str | None = None
    """Judge with the interpreter at this path instead of the running one (``--python``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", _as_tuple(self.paths))
        object.__setattr__(self, "markers", _as_tuple(self.markers))


_DEFAULT_OPTIONS = ScanOptions()


def scan(repo: str | os.PathLike[str] | Repository, rev: str = "HEAD", *, paths: list[str] | None = None,
         markers: list[str] | None = None, config: str | None = None, cache: str | os.PathLike[str] | bool | None = None,
         jobs: int | None = None, include_backups: bool | None = None, bulk_threshold: int | None = None,
         since: str | None = None, progress: bool = True, check_compile: bool = True,
         strict: bool | None = None, trust_repo: bool = False, repo_config: bool = True,
         python: str | None = None, options: ScanOptions | None = None) -> ScanResult:
    """Scan history up to ``rev``; reuse a cached scan of the same repository, revision and settings.

    The options (see :class:`ScanOptions`) come as keywords or as ``options``, not both.
    ``strict``: no version is ``legacy`` (code of another Python dialect counts as broken, as damage).
    ``cache``: a directory, ``None`` for ``$FORENSICS_CACHE`` or the per-user cache dir, ``False`` for
    no cache; a cache that cannot be used (read-only, full, a file in its place) is left out of this
    run, said once on stderr and in ``manifest["cache_problem"]``. ``repo_config=False`` ignores the
    analysed repository's ``[tool.forensics]`` table; what it set is ``manifest["repo_settings"]``
    (``{}`` when nothing). ``trust_repo``: open a repository owned by another user (see
    :meth:`Repository.open`). The analysed repository is never written to.
    """
    given = ScanOptions(paths=paths, markers=markers, config=config, cache=cache, jobs=jobs,
                        include_backups=include_backups, bulk_threshold=bulk_threshold, since=since,
                        progress=progress, check_compile=check_compile, strict=strict, trust_repo=trust_repo,
                        repo_config=repo_config, python=python)
    if options is not None and given != _DEFAULT_OPTIONS:
        raise TypeError("scan(): give the options as keywords or as options=ScanOptions(...), not both")
    ctx = _open(repo, rev, options or given)
    cached = _cached_result(ctx)
    if cached is not None:
        return cached
    base = _cached_ancestor(ctx)
    walk = _walk_and_judge(ctx, base)
    versions = _versions_wanted(ctx, walk)
    derived = _derive(ctx, walk, versions, base)
    manifest = _manifest(ctx, walk, derived.versions, derived, base)
    _store(ctx, walk, derived, manifest, base)
    manifest["seconds_total"] = round(time.perf_counter() - ctx.started, 3)
    return ScanResult(ctx.repo, rev, ctx.rev_sha, ctx.settings, walk.history.commits, walk.history.changes,
                      derived.versions, derived.events, derived.tree, manifest)


@dataclass(frozen=True)
class _Context:
    """What every stage of one scan reads: the opened repository, the revision, its settings, the
    options, the cache (None when not used) and when the scan started."""

    repo: Repository
    rev: str
    rev_sha: str
    settings: Settings
    options: ScanOptions
    store: ScanCache | None
    started: float

    @property
    def key(self) -> str:
        return self.settings.scan_key()

    @property
    def fingerprint(self) -> str:
        return self.settings.rules.fingerprint()

    @property
    def repo_settings(self) -> dict[str, Any]:
        """What the analysed repository's ``[tool.forensics]`` table set (``source``, ``applied``), or
        ``{"ignored": True}`` with ``--ignore-repo-config``, or ``{}`` when it set nothing."""
        return dict(self.settings.repo_settings) if self.options.repo_config else {"ignored": True}


@dataclass
class _Walk:
    """The history walked (new commits only, then the cached ancestor's prepended), the files in
    scope at the revision, the versions judged now, the blobs the scan needs, and the timings."""

    history: History
    tree_rows: pd.DataFrame
    known: pd.DataFrame
    fresh: pd.DataFrame
    wanted: set[str]
    started: float
    timings: dict[str, float]


@dataclass(frozen=True)
class _Derived:
    """The scan's ``events`` and ``tree`` (each file in scope at the revision with its health), its
    ``versions`` (mined comment prefixes counted as markers), the ``comment_prefixes`` mined
    (:class:`forensics.engine.commentouts.MinedPrefix`) and the ``hollowing`` commits
    (:class:`forensics.engine.hollowing.HollowingCommit`)."""

    events: pd.DataFrame
    tree: pd.DataFrame
    versions: pd.DataFrame
    comment_prefixes: list
    hollowing: list


def _open(repo: str | os.PathLike[str] | Repository, rev: str, options: ScanOptions) -> _Context:
    """Open the repository, resolve ``rev`` and load the settings; returns the scan's context."""
    started = time.perf_counter()
    repository = repo if isinstance(repo, Repository) else Repository.open(repo, trust=options.trust_repo)
    rev_sha = repository.resolve(rev)
    o = options
    settings = load_settings(repository, rev_sha, o.config, paths=o.paths, markers=o.markers,
                             include_backups=o.include_backups, bulk_threshold=o.bulk_threshold, since=o.since,
                             check_compile=None if o.check_compile else False, strict=o.strict or None,
                             repo_config=o.repo_config, python=o.python)
    store = None if o.cache is False else ScanCache(default_root() if o.cache in (None, True) else o.cache,
                                                    repository.common_dir)
    return _Context(repository, rev, rev_sha, settings, options, store, started)


def _cached_result(ctx: _Context) -> ScanResult | None:
    """The result of an earlier scan of this revision with these settings, read from the cache
    (``manifest["from_cache"]`` True), or None when there is none whole."""
    if ctx.store is None:
        return None
    hit = ctx.store.load_scan(ctx.rev_sha, ctx.key)
    if hit is None:
        return None
    versions = ctx.store.load_versions(ctx.fingerprint)
    if versions is None:
        return None
    versions = apply_prefixes(versions, [m["prefix"] for m in hit.manifest.get("comment_prefixes", [])])
    meta = dict(hit.manifest, from_cache=True, repo_settings=ctx.repo_settings,
                seconds_total=round(time.perf_counter() - ctx.started, 3), partial_clone=ctx.repo.is_partial)
    _say_cache_rejections(ctx, meta)
    t = hit.tables
    return ScanResult(ctx.repo, ctx.rev, ctx.rev_sha, ctx.settings, t["commits"], t["changes"], versions,
                      t["events"], t["tree"], meta)


def _cached_ancestor(ctx: _Context) -> CachedScan | None:
    """The cached scan, with these settings, of the nearest ancestor of the revision, to scan
    incrementally from; None without a cache, with ``since``, or when there is none."""
    if ctx.store is None or ctx.settings.since:
        return None
    found = ctx.store.ancestors_of(ctx.repo, ctx.rev_sha, ctx.key)
    return ctx.store.load_scan(found.rev_sha, ctx.key) if found is not None else None


def _known_versions(ctx: _Context) -> pd.DataFrame:
    """Every version judged before under these health rules (columns VERSION_COLUMNS; empty without
    a cache)."""
    known = ctx.store.load_versions(ctx.fingerprint) if ctx.store is not None else None
    if known is None:
        known = pd.DataFrame({c: pd.Series(dtype=object) for c in VERSION_COLUMNS})
    return known


def _walk_and_judge(ctx: _Context, base: CachedScan | None) -> _Walk:
    """Walk the history after ``base`` (all of it without) and the tree at the revision, judging each
    version not known yet while the history streams in (:class:`JudgePool`); returns the walk, with
    the cached ancestor's commits and changes prepended (:func:`_prepend_base`)."""
    t = time.perf_counter()
    known = _known_versions(ctx)
    known_blobs = set(known["blob"])
    wanted: set[str] = set()
    pool = JudgePool(ctx.repo, ctx.settings.rules, ctx.options.jobs, None)

    def discovered(blobs: list[str]) -> None:
        wanted.update(blobs)
        pool.add(b for b in blobs if b not in known_blobs)

    s = ctx.settings
    timings: dict[str, float] = {}
    try:
        total = _commits_to_walk(ctx, base) if ctx.options.progress and sys.stderr.isatty() else None
        with progress_bar("walking commits", total, ctx.options.progress, unit="commits") as advance:
            history = read_history(ctx.repo, ctx.rev_sha, s.pathspec, s.rules, s.include_backups, s.since,
                                   progress=lambda n: advance(1), on_blobs=discovered,
                                   exclude=[base.rev_sha] if base is not None else None)
            timings["history"] = time.perf_counter() - t
            tree_rows = _tree_in_scope(ctx.repo, ctx.rev_sha, s)
            discovered(list(tree_rows["blob"]))
    except BaseException:  # Ctrl-C or an error while the history streams in: the workers end now
        pool.abort()
        raise
    with progress_bar("judging versions", len(pool.seen), ctx.options.progress, unit="versions") as advance:
        advance(len(pool.rows))
        pool.progress = advance
        fresh = pool.finish()
    if base is not None:
        wanted |= _prepend_base(history, base)
    return _Walk(history, tree_rows, known, fresh, wanted, t, timings)


def _commits_to_walk(ctx: _Context, base: CachedScan | None) -> int | None:
    """How many commits the walk will read (``git rev-list --count``, fast): the progress bar's
    total, so a cold scan shows an ETA. None when git cannot say."""
    args = ["rev-list", "--count", ctx.rev_sha, *([f"^{base.rev_sha}"] if base is not None else [])]
    if ctx.settings.since:
        args.insert(2, f"--since={ctx.settings.since}")
    try:
        return int(ctx.repo.run(*args, check=True).decode().strip() or 0)
    except (ForensicsError, ValueError):
        return None


def _prepend_base(history: History, base: CachedScan) -> set[str]:
    """Put ``base``'s commits and changes before the new ones in ``history`` (the new commits come
    after every cached one in topological order: their ``order`` is shifted past the cached ones);
    returns the blobs of the cached changes."""
    old = base.tables
    shift = int(old["commits"]["order"].max()) + 1 if len(old["commits"]) else 0
    history.commits["order"] += shift
    history.changes["order"] += shift
    history.commits = pd.concat([old["commits"], history.commits], ignore_index=True)
    history.changes = pd.concat([old["changes"], history.changes], ignore_index=True)
    blobs = set(pd.unique(old["changes"][["old_blob", "new_blob"]].values.ravel()))
    blobs.discard("")
    return blobs


def _versions_wanted(ctx: _Context, walk: _Walk) -> pd.DataFrame:
    """Store the versions judged now in the cache; returns the ``versions`` table: every known or
    fresh version whose blob the scan needs (columns VERSION_COLUMNS)."""
    known, fresh = walk.known, walk.fresh
    all_versions = pd.concat([known, fresh], ignore_index=True) if len(known) else fresh
    verdicts = fresh[fresh["error_class"] != "MemoryError"] if len(fresh) else fresh
    if ctx.store is not None and len(verdicts):
        # a compilation that ran out of memory is not a verdict: judged again next time
        ctx.store.save_versions(ctx.fingerprint, verdicts)
    versions = all_versions[all_versions["blob"].isin(walk.wanted)].reset_index(drop=True)
    walk.timings["judge"] = time.perf_counter() - walk.started
    return versions


def _derive(ctx: _Context, walk: _Walk, versions: pd.DataFrame, base: CachedScan | None) -> _Derived:
    """Mark each change's ``legacy_before``/``legacy_after`` (in ``walk.history.changes``), derive
    the events (only the new commits' with ``base``, after its cached events) and the tree's health;
    returns the events and the tree."""
    t = time.perf_counter()
    history = walk.history
    mined = mine_prefixes(history.changes, versions, ctx.settings.rules.compiled_markers, history.commits)
    versions = apply_prefixes(versions, [m.prefix for m in mined])
    legacy = legacy_lineages(history.changes, versions, strict=ctx.settings.strict)
    history.changes["legacy_before"] = legacy.before
    history.changes["legacy_after"] = legacy.after
    hollow = hollowed_lineages(history.changes, versions, history.commits)
    history.changes["hollowed_before"] = hollow.before
    history.changes["hollowed_after"] = hollow.after
    if base is not None:
        new_changes = history.changes[~history.changes["sha"].isin(base.commit_shas)]
        events = pd.concat([base.tables["events"], derive_events(new_changes, versions, history.commits)],
                           ignore_index=True)
    else:
        events = derive_events(history.changes, versions, history.commits)
    tree = _with_health(walk.tree_rows, versions, legacy, hollow)
    walk.timings["events"] = time.perf_counter() - t
    return _Derived(events, tree, versions, mined, hollow.commits)


def _manifest(ctx: _Context, walk: _Walk, versions: pd.DataFrame, derived: _Derived,
              base: CachedScan | None) -> dict[str, Any]:
    """The scan's manifest: repository, revision, settings, interpreter, counts and timings
    (``seconds_total`` is added last, by :func:`scan`)."""
    repo, history, subjects = ctx.repo, walk.history, derived.tree[~derived.tree["is_backup"]]
    return {
        "forensics": __version__,
        "repo": repo.path,
        "rev": ctx.rev,
        "rev_sha": ctx.rev_sha,
        "settings": ctx.settings.as_dict(),
        "settings_key": ctx.key,
        "rules_fingerprint": ctx.fingerprint,
        "interpreter": ctx.settings.rules.interpreter,
        "jobs": ctx.options.jobs or default_jobs(),
        "shallow": repo.is_shallow,
        "partial_clone": repo.is_partial,
        "bare": repo.is_bare,
        "renames_detected": history.renames_detected,
        "commits": int(len(history.commits)),
        "changes": int(len(history.changes)),
        "versions": int(len(versions)),
        "versions_judged": int(len(walk.fresh)),
        "versions_reused": int(len(walk.wanted) - len(walk.fresh)),
        "unreadable_objects": versions.loc[~versions["readable"].astype(bool), "blob"].tolist(),
        # of those, the ones over the per-version size limit (read, but too large to judge: not missing)
        "too_large_objects": versions.loc[versions["error_kind"] == TOO_LARGE_KIND, "blob"].tolist(),
        "too_large_now": int((subjects["error_kind"] == TOO_LARGE_KIND).sum()),
        "events": int(len(derived.events)),
        "paths_in_scope": int(len(subjects)),
        "damaged_now": int(subjects["state"].isin(DAMAGED_STATES).sum()),
        "legacy_now": int((subjects["state"] == LEGACY).sum()),
        "hollowed_now": int((subjects["state"] == HOLLOWED).sum()),
        "declared_python": _declared_python(repo, ctx.rev_sha, ctx.settings.rules.interpreter),
        "comment_prefixes": [m.as_dict() for m in derived.comment_prefixes],
        "hollowing_commits": [c.as_dict() for c in derived.hollowing],
        "strict": ctx.settings.strict,
        "timings": {k: round(v, 3) for k, v in walk.timings.items()},
        "from_cache": False,
        "incremental_from": base.rev_sha if base is not None else None,
        "repo_settings": ctx.repo_settings,
        "cache_problem": None,
        "history_view": view_of(repo, history.git_warnings, history.corrupt_commits),
    }


def _declared_python(repo: Repository, rev_sha: str, interpreter: str) -> dict[str, Any]:
    """Which Python the repository declares at the revision, against the judging ``interpreter``
    ("CPython 3.11.7"; see :mod:`forensics.engine.declared_python`)."""
    def read(blobs: list[str]) -> dict[str, bytes | None]:
        with repo.blob_reader() as reader:
            return dict(reader.read_many(blobs))

    tree = [(mode, blob, display_path(path)) for mode, blob, path in repo.tree(rev_sha)]
    return read_declared_python(tree, read, interpreter.rsplit(" ", 1)[-1])


def _store(ctx: _Context, walk: _Walk, derived: _Derived, manifest: dict[str, Any], base: CachedScan | None) -> None:
    """Save the scan in the cache (as a delta of ``base`` when there is one); a cache that could not
    be used is recorded in ``manifest["cache_problem"]`` and said once on stderr. Returns nothing."""
    if ctx.store is None:
        return
    _say_cache_rejections(ctx, manifest)
    tables = {"commits": walk.history.commits, "changes": walk.history.changes,
              "events": derived.events, "tree": derived.tree}
    ctx.store.save_scan(ctx.rev_sha, ctx.key, manifest, tables, base=base)
    if ctx.store.problem:
        manifest["cache_problem"] = ctx.store.problem
        print(f"forensics: warning: this run did not use the cache ({ctx.store.problem})", file=sys.stderr)


def _say_cache_rejections(ctx: _Context, manifest: dict[str, Any]) -> None:
    """Cache files that failed their owner or integrity check (deleted, rebuilt): counted in
    ``manifest["cache_rejected"]`` and said once on stderr."""
    rejected = ctx.store.rejected if ctx.store is not None else []
    manifest["cache_rejected"] = len(rejected)
    if rejected:
        print(f"forensics: warning: {len(rejected)} cache file{'s' * (len(rejected) != 1)} failed the owner or "
              f"integrity check (planted, copied in or damaged): deleted and rebuilt (first: {rejected[0]})",
              file=sys.stderr)
        rejected.clear()


def _tree_in_scope(repo: Repository, rev_sha: str, settings: Settings) -> pd.DataFrame:
    """The regular files in scope at ``rev_sha``: path, blob, mode, is_backup."""
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


def _with_health(tree: pd.DataFrame, versions: pd.DataFrame, legacy: LegacyLineages | None = None,
                 hollow: HollowedLineages | None = None) -> pd.DataFrame:
    """``tree`` with each version's health; a version ``legacy`` in its lineage (``legacy``) is in state
    legacy, one hollowed in its lineage (``hollow``) in state hollowed."""
    v = versions[["blob", "state", "markers", "compiles", "tests", "error_kind"]]
    out = tree.merge(v, on="blob", how="left")
    out["path"] = out["path"].astype(object)
    if legacy is not None and legacy.candidates:
        is_legacy = [legacy.is_legacy(p, b) for p, b in zip(out["path"], out["blob"])]
        out["state"] = out["state"].mask(pd.Series(is_legacy, index=out.index, dtype=bool), LEGACY)
    if hollow is not None and hollow.hollowed:
        is_hollow = [hollow.is_hollowed(p, b) for p, b in zip(out["path"], out["blob"])]
        out["state"] = out["state"].mask(pd.Series(is_hollow, index=out.index, dtype=bool), HOLLOWED)
    return out[TREE_COLUMNS].sort_values("path", kind="stable").reset_index(drop=True)
