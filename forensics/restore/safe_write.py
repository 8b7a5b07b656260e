"""Files and folders a restore writes, opened without following any symlink.

Everything under ``.git/forensics`` belongs to whoever handed over the copy: a planted
``restore-log.csv -> /elsewhere/file`` or ``restore-backups -> /elsewhere`` must not turn a restore
into a write outside. Every component below the trusted base (the git folder git names, or the
parent of a path the user passed) is opened with ``O_NOFOLLOW`` relative to its parent's descriptor
(``openat``), folders with ``O_DIRECTORY``, and must belong to the user running the command;
anything else is :class:`~forensics.errors.UnsafeOutput` (exit 2, one line).
"""
from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from typing import Iterator

from forensics.errors import UnsafeOutput

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _owned(fd: int, shown: str) -> os.stat_result:
    st = os.fstat(fd)
    if st.st_uid != os.getuid():
        raise UnsafeOutput(shown, f"it belongs to another user (uid {st.st_uid})")
    return st


def _why(parent_fd: int, name: str, shown: str, exc: OSError) -> UnsafeOutput:
    try:
        st = os.lstat(name, dir_fd=parent_fd)
    except OSError:
        return UnsafeOutput(shown, exc.strerror or str(exc))
    if stat.S_ISLNK(st.st_mode):
        return UnsafeOutput(shown, "it is a symlink")
    return UnsafeOutput(shown, "it is not a regular file or folder")


@contextmanager
def open_dir(base: str, parts: list[str], create: bool = True) -> Iterator[int]:
    """A descriptor of the folder ``base/parts...``: ``base`` as given (trusted), each of ``parts``
    created when missing (``create``) and opened without following a symlink; every folder on the
    way belongs to the user."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    shown = base
    try:
        _owned(fd, shown)
        for part in parts:
            shown = os.path.join(shown, part)
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                nxt = os.open(part, _DIR, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise _why(fd, part, shown, exc) from None
                raise
            os.close(fd)
            fd = nxt
            _owned(fd, shown)
        yield fd
    finally:
        os.close(fd)


def check_dir(base: str, parts: list[str]) -> None:
    """Refuse now (before anything is written) a folder chain that exists but is unsafe; missing
    components are fine (they will be created as real folders)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    shown = base
    try:
        _owned(fd, shown)
        for part in parts:
            shown = os.path.join(shown, part)
            try:
                nxt = os.open(part, _DIR, dir_fd=fd)
            except FileNotFoundError:
                return
            except OSError as exc:
                raise _why(fd, part, shown, exc) from None
            os.close(fd)
            fd = nxt
            _owned(fd, shown)
    finally:
        os.close(fd)


def open_file(dir_fd: int, name: str, shown: str, append: bool) -> int:
    """A descriptor for writing ``name`` in ``dir_fd``, never through a symlink: appended to (created
    when missing) with ``append``, else created new (``O_EXCL``, never overwriting). A regular file the
    user owns, else :class:`UnsafeOutput`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_APPEND if append else os.O_EXCL)
    try:
        fd = os.open(name, flags | getattr(os, "O_NONBLOCK", 0), 0o644, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENXIO, errno.EISDIR):
            raise _why(dir_fd, name, shown, exc) from None
        raise
    try:
        st = _owned(fd, shown)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeOutput(shown, "it is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_file(base: str, parts: list[str], name: str) -> None:
    """Refuse now a file that exists but is a symlink, not regular, or another user's (and its folders)."""
    check_dir(base, parts)
    path = os.path.join(base, *parts, name)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeOutput(path, "it is a symlink")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeOutput(path, "it is not a regular file")
    if st.st_uid != os.getuid():
        raise UnsafeOutput(path, f"it belongs to another user (uid {st.st_uid})")


def one_line(text: str) -> str:
    """``text`` on one line: unchanged when it holds no control character, else quoted as git quotes
    a path (``"a\\nb"``: quotes, backslash escapes, other control bytes in octal)."""
    if not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return text
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v",
             '"': '\\"', "\\": "\\\\"}
    out = ['"']
    for ch in text:
        if ch in named:
            out.append(named[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
