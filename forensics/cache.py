"""Scan cache: Parquet tables plus a JSON manifest per (repository, revision, settings), and one
shared store of judged versions per (repository, health rules, interpreter) that every later scan of
any revision reuses.

Layout under the cache root::

    <root>/<repo-id>/versions-<rules-fingerprint>.parquet
    <root>/<repo-id>/scans/<rev-sha>-<settings-key>/{commits,changes,events,tree}.parquet
    <root>/<repo-id>/scans/<rev-sha>-<settings-key>/manifest.json
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

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


class ScanCache:
    def __init__(self, root: str | os.PathLike[str], common_dir: str) -> None:
        self.dir = Path(root) / repo_id(common_dir)

    def versions_path(self, fingerprint: str) -> Path:
        return self.dir / f"versions-{fingerprint}.parquet"

    def load_versions(self, fingerprint: str) -> pd.DataFrame | None:
        p = self.versions_path(fingerprint)
        return read_table(p) if p.exists() else None

    def save_versions(self, fingerprint: str, versions: pd.DataFrame) -> None:
        _write_atomic(versions, self.versions_path(fingerprint))

    def scan_dir(self, rev_sha: str, key: str) -> Path:
        return self.dir / "scans" / f"{rev_sha}-{key}"

    def load_scan(self, rev_sha: str, key: str) -> tuple[dict[str, Any], dict[str, pd.DataFrame]] | None:
        d = self.scan_dir(rev_sha, key)
        manifest = d / "manifest.json"
        if not manifest.exists() or not all((d / f"{t}.parquet").exists() for t in TABLES):
            return None
        try:
            meta = json.loads(manifest.read_text())
            return meta, {t: read_table(d / f"{t}.parquet") for t in TABLES}
        except (OSError, ValueError):
            return None  # a damaged cache entry is rebuilt, never trusted

    def ancestors_of(self, repo, rev_sha: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """The cached scan, with the same settings, of the revision that is the nearest ancestor of
        ``rev_sha`` (most commits), to scan incrementally from."""
        best = None
        scans = self.dir / "scans"
        if not scans.exists():
            return None
        for d in scans.iterdir():
            sha, _, k = d.name.partition("-")
            if k != key or sha == rev_sha or not (d / "manifest.json").exists():
                continue
            try:
                meta = json.loads((d / "manifest.json").read_text())
            except (OSError, ValueError):
                continue
            if best is not None and meta.get("commits", 0) <= best[1].get("commits", 0):
                continue
            if repo.is_ancestor(sha, rev_sha):
                best = (sha, meta)
        return best

    def save_scan(self, rev_sha: str, key: str, manifest: dict[str, Any], tables: dict[str, pd.DataFrame]) -> Path:
        d = self.scan_dir(rev_sha, key)
        for name, df in tables.items():
            _write_atomic(df, d / f"{name}.parquet")
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(manifest, fh, indent=2, default=str)
        os.replace(tmp, d / "manifest.json")  # written last: its presence means the entry is whole
        return d
