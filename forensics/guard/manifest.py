"""Integrity manifest: SHA-256 of protected files, and a check that they are unchanged.

``create`` protects, by default, every tracked file in scope (``*.py``, backups left out) that is
healthy now; ``verify`` lists protected files that changed, went missing, or are damaged now, and
fails when any is found. The manifest is JSON: ``{"created_at", "head", "files": {path: sha256}}``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from forensics.errors import ForensicsError
from forensics.termtext import printable
from forensics.engine.git import Repository, display_path, index_snapshot, path_bytes
from forensics.engine.health import HealthRules
from forensics.engine.pathspec import Pathspec
from forensics.engine.settings import DEFAULT_PATHS


def _tracked(repo: Repository, spec: Pathspec, rules: HealthRules) -> list[str]:
    with index_snapshot(repo) as (reader, index):    # a split index is read from a copy
        out = reader.run("ls-files", "-z", what="ls-files", index_file=index)
    paths = [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]
    return [p for p in paths if spec.matches(p) and not rules.is_backup(p)]


def _manifest_path(repo: Repository, file: str) -> Path:
    p = Path(file)
    return p if p.is_absolute() else Path(repo.path) / p


def _writable_manifest_path(repo: Repository, file: str) -> Path:
    """Where ``create`` may write: inside the repository's worktree (symlinks resolved), else exit 2."""
    target = _manifest_path(repo, file)
    top = os.path.realpath(repo.path)
    if target.is_symlink() or not os.path.realpath(target).startswith(top + os.sep):
        raise ForensicsError(f"--file {file} is outside the repository {repo.path}: the manifest is written "
                             "inside it (verify reads one from anywhere)")
    if target.is_dir():
        raise ForensicsError(f"--file {file} is a directory; name a file")
    return target


def create_manifest(repo_path: str, file: str, paths: list[str] | None = None,
                    markers: list[str] | None = None) -> tuple[Path, int]:
    repo = Repository.open(repo_path)
    if repo.is_bare:
        raise ForensicsError("manifest needs a worktree")
    rules = HealthRules(markers=tuple(markers)) if markers else HealthRules()
    files = {}
    for p in _tracked(repo, Pathspec(paths or list(DEFAULT_PATHS)), rules):
        full = Path(repo.path) / p
        if full.is_file():
            data = full.read_bytes()
            if rules.judge(data).state == "healthy":
                files[display_path(p)] = hashlib.sha256(data).hexdigest()
    target = _writable_manifest_path(repo, file)
    head = repo.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).decode().strip()
    try:
        target.write_text(json.dumps({"created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "head": head,
                                      "markers": list(rules.markers), "files": dict(sorted(files.items()))}, indent=1))
    except OSError as exc:
        raise ForensicsError(f"cannot write the manifest {target}: {exc.strerror or exc}") from None
    return target, len(files)


class BadManifest(ForensicsError):
    """A manifest that is not what ``create`` writes, or that names a file outside the worktree."""

    def __init__(self, target: Path, reason: str) -> None:
        super().__init__(f"unreadable manifest {target}: {reason}")


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _outside_reason(top: str, shown: str) -> str | None:
    """Why the manifest entry ``shown`` is not a file of the worktree ``top`` (absolute, ``..``, inside
    ``.git``, through a symlink that leaves the worktree), or None. A verify never reads such a file,
    so it never says whether a file outside the repository has a given digest."""
    raw = path_bytes(shown)
    if not raw or b"\0" in raw or raw.startswith(b"/"):
        return "an empty or absolute path, or a NUL byte"
    parts = raw.split(b"/")
    if any(part in (b"", b".", b"..") for part in parts):
        return "a path with an empty, '.' or '..' component"
    if any(part.lower() == b".git" for part in parts):
        return "a path inside .git"
    full = os.path.realpath(os.path.join(os.fsencode(top), raw))
    if not full.startswith(os.fsencode(os.path.realpath(top)) + os.sep.encode()):
        return "a path that resolves outside the worktree"
    return None


def _read_manifest(repo: Repository, target: Path) -> tuple[dict[str, str], list[str] | None]:
    """(files, markers) of the manifest at ``target``; :class:`BadManifest` (exit 2, one line) when it is
    not JSON of the shape ``create`` writes or names a file outside the worktree."""
    try:
        data = json.loads(target.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        raise BadManifest(target, printable(getattr(exc, "strerror", None) or str(exc).splitlines()[0]
                                            if str(exc) else type(exc).__name__)) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise BadManifest(target, "no \"files\" object (write one with `forensics manifest create`)")
    files = data["files"]
    for shown, digest in files.items():
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise BadManifest(target, f"the digest of {printable(repr(shown))} is not a SHA-256 in hex")
        try:
            reason = _outside_reason(repo.path, shown)
        except (UnicodeError, ValueError):
            reason = "a path that cannot be read"
        if reason:
            raise BadManifest(target, f"{printable(repr(shown))} is {reason}: refused (a manifest names files "
                                      "of this repository only)")
    markers = data.get("markers")
    if markers is not None and (not isinstance(markers, list) or not all(isinstance(m, str) for m in markers)):
        raise BadManifest(target, "\"markers\" is not a list of regular expressions")
    return files, markers


def verify_manifest(repo_path: str, file: str, markers: list[str] | None = None) -> list[str]:
    """One line per problem: ``changed PATH``, ``missing PATH``, ``damaged PATH (...)``. The manifest is
    checked whole first (:func:`_read_manifest`): a malformed one, or one naming a file outside the
    worktree, is exit 2 before any file is read."""
    repo = Repository.open(repo_path)
    target = _manifest_path(repo, file)
    files, stored_markers = _read_manifest(repo, target)
    rules = HealthRules(markers=tuple(markers or stored_markers or HealthRules().markers))
    problems = []
    for shown, digest in files.items():
        full = Path(repo.path) / path_bytes(shown).decode("utf-8", "surrogateescape")
        if not full.is_file():
            problems.append(f"missing  {shown}")
            continue
        content = full.read_bytes()
        if hashlib.sha256(content).hexdigest() != digest:
            h = rules.judge(content)
            if h.state != "healthy":
                detail = []
                if h.markers:
                    detail.append(f"{h.markers} marker lines")
                if not h.compiles:
                    detail.append(f"does not compile: {h.error_class} line {h.error_line}")
                problems.append(f"damaged  {shown} ({'; '.join(detail)})")
            else:
                problems.append(f"changed  {shown}")
    return problems
