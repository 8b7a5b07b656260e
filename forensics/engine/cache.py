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

Nothing in the cache is trusted for being there. Each file ``F`` has a seal ``F.mac``: the HMAC-SHA256
of its bytes under a key of the cache root (``<root>/.forensics-key``, 32 random bytes, mode 0600,
made on first use), written before ``F`` is renamed into place. A file is read only when it and its
seal are regular files owned by the current user and the seal matches the bytes read (parsed from
those same bytes); anything else (planted by another user, copied in, damaged) is deleted and rebuilt,
and counted in :attr:`ScanCache.rejected` (the scan says it once). A key, or a repository's cache
directory, that is not the user's own (another owner, a symlink, a key others can read) leaves the
cache out of the run.
"""
from __future__ import annotations

import errno
import functools
import hashlib
import hmac
import io
import json
import os
import secrets
import stat
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


KEY_NAME = ".forensics-key"


class Untrusted(Exception):
    """A cache file that failed its owner or integrity check."""


def _seal_path(target: Path) -> Path:
    return target.with_name(target.name + ".mac")


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _replace_sealed(tmp: str, target: Path, key: bytes) -> None:
    """Seal the bytes of ``tmp`` (the seal written first, atomically), then move ``tmp`` to ``target``:
    a reader never sees a file without its seal."""
    data = Path(tmp).read_bytes()
    fd, seal_tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(_mac(key, data))
    os.replace(seal_tmp, _seal_path(target))
    os.replace(tmp, target)


def _owned_file(path: Path) -> bool:
    """A regular file (not a symlink) owned by the current user."""
    st = os.lstat(path)
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()


def read_checked(path: Path, key: bytes) -> bytes:
    """The bytes of ``path`` when it and its seal are the user's own and the seal matches; else
    :class:`Untrusted` (FileNotFoundError when ``path`` itself is gone)."""
    if not _owned_file(path):
        raise Untrusted(f"{path.name} is not a regular file of this user")
    seal = _seal_path(path)
    try:
        if not _owned_file(seal):
            raise Untrusted(f"{seal.name} is not a regular file of this user")
        expected = seal.read_text().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        raise Untrusted(f"{path.name} has no seal") from None
    data = path.read_bytes()
    if not hmac.compare_digest(_mac(key, data), expected):
        raise Untrusted(f"{path.name} does not match its seal")
    return data


def _discard(path: Path) -> None:
    """Delete a cache file and its seal (a failed check or a damaged file)."""
    path.unlink(missing_ok=True)
    _seal_path(path).unlink(missing_ok=True)


def _write_atomic(df: pd.DataFrame, target: Path, key: bytes) -> None:
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
        _replace_sealed(tmp, target, key)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_table(path: Path, key: bytes) -> pd.DataFrame:
    """A sealed Parquet table (see :func:`read_checked`), parsed from the bytes that were checked."""
    return _decode(pd.read_parquet(io.BytesIO(read_checked(path, key))))


def _cache_key(root: Path) -> bytes:
    """The cache root's key, made on first use (32 random bytes, mode 0600, created exclusively so
    concurrent first scans agree on one); :class:`Untrusted` when it is not the user's own secret."""
    path = root / KEY_NAME
    if not os.path.lexists(path):
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        try:
            os.write(fd, secrets.token_bytes(32))
            os.close(fd)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise Untrusted(f"the cache key {path} is not this user's own (owner, mode 0600, a regular file)")
    key = path.read_bytes()
    if len(key) < 32:
        raise Untrusted(f"the cache key {path} is too short")
    return key


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
        self.root = Path(root)
        self.dir = self.root / repo_id(common_dir)
        self.problem: str | None = None  # why this cache is not used in this run, if it is not
        self.rejected: list[str] = []    # files that failed their owner or integrity check, deleted
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        """The root's key (:func:`_cache_key`), once this repository's directory is known to be the
        user's own; an OSError (the cache left out of the run) otherwise."""
        if self._key is None:
            try:
                if os.path.lexists(self.dir):
                    st = os.lstat(self.dir)
                    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                        raise Untrusted(f"{self.dir} is not a directory of this user")
                self._key = _cache_key(self.root)
            except Untrusted as exc:
                raise OSError(str(exc)) from None
        return self._key

    def _reject(self, path: Path, why: Untrusted) -> None:
        """Delete a file that failed its check (unless it vanished meanwhile: another scan compacted it)."""
        if os.path.lexists(path):
            _discard(path)
            self.rejected.append(f"{path}: {why}")

    def versions_dir(self, fingerprint: str) -> Path:
        return self.dir / f"versions-{fingerprint}"

    @_guarded()
    def load_versions(self, fingerprint: str) -> pd.DataFrame | None:
        """Every stored judgment; a part that cannot be read is deleted (its versions are judged again
        and stored anew), one that vanished meanwhile (another scan compacted it) is skipped."""
        d = self.versions_dir(fingerprint)
        parts = sorted(d.glob("part-*.parquet")) if d.is_dir() else []
        frames = []
        secret = self.key
        for p in parts:
            try:
                frames.append(read_table(p, secret))
            except FileNotFoundError:
                continue
            except Untrusted as exc:       # planted, copied in, truncated: dropped, rebuilt by this scan
                self._reject(p, exc)
            except (OSError, ValueError):
                _discard(p)                # sealed yet unreadable: dropped, rebuilt
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
        _write_atomic(new_rows, mine, self.key)
        parts = sorted(d.glob("part-*.parquet"))
        if len(parts) > MAX_VERSION_PARTS:
            everything = self.load_versions(fingerprint)
            if everything is not None:
                _write_atomic(everything, d / _part_name(), self.key)
                for p in parts:  # only the parts read above; one written since by another scan stays
                    _discard(p)

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
        secret = self.key
        try:
            meta = json.loads(read_checked(manifest, secret))
            tables = {t: read_table(d / f"{t}.parquet", secret) for t in TABLES}
        except Untrusted as exc:
            self._reject(manifest, exc)   # the entry is rebuilt by this scan
            return None
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
                meta = json.loads(read_checked(d / "manifest.json", self.key))
            except Untrusted as exc:
                self._reject(d / "manifest.json", exc)
                continue
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
        secret = self.key
        for name, df in tables.items():
            _write_atomic(df, d / f"{name}.parquet", secret)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(manifest, fh, indent=2, default=str)
        _replace_sealed(tmp, d / "manifest.json", secret)  # written last: its presence means the entry is whole
        return d
