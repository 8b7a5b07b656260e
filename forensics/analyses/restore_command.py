"""The ``restore_command`` of a restore-list row: a shell command a person may paste, so every path in
it is quoted for any byte git can store, and a path that would write (or read) outside the worktree
gets no command at all, only a shell comment that says why (README "Hostile repositories").

Rules: a path is refused when it is empty or absolute, or has an empty, ``.``, ``..`` or ``.git``
component (any case; git objects can hold such tree entries, a checkout never writes them). A path of
printable characters is single-quoted (``shlex.quote``); one holding anything else (control characters,
newlines, bidi overrides and other invisible format characters, bytes that are not UTF-8) is written in
bash's ``$'...'`` form with every such byte as ``\\xNN``, so the command stays one visible line and
means exactly the path's bytes. ``git restore`` reads a pathspec: a path with pathspec magic
(``*?[\\`` or a leading ``:``) gets ``git --literal-pathspecs``.
"""
from __future__ import annotations

import shlex

from forensics.engine.gitdata import path_bytes

REFUSED = "# no command:"
_MAGIC = b"*?[\\"


def unsafe_reason(path: str) -> str:
    """Why ``path`` (display form) must not be written by a pasted command, or "" when it may."""
    raw = path_bytes(path)
    if not raw:
        return "the path is empty"
    if raw.startswith(b"/"):
        return "the path is absolute and would write outside the worktree"
    for part in raw.split(b"/"):
        if part in (b"", b".", b".."):
            return f"the path has a {part.decode() or 'empty'!r} component and could write outside the worktree"
        if part.lower() == b".git":
            return "the path is inside .git (git's own files, hooks included)"
    return ""


def shell_word(raw: bytes) -> str:
    """``raw`` as one shell word: single-quoted when it is printable UTF-8, else ``$'...'``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and text.isprintable():
        return shlex.quote(text)
    return "$'" + "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x27, 0x5C) else f"\\x{b:02x}" for b in raw) + "'"


def shell_path(path: str) -> str:
    """A path (display form: :func:`forensics.engine.gitdata.display_path`) as one shell word."""
    return shell_word(path_bytes(path))


def _rev_path(sha: str, path: str) -> str:
    """``sha:path`` as one shell word (git's ``<rev>:<path>``, the path's bytes whatever its form)."""
    return shell_word(sha.encode() + b":" + path_bytes(path))


def restore_command(path: str, source: str, sha: str, old_path: str, blob: str, bk) -> str:
    """The command that restores ``path`` from ``source`` (``git``: ``sha``'s ``old_path``, or the blob;
    ``backup``: the row ``bk`` of a backup, copied when it is at the revision); "" for no source; a
    ``# no command: ...`` comment when a path involved is refused (:func:`unsafe_reason`)."""
    if source not in ("git", "backup"):
        return ""
    paths = [path, old_path] if source == "git" else [path, bk["backup_path"]]
    for p in paths:
        reason = unsafe_reason(p) if p else ""
        if reason:
            return f"{REFUSED} {reason}"
    target = shell_path(path)
    if source == "backup":
        if bk["at_rev"]:
            dashes = "-- " if path.startswith("-") or bk["backup_path"].startswith("-") else ""
            return f"cp {dashes}{shell_path(bk['backup_path'])} {target}"
        return f"git show {_rev_path(bk['sha'], bk['backup_path'])} > {target}"
    if sha and old_path == path:
        raw = path_bytes(path)
        literal = "--literal-pathspecs " if any(c in _MAGIC for c in raw) or raw.startswith(b":") else ""
        return f"git {literal}restore --source={sha} -- {target}"
    if sha:
        return f"git show {_rev_path(sha, old_path)} > {target}"
    return f"git cat-file blob {blob} > {target}"
