"""The files git opens on its own when it opens a repository, checked before git does.

git opens the repository's config and every file its ``include.path`` / ``includeIf.<cond>.path`` names
(then their includes), ``HEAD``, ``commondir``, ``packed-refs``, ``shallow``, ``info/grafts``,
``info/attributes`` and ``objects/info/alternates`` (then every alternate's own ``info/alternates``, to
git's depth of 5) with a plain ``open()``: a FIFO there blocks every command for ever, and a
character device (``/dev/zero``) feeds it without end. Before the first git command on the evidence,
:func:`refuse_special_files` stats (never opens) each of them and refuses the repository when one exists
and is not a regular file (:class:`forensics.errors.SpecialFile`, exit 2). Include targets are listed
by ``git config --file F --no-includes`` on each regular config file (which reads F alone), followed up
to git's own depth of 10, whatever their condition. A config file (or include) over
:data:`MAX_CONFIG_BYTES` is refused too: git would read it whole, on every command.
"""
from __future__ import annotations

import os
import stat
import subprocess
import tempfile

from forensics.errors import SpecialFile

_STARTUP_FILES = ("HEAD", "commondir", "packed-refs", "shallow", "info/grafts", "objects/info/alternates",
                  "config.worktree", "info/attributes")
MAX_ALTERNATE_DEPTH = 5     # git's own: alternates of alternates beyond this are not followed
MAX_INCLUDE_DEPTH = 10
MAX_CONFIG_BYTES = 1 << 20


def _is_special(path: str) -> bool:
    """True when ``path`` exists (after symlinks) and is not a regular file or a directory."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _includes(config: str, env: dict[str, str]) -> list[str]:
    """The include targets ``config`` names itself (not followed), as absolute paths."""
    with tempfile.TemporaryDirectory(prefix="forensics-config-") as cwd:
        proc = subprocess.run(["git", "config", "--file", config, "--no-includes", "-z", "--get-regexp",
                               r"^include(if\..*)?\.path$"], capture_output=True, cwd=cwd,
                              env={**env, "GIT_CEILING_DIRECTORIES": os.path.dirname(cwd)})
    out = []
    for record in proc.stdout.split(b"\0"):
        if b"\n" not in record:
            continue
        value = os.fsdecode(record.split(b"\n", 1)[1])
        if value.startswith("~/"):
            value = os.path.join(os.path.expanduser("~"), value[2:])
        out.append(os.path.normpath(os.path.join(os.path.dirname(config), value)))
    return out


def _alternates(objects: str) -> list[str]:
    """The object directories ``objects/info/alternates`` names (absolute; relative ones are relative
    to ``objects``), read only when it is a regular file of at most :data:`MAX_CONFIG_BYTES`."""
    listing = os.path.join(objects, "info", "alternates")
    if not os.path.isfile(listing) or _is_special(listing) or os.stat(listing).st_size > MAX_CONFIG_BYTES:
        return []
    with open(listing, "rb") as fh:
        lines = fh.read().splitlines()
    out = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b'"') and line.endswith(b'"') and len(line) > 1:
            line = line[1:-1]   # git's quoted form; a path that needs escapes is left as written
        out.append(os.path.normpath(os.path.join(objects, os.fsdecode(line))))
    return out


def _refuse_special_alternates(path: str, objects: str) -> None:
    """Follow the alternates chain from ``objects`` to git's depth and refuse any ``info/alternates``
    on the way that is not a regular file (git opens each of them at start-up)."""
    seen: set[str] = set()
    level = [objects]
    for _ in range(MAX_ALTERNATE_DEPTH + 1):
        nxt = []
        for d in level:
            if d in seen:
                continue
            seen.add(d)
            listing = os.path.join(d, "info", "alternates")
            if _is_special(listing):
                raise SpecialFile(path, "an alternates file in the chain", listing)
            nxt.extend(_alternates(d))
        level = nxt


def alternates_chain(objects: str) -> list[str]:
    """Every object directory ``objects`` borrows from through ``info/alternates`` (and theirs, to
    git's depth), in the order met; what a scan reads from them is part of the history it sees."""
    seen: list[str] = []
    level = _alternates(objects)
    for _ in range(MAX_ALTERNATE_DEPTH):
        nxt = []
        for d in level:
            if d not in seen and d != objects:
                seen.append(d)
                nxt.extend(_alternates(d))
        level = nxt
    return seen


def _git_dirs(real: str) -> list[str]:
    """The directories git would take as ``real``'s git directory and common directory."""
    dot = os.path.join(real, ".git")
    dirs: list[str] = []
    if os.path.isfile(dot) and not _is_special(dot):
        with open(dot, "rb") as fh:                  # a gitfile: "gitdir: <path>"
            line = fh.read(4096).split(b"\n", 1)[0]
        if line.startswith(b"gitdir: "):
            dirs.append(os.path.join(real, os.fsdecode(line[8:].strip())))
    elif os.path.isdir(dot):
        dirs.append(dot)
    dirs.append(real)                                # a bare repository
    common = []
    for d in dirs:
        cd = os.path.join(d, "commondir")
        if os.path.isfile(cd) and not _is_special(cd):
            with open(cd, "rb") as fh:
                common.append(os.path.join(d, os.fsdecode(fh.read(4096).strip())))
    return [os.path.normpath(d) for d in dirs + common]


def refuse_special_files(path: str, env: dict[str, str]) -> None:
    """Raise :class:`SpecialFile` when a file git opens at start-up in the repository at ``path`` (a
    worktree top or a bare directory) is not a regular file; see the module docstring."""
    real = os.path.realpath(path)
    dot = os.path.join(real, ".git")
    if _is_special(dot):
        raise SpecialFile(path, "the git directory entry", dot)
    seen: set[str] = set()
    queue = []
    for d in _git_dirs(real):
        for name in _STARTUP_FILES:
            if _is_special(os.path.join(d, name)):
                raise SpecialFile(path, "the repository file", os.path.join(d, name))
        queue.append((os.path.join(d, "config"), 0, "the repository's config"))
        _refuse_special_alternates(path, os.path.join(d, "objects"))
    while queue:
        config, depth, what = queue.pop()
        if config in seen or depth > MAX_INCLUDE_DEPTH:
            continue
        seen.add(config)
        if _is_special(config):
            raise SpecialFile(path, what, config)
        if not os.path.isfile(config):
            continue
        if os.stat(config).st_size > MAX_CONFIG_BYTES:
            raise SpecialFile(path, what, config, f"is larger than {MAX_CONFIG_BYTES >> 20} MiB")
        for target in _includes(config, env):
            queue.append((target, depth + 1, f"a file included by {config}:"))
