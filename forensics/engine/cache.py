"""Scan cache: Parquet tables plus a JSON manifest per (repository, revision, settings), and one
shared store of judged versions per (repository, health rules, interpreter) that every later scan of
any revision reuses.

Layout under the cache root::

    <root>/<repo-id>/versions-<rules-fingerprint>/part-<time-ns>-<pid>-<random>.parquet
    <root>/<repo-id>/scans/<rev-sha>-<settings-key>/{commits,changes,events,tree}.parquet
    <root>/<repo-id>/scans/<rev-sha>-<settings-key>/manifest.json

Every file is written under a unique temporary name and renamed into place (atomic), and part names
are unique, so concurrent scans never overwrite each other. A part that cannot be read (truncated) is
deleted and its versions are judged again. A cache that cannot be used at all (read-only, disk full,
a file in its place) is left out: :attr:`ScanCache.problem` says why, and the scan goes on without it.
"""
from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forensics.engine.faults import fault

TABLES = ("commits", "changes", "events", "tree")


def default_root() -> Path:
    env = os.environ.get("FORENSICS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "forensics"


def repo_id(common_dir: str) -> str:
    name = Path(common_dir).resolve()
    label = (name.parent.name if name.name == ".git" else name.name) or "repo"
    return f"{label}-{hashlib.sha256(str(name).encode()).hexdigest()[:12]}"


def _encode(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in ("chain", "edits") if c in df.columns])


def _decode(df: pd.DataFrame) -> pd.DataFrame:
    for col in df.columns:  # keep text columns as plain objects, as the scan built them
        if str(df[col].dtype) in ("string", "str"):
            df[col] = df[col].astype(object)
    return df


def _write_atomic(df: pd.DataFrame, target: Path) -> None:
    if os.environ.get("FORENSICS_FAULT", "").startswith("cache_full:"):
        try:
            fault("cache_full")
        except RuntimeError:  # the test hook for a full disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target)) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        _encode(df).to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_table(path: Path) -> pd.DataFrame:
    return _decode(pd.read_parquet(path))


MAX_VERSION_PARTS = 16
MAX_CHAIN = 8


def _part_name() -> str:
    """A version part's file name, unique across processes and sorting by creation time."""
    return f"part-{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}.parquet"


@dataclass(frozen=True)
class CachedScan:
    """A scan entry read back from the cache: the revision it is of (``rev_sha``), its ``manifest``
    as stored, and its ``tables`` (commits, changes, events, tree) whole, a chain of deltas resolved."""

    rev_sha: str
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def commit_shas(self) -> set[str]:
        """The shas of every commit this scan holds."""
        return set(self.tables["commits"]["sha"])


@dataclass(frozen=True)
class CachedAncestor:
    """A cached scan's revision (``rev_sha``) and its stored ``manifest``, found as an ancestor of the
    revision being scanned, before its tables are read."""

    rev_sha: str
    manifest: dict[str, Any]


def _guarded(default: Any = None):
    """A cache operation that an unusable cache turns into ``default`` (and records why)."""
    def wrap(method):
        @functools.wraps(method)
        def run(self: "ScanCache", *args: Any, **kwargs: Any) -> Any:
            if self.problem:
                return default
            try:
                return method(self, *args, **kwargs)
            except OSError as exc:
                self.problem = f"{self.dir}: {exc.strerror or exc}"
                return default
        return run
    return wrap


class ScanCache:
    """One repository's cache directory. Judged versions are stored as append-only Parquet parts
    (``versions-<fingerprint>/part-*.parquet``, compacted past 16 parts); a scan made incrementally
    from a cached ancestor stores only its new commits, changes and events, naming its base in the
    manifest (full tables again past 8 links), so a later scan costs what its new history costs."""

    def __init__(self, root: str | os.PathLike[str], common_dir: str) -> None:
        self.dir = Path(root) / repo_id(common_dir)
        self.problem: str | None = None  # why this cache is not used in this run, if it is not

    def versions_dir(self, fingerprint: str) -> Path:
        return self.dir / f"versions-{fingerprint}"

    @_guarded()
    def load_versions(self, fingerprint: str) -> pd.DataFrame | None:
        """Every stored judgment; a part that cannot be read is deleted (its versions are judged again
        and stored anew), one that vanished meanwhile (another scan compacted it) is skipped."""
        d = self.versions_dir(fingerprint)
        parts = sorted(d.glob("part-*.parquet")) if d.is_dir() else []
        frames = []
        for p in parts:
            try:
                frames.append(read_table(p))
            except FileNotFoundError:
                continue
            except (OSError, ValueError):
                p.unlink(missing_ok=True)  # truncated or damaged: dropped, rebuilt by this scan
        if not frames:
            return None
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return df.drop_duplicates("blob", keep="last").reset_index(drop=True) if len(frames) > 1 else df

    @_guarded()
    def save_versions(self, fingerprint: str, new_rows: pd.DataFrame) -> None:
        """Append the newly judged versions as a new part; compact when the parts grow many."""
        d = self.versions_dir(fingerprint)
        d.mkdir(parents=True, exist_ok=True)
        mine = d / _part_name()
        _write_atomic(new_rows, mine)
        parts = sorted(d.glob("part-*.parquet"))
        if len(parts) > MAX_VERSION_PARTS:
            everything = self.load_versions(fingerprint)
            if everything is not None:
                _write_atomic(everything, d / _part_name())
                for p in parts:  # only the parts read above; one written since by another scan stays
                    p.unlink(missing_ok=True)

    def scan_dir(self, rev_sha: str, key: str) -> Path:
        return self.dir / "scans" / f"{rev_sha}-{key}"

    @_guarded()
    def load_scan(self, rev_sha: str, key: str, depth: int = 0) -> CachedScan | None:
        """The cached scan of ``rev_sha`` with settings ``key`` (its deltas resolved), or None when
        there is none or it cannot be read whole."""
        d = self.scan_dir(rev_sha, key)
        manifest = d / "manifest.json"
        if depth > MAX_CHAIN + 2 or not manifest.exists() or not all((d / f"{t}.parquet").exists() for t in TABLES):
            return None
        try:
            meta = json.loads(manifest.read_text())
            tables = {t: read_table(d / f"{t}.parquet") for t in TABLES}
        except (OSError, ValueError):
            return None  # a damaged cache entry is rebuilt, never trusted
        base = meta.get("stored_as_delta_of")
        if base:
            loaded = self.load_scan(base, key, depth + 1)
            if loaded is None:
                return None
            for t in ("commits", "changes", "events"):
                tables[t] = pd.concat([loaded.tables[t], tables[t]], ignore_index=True)
        return CachedScan(rev_sha, meta, tables)

    @_guarded()
    def ancestors_of(self, repo, rev_sha: str, key: str) -> CachedAncestor | None:
        """The cached scan, with the same settings, of the revision that is the nearest ancestor of
        ``rev_sha`` (most commits), to scan incrementally from."""
        best = None
        scans = self.dir / "scans"
        if not scans.is_dir():
            return None
        for d in scans.iterdir():
            sha, _, k = d.name.partition("-")
            if k != key or sha == rev_sha or not (d / "manifest.json").exists():
                continue
            try:
                meta = json.loads((d / "manifest.json").read_text())
            except (OSError, ValueError):
                continue
            if best is not None and meta.get("commits", 0) <= best.manifest.get("commits", 0):
                continue
            if repo.is_ancestor(sha, rev_sha):
                best = CachedAncestor(sha, meta)
        return best

    @_guarded()
    def save_scan(self, rev_sha: str, key: str, manifest: dict[str, Any], tables: dict[str, pd.DataFrame],
                  base: CachedScan | None = None) -> Path | None:
        """Write a scan entry; with ``base`` (the cached scan it was made incrementally from) only the
        rows of the new commits are written, unless the chain of deltas is already long. Returns the
        entry's directory."""
        d = self.scan_dir(rev_sha, key)
        manifest = dict(manifest)
        chain_length = base.manifest.get("chain_length", 0) if base is not None else 0
        if base is not None and chain_length < MAX_CHAIN:
            shas = base.commit_shas
            tables = {t: (df[~df["sha"].isin(shas)] if t != "tree" else df) for t, df in tables.items()}
            manifest.update(stored_as_delta_of=base.rev_sha, chain_length=chain_length + 1)
        for name, df in tables.items():
            _write_atomic(df, d / f"{name}.parquet")
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(manifest, fh, indent=2, default=str)
        os.replace(tmp, d / "manifest.json")  # written last: its presence means the entry is whole
        return d
