"""``forensics guard``: refuse a change that adds markers, breaks compilation, adds damaged files,
commits backup copies, or rewrites many files the same way. Stdlib and the health rules only, so a
pre-commit hook answers in well under a second.

Modes: the staged changes (default: index against HEAD), given FILES (worktree against HEAD), or a
commit range ``A..B`` (B against A, for CI).
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from forensics.errors import ForensicsError
from forensics.termtext import printable
from forensics.engine.git import Repository, display_path, index_snapshot, is_null_sha, parse_raw_diff
from forensics.engine.health import HealthRules, VersionHealth, original_name
from forensics.engine.settings import load_settings
from forensics.engine.rewrites import signature_rows

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbba4904"  # stands for "no HEAD yet" (never handed to git)
HOOK_MARK = "# installed by forensics guard --install"


@dataclass
class Finding:
    path: str
    kind: str       # marker | broke | added_damaged | mass_edit | backup_file
    detail: str

    def __str__(self) -> str:
        from forensics.termtext import printable

        return printable(f"{self.path}: {self.kind}: {self.detail}")


def _pairs_from_diff(repo: Repository, args: list[str], index_file: str | None = None) -> list[tuple[str, str, str]]:
    """(path, old blob, new blob) for regular files changed, from a ``--raw -z`` diff."""
    out = repo.run(*args, what=args[0], index_file=index_file)
    pairs = []
    for status, old_mode, new_mode, old_blob, new_blob, old_path, new_path in parse_raw_diff(out):
        if new_mode not in ("100644", "100755") or is_null_sha(new_blob):
            continue
        old = old_blob if old_mode in ("100644", "100755") and not is_null_sha(old_blob) else ""
        pairs.append((new_path, old, new_blob))
    return pairs


def _staged_as_added(repo: Repository, index_file: str | None) -> list[tuple[str, str, str]]:
    """(path, "", blob) for every regular file in the index: the first commit adds them all (there is no
    HEAD to compare with, and the empty tree is not an object git can diff against in a new repository)."""
    out = repo.run("ls-files", "--stage", "-z", what="ls-files", index_file=index_file)
    pairs = []
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        if not path:
            continue
        mode, blob, stage = meta.decode().split(" ")
        if mode in ("100644", "100755") and stage == "0":
            pairs.append((path.decode("utf-8", "surrogateescape"), "", blob))
    return pairs


def _tree_as_added(repo: Repository, rev_sha: str) -> list[tuple[str, str, str]]:
    """(path, "", blob) for every regular file at ``rev_sha`` (a range whose "before" is all zeros)."""
    return [(path, "", blob) for mode, blob, path in repo.tree(rev_sha) if mode in ("100644", "100755")]


def _head(repo: Repository) -> str:
    try:
        return repo.resolve("HEAD")
    except ForensicsError:
        return EMPTY_TREE


def guard(repo_path: str = ".", files: list[str] | None = None, rev_range: str | None = None,
          mass_threshold: int = 50, markers: list[str] | None = None, paths: list[str] | None = None,
          config: str | None = None, allow_backups: bool = False, repo_config: bool = True) -> list[Finding]:
    """The findings for the chosen mode; empty when the change is clean.

    The repository's own ``[tool.forensics]`` is never taken from the change being checked: staged
    changes and FILES use HEAD's, ``--range A..B`` uses A's (the trusted side; a new branch, whose A
    is all zeros, uses none), so pushed commits cannot switch the guard off. ``repo_config=False``
    (``--ignore-repo-config``) uses none; what was applied is said on stderr (:func:`settings_line`)."""
    repo = Repository.open(repo_path)
    head = _head(repo)
    trusted: str | None = head if head != EMPTY_TREE else None
    a = b = ""
    if rev_range:
        if ".." not in rev_range:
            raise ForensicsError(f"--range needs A..B, not {rev_range!r}")
        a, b = rev_range.split("..", 1)
        trusted = repo.resolve(a) if a.strip("0") else None
    settings = load_settings(repo, trusted, config, repo_config=repo_config, markers=markers, paths=paths)
    note = settings_line(settings.repo_settings, rev_range is not None)
    if note:
        print(note, file=sys.stderr)
    rules: HealthRules = settings.rules
    spec = settings.pathspec
    new_bytes: dict[str, bytes] = {}
    if rev_range:
        b_sha = repo.resolve(b or "HEAD")
        if a.strip("0"):
            pairs = _pairs_from_diff(repo, ["diff", "--raw", "-z", "--no-abbrev", "-M", repo.resolve(a), b_sha, "--"])
        else:  # an all-zero "before" (a new branch): every file of B is new
            pairs = _tree_as_added(repo, b_sha)
    elif files:
        pairs = []
        top = Path(repo.path)
        for f in files:
            p = Path(f)
            full = p if p.is_absolute() else (Path.cwd() / p)
            try:
                rel = full.resolve().relative_to(top.resolve()).as_posix()
            except ValueError:
                raise ForensicsError(f"{f} is not inside {repo.path}") from None
            if not full.is_file():
                continue
            new_bytes[rel] = full.read_bytes()
            pairs.append((rel, "", ""))
        if head != EMPTY_TREE and pairs:
            with repo.blob_reader() as reader:
                olds = dict(reader.read_many([f"{head}:{p}" for p, _, _ in pairs]))
            pairs = [(p, f"{head}:{p}" if olds.get(f"{head}:{p}") is not None else "", "") for p, _, _ in pairs]
    else:
        # inside a hook (`git commit -a`), git points GIT_INDEX_FILE at the index being committed
        index = os.environ.get("GIT_INDEX_FILE")
        index = os.path.abspath(index) if index else None
        with index_snapshot(repo, index) as (reader, index_copy):   # a split index is read from a copy
            if head == EMPTY_TREE:  # no commit yet: the staged files are the first commit
                pairs = _staged_as_added(reader, index_copy)
            else:
                pairs = _pairs_from_diff(reader, ["diff-index", "--cached", "--raw", "-z", "--no-abbrev", "-M", head,
                                                  "--"], index_copy)
    findings: list[Finding] = []
    subjects = []
    for path, old, new in pairs:
        if rules.is_backup(path):
            if (spec.matches(path) or spec.matches(original_name(path))) and not allow_backups:
                findings.append(Finding(display_path(path), "backup_file", "a backup copy is being committed "
                                        "(--allow-backups to accept)"))
            continue
        if spec.matches(path):
            subjects.append((path, old, new))
    wanted = [b for _, o, n in subjects for b in (o, n) if b]
    with repo.blob_reader() as reader:
        blobs = dict(reader.read_many(sorted(set(wanted)))) if wanted else {}
    contents = []
    for path, old, new in subjects:
        after = new_bytes[path] if path in new_bytes else blobs.get(new)
        before = blobs.get(old) if old else None
        if after is None:
            continue
        h_after = rules.judge(after)
        h_before: VersionHealth | None = rules.judge(before) if before is not None else None
        shown = display_path(path)
        if h_before is None:
            if h_after.state != "healthy":
                findings.append(Finding(shown, "added_damaged", _describe(h_after)))
        else:
            if h_after.markers > h_before.markers:
                findings.append(Finding(shown, "marker", f"{h_after.markers - h_before.markers} marker lines added "
                                        f"(first at line {h_after.first_marker_line})"))
            if h_before.compiles and not h_after.compiles:
                findings.append(Finding(shown, "broke", f"no longer compiles: {h_after.error_class}: "
                                        f"{h_after.error_message} (line {h_after.error_line})"))
            contents.append((path, before, after))
    if mass_threshold and len(contents) > mass_threshold:
        for row in signature_rows(contents, min_files=mass_threshold + 1):
            findings.append(Finding("*", "mass_edit", f"{row['files']} files share one transformation: "
                                    f"{row['signature']} (e.g. {row['example_after'][:80]!r})"))
    return findings


def settings_line(repo_settings: dict, ranged: bool) -> str:
    """One stderr line naming the repository's own settings the guard applied (from HEAD, or from the
    range's base), or "" when it applied none."""
    applied = (repo_settings or {}).get("applied") or {}
    if not applied:
        return ""
    items = "; ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in applied.items())
    side = "the range's base" if ranged else "HEAD"
    return printable(f"forensics: note: guard applied the repository's settings (from {repo_settings.get('source', 'pyproject.toml')}, "
                     f"{side}; --ignore-repo-config leaves them out): {items}")


def _describe(h: VersionHealth) -> str:
    parts = []
    if h.markers:
        parts.append(f"{h.markers} marker lines (first at line {h.first_marker_line})")
    if not h.compiles:
        parts.append(f"does not compile: {h.error_class}: {h.error_message} (line {h.error_line})")
    return "; ".join(parts)


def install_hook(repo_path: str = ".", python: str | None = None) -> Path:
    """Install a plain ``pre-commit`` git hook that runs the guard, then any hook that was there."""
    import sys

    repo = Repository.open(repo_path)
    hooks = repo.git_path("hooks")
    hooks.mkdir(parents=True, exist_ok=True)
    hook = hooks / "pre-commit"
    chained = hooks / "pre-commit.before-forensics"
    if hook.exists() and HOOK_MARK not in hook.read_text(errors="replace"):
        if chained.exists():
            raise ForensicsError(f"{chained} already exists; move it away before installing again")
        os.replace(hook, chained)
    py = python or sys.executable
    hook.write_text(f"""#!/bin/sh
{HOOK_MARK}
# Refuses commits that add REMOVED_SYNTAX_ERROR-style markers, break compilation or rewrite many
# files at once; then runs the hook that was here before (pre-commit.before-forensics), if any.
"{py}" -m forensics guard || exit 1
if [ -x "$(dirname "$0")/pre-commit.before-forensics" ]; then
  exec "$(dirname "$0")/pre-commit.before-forensics" "$@"
fi
""")
    hook.chmod(0o755)
    return hook
