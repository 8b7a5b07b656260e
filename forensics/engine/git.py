"""The one place that talks to git. Every call here is read-only.

Read-only means: no command that writes config, refs, the index, the worktree or hooks, and an
environment that stops even optional writes (``GIT_OPTIONAL_LOCKS=0`` keeps ``git status``-style
index refreshes away). Blob contents come through one long-lived ``git cat-file --batch``
(:class:`BlobReader`), never one process per file.
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

from forensics.errors import GitFailed, NotARepository, UnknownRevision, UntrustedRepository

from forensics.engine.evidence_files import refuse_special_files
from forensics.engine.limits import MAX_VERSION_BYTES, READ_PIECE, TooLarge
from forensics.engine.gitdata import NULL_SHA, blob_id, display_path, is_null_sha, path_bytes  # noqa: F401 (re-exported)


# Environment variables that make git run a program, reach the network or read other config, and
# that git must not inherit from the responder's shell (README "Hostile repositories").
_UNSAFE_ENV = ("GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EXTERNAL_DIFF",
               "GIT_PROXY_COMMAND", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_SHALLOW_FILE",
               "GIT_QUARANTINE_PATH", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_REPLACE_REF_BASE",
               "GIT_GRAFT_FILE")
NO_GRAFTS = "/dev/null/no-grafts"
# A name no URL can carry (``!`` is not a URL scheme character): every transport is refused.
_NO_PROTOCOL = "none!"


def git_env(ceiling: str | None = None) -> dict[str, str]:
    """Environment for every git call on evidence: no optional locks, prompts, pagers, replace refs,
    transports (so no lazy fetch, ssh or proxy command), and no config or programs inherited."""
    env = dict(os.environ)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", *_UNSAFE_ENV):
        env.pop(var, None)
    for var in [v for v in env if v.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))]:
        env.pop(var)
    env.update({
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_NO_REPLACE_OBJECTS": "1",
        # info/grafts rewrites parents and GIT_NO_REPLACE_OBJECTS does not cover it: a graft file that
        # can never exist (/dev/null is no directory), so git reads none and prints no deprecation hint
        "GIT_GRAFT_FILE": NO_GRAFTS,
        "GIT_ATTR_NOSYSTEM": "1",            # no $(prefix)/etc/gitattributes
        "GIT_NO_LAZY_FETCH": "1",            # git >= 2.44: missing objects stay missing
        "GIT_ALLOW_PROTOCOL": _NO_PROTOCOL,  # overrides every protocol.*.allow in any config
        "GIT_PROTOCOL_FROM_USER": "0",
        "LC_ALL": "C",
    })
    if ceiling:
        env["GIT_CEILING_DIRECTORIES"] = ceiling
    return env


# git's own default rename limit (files compared in the exhaustive rename and copy search), passed
# on every command so the analysed repository's diff.renameLimit cannot lower it
RENAME_LIMIT = 1000

# Config passed with -c (command-line config wins over every config file, and reaches git's own
# child processes), so nothing is written: first what read commands print, then everything in the
# analysed repository's config that could run a program, fetch, or repack (README "Hostile
# repositories"). Note: no safe.directory here; git's ownership check stays on (see Repository.open).
_SAFE_CONFIG = (
    "-c", "core.quotepath=off",
    "-c", "log.showSignature=false",
    "-c", "diff.external=",
    "-c", "color.ui=never",
    "-c", "i18n.logOutputEncoding=UTF-8",
    "-c", "core.fsmonitor=",            # empty: off on every version (before 2.36 a value is a hook path)
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.sshCommand=false",
    "-c", "core.gitProxy=",
    "-c", "core.askPass=",
    "-c", "core.alternateRefsCommand=",
    "-c", "core.pager=cat",
    "-c", "credential.helper=",
    "-c", "protocol.allow=never",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
    "-c", "fetch.recurseSubmodules=false",
    "-c", "fetch.writeCommitGraph=false",
    "-c", "submodule.recurse=false",
    # the view of history: what git reads from files the repository's owner wrote (README "Hostile
    # repositories"): a commit-graph file holds parents and dates git trusts over the commits
    # themselves; replace refs; the rename limit decides what counts as a rename; a commit without
    # an encoding header is UTF-8, whatever i18n.commitEncoding says
    "-c", "core.commitGraph=false",
    "-c", "core.useReplaceRefs=false",
    "-c", f"diff.renameLimit={RENAME_LIMIT}",
    "-c", "i18n.commitEncoding=UTF-8",
    # files the repository's config can name, which git opens with a plain open() (a FIFO there
    # blocks every command): attributes and mailmap are read from none (README "Hostile repositories")
    "-c", "core.attributesFile=/dev/null",
    "-c", "mailmap.file=",
    "-c", "mailmap.blob=",
    "-c", "log.mailmap=false",
)

_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_DUBIOUS = re.compile(r"dubious ownership in repository at '(.*)'")


def _private_view(repo: "Repository") -> str:
    """A temporary bare repository that sees ``repo``'s objects (``objects/info/alternates``) and a
    copy of its refs, HEAD and shallow boundary, under a config of our own: no promisor remote, so a
    missing object of a partial clone is reported missing instead of fetched, on every git version.
    Removed when the process exits."""
    tmp = tempfile.mkdtemp(prefix="forensics-view-")
    atexit.register(shutil.rmtree, tmp, True)
    init = ["git", "init", "-q", "--bare", "--template=", f"--object-format={repo.object_format}", tmp]
    subprocess.run(init, check=True, env=git_env(), capture_output=True)
    with open(os.path.join(tmp, "objects", "info", "alternates"), "w") as fh:
        fh.write(os.path.join(repo.common_dir, "objects") + "\n")
    refs = subprocess.run(repo.argv("for-each-ref", "--format=%(objectname) %(refname)", own_dir=True),
                          capture_output=True, env=git_env(), check=True).stdout
    with open(os.path.join(tmp, "packed-refs"), "wb") as fh:
        fh.write(refs)
    head = subprocess.run(repo.argv("rev-parse", "--verify", "--quiet", "HEAD", own_dir=True),
                          capture_output=True, env=git_env()).stdout.strip()
    if head:
        with open(os.path.join(tmp, "HEAD"), "wb") as fh:
            fh.write(head + b"\n")
    shallow = os.path.join(repo.common_dir, "shallow")
    if _is_regular(shallow):
        shutil.copyfile(shallow, os.path.join(tmp, "shallow"))
    return tmp


def _is_regular(path: str) -> bool:
    """A regular file, not followed through a symlink (a FIFO or device would block a reader)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


@contextlib.contextmanager
def index_snapshot(repo: "Repository", index_file: str | None = None) -> Iterator[tuple["Repository", str | None]]:
    """(repository, index file) to read ``index_file`` (default: the repository's own index) without
    touching it. git "freshens" a split index's ``sharedindex.*`` files when it reads them (it sets
    their modification time, so that they do not expire): with such files present, the index and
    them are copied into a private view (:func:`_private_view`) and read there. Otherwise the index
    is read in place (``GIT_OPTIONAL_LOCKS=0`` keeps git from refreshing it)."""
    shared = [n for n in os.listdir(repo.git_dir)
              if n.startswith("sharedindex.") and _is_regular(os.path.join(repo.git_dir, n))]
    if not shared:
        yield repo, index_file
        return
    view = _private_view(repo)
    index = index_file or os.path.join(repo.git_dir, "index")
    if _is_regular(index):
        shutil.copyfile(index, os.path.join(view, "index"))
    for name in shared:
        shutil.copyfile(os.path.join(repo.git_dir, name), os.path.join(view, name))
    try:
        yield dataclasses.replace(repo, read_dir=view), os.path.join(view, "index")
    finally:
        shutil.rmtree(view, ignore_errors=True)


@dataclass(frozen=True)
class Repository:
    """An opened repository: where it lives and what kind it is. Holds no open processes."""

    path: str            # what the user named (worktree root or bare directory)
    git_dir: str         # absolute git directory
    common_dir: str      # absolute common directory (objects, refs) for linked worktrees
    is_bare: bool
    is_shallow: bool
    object_format: str = "sha1"      # sha1 or sha256 (`git rev-parse --show-object-format`)
    is_partial: bool = False         # a partial clone (promisor remote): some objects were never fetched
    trusted: str | None = None       # the path given to git as safe.directory (--trust-repo), else None
    read_dir: str | None = None      # a private view read commands use instead of git_dir (partial clones)

    @classmethod
    def open(cls, path: str | os.PathLike[str], trust: bool = False) -> "Repository":
        """Open ``path``, which must itself be a worktree root or a bare repository.

        git's ownership check stays on: a repository owned by another user is refused with
        :class:`UntrustedRepository`, unless ``trust`` (``--trust-repo``), which passes
        ``-c safe.directory=<that exact path>`` and nothing wider."""
        real = os.path.realpath(os.fspath(path))
        if not os.path.isdir(real):
            raise NotARepository(os.fspath(path))
        refuse_special_files(real, git_env())    # a FIFO in its config's includes would hang every git call
        env = git_env(ceiling=os.path.dirname(real))
        query = ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--is-bare-repository",
                 "--is-shallow-repository", "--show-object-format", "--show-cdup"]
        trusted = None
        proc = subprocess.run(["git", *_SAFE_CONFIG, "-C", real, *query], capture_output=True, env=env)
        dubious = _DUBIOUS.search(proc.stderr.decode("utf-8", "surrogateescape")) if proc.returncode else None
        if dubious:
            if not trust:
                raise UntrustedRepository(os.fspath(path), dubious.group(1), os.stat(real).st_uid)
            trusted = dubious.group(1)
            proc = subprocess.run(["git", *_SAFE_CONFIG, "-c", f"safe.directory={trusted}", "-C", real, *query],
                                  capture_output=True, env=env)
        if proc.returncode != 0:
            top = subprocess.run(["git", *_SAFE_CONFIG, "-C", real, "rev-parse", "--show-toplevel"],
                                 capture_output=True, env=git_env())
            if top.returncode == 0 and top.stdout.strip():
                where = top.stdout.decode("utf-8", "replace").strip()
                raise NotARepository(os.fspath(path), f"a subdirectory of {where}; pass that top directory")
            raise NotARepository(os.fspath(path))
        lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
        git_dir, common, bare, shallow = lines[0], lines[1], lines[2] == "true", lines[3] == "true"
        object_format = lines[4]
        cdup = lines[5] if len(lines) > 5 else ""
        if cdup:  # a subdirectory of a worktree: refuse rather than guess which repository is meant
            raise NotARepository(os.fspath(path), "a subdirectory; pass the repository's top directory")
        if not os.path.isabs(common):  # relative to where rev-parse ran
            common = os.path.join(real, common)
        repo = cls(path=real, git_dir=git_dir, common_dir=os.path.realpath(common), is_bare=bare,
                   is_shallow=shallow, object_format=object_format, trusted=trusted)
        if repo._promisor_configured():
            # git < 2.44 has no switch against lazy fetch; reading through a view that has no promisor
            # remote makes a missing object plainly missing (and reads none of the evidence's config)
            repo = dataclasses.replace(repo, is_partial=True)
            repo = dataclasses.replace(repo, read_dir=_private_view(repo))
        return repo

    def _promisor_configured(self) -> bool:
        """A partial clone: a promisor remote in the config, or promisor packs on disk."""
        proc = subprocess.run(self.argv("config", "-z", "--get-regexp",
                                        r"^(extensions\.partialclone|remote\..*\.promisor)$", own_dir=True),
                              capture_output=True, env=git_env())
        if proc.stdout.strip(b"\0"):
            return True
        packs = os.path.join(self.common_dir, "objects", "pack")
        return os.path.isdir(packs) and any(n.endswith(".promisor") for n in os.listdir(packs))

    # -- plain commands -------------------------------------------------------------------------
    def argv(self, *args: str, own_dir: bool = False) -> list[str]:
        """git with the neutralising settings; reads go through the private view of a partial clone
        unless ``own_dir`` (commands about the repository itself: its config, hooks path, refs)."""
        trust = ("-c", f"safe.directory={self.trusted}") if self.trusted else ()
        git_dir = self.git_dir if own_dir or not self.read_dir else self.read_dir
        return ["git", *_SAFE_CONFIG, *trust, "--git-dir", git_dir, *args]

    def git_path(self, name: str) -> Path:
        """``git rev-parse --git-path NAME`` in the repository itself (not a view), absolute; for ``hooks``,
        where the repository's own ``core.hooksPath`` puts them (``guard --install`` writes there)."""
        argv = self.argv("rev-parse", "--git-path", name, own_dir=True)
        del argv[argv.index("core.hooksPath=/dev/null") - 1:argv.index("core.hooksPath=/dev/null") + 1]  # the real one
        proc = subprocess.run(argv, capture_output=True, env=git_env())
        if proc.returncode != 0:
            raise GitFailed("rev-parse", proc.stderr.decode("utf-8", "replace"))
        found = Path(os.fsdecode(proc.stdout.strip()))
        return found if found.is_absolute() else Path(self.path) / found

    def run(self, *args: str, what: str | None = None, check: bool = True,
            index_file: str | None = None) -> bytes:
        """A read command; ``index_file`` reads that index (a pre-commit hook's ``GIT_INDEX_FILE``)."""
        env = git_env()
        if index_file:
            env["GIT_INDEX_FILE"] = index_file
        elif self.read_dir:  # the view has no index: commands that read one read the repository's
            env["GIT_INDEX_FILE"] = os.path.join(self.git_dir, "index")
        proc = subprocess.run(self.argv(*args), capture_output=True, env=env)
        if check and proc.returncode != 0:
            raise GitFailed(what or args[0], proc.stderr.decode("utf-8", "replace"))
        return proc.stdout

    def popen(self, *args: str, stdin: bool = False) -> subprocess.Popen[bytes]:
        """A streaming read command; stderr goes to a pipe the caller drains after stdout."""
        return subprocess.Popen(self.argv(*args), stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env())

    def resolve(self, rev: str) -> str:
        """Full SHA of the commit ``rev`` names, or :class:`UnknownRevision`."""
        proc = subprocess.run(self.argv("rev-parse", "--verify", "--quiet", "--end-of-options",
                                        f"{rev}^{{commit}}"), capture_output=True, env=git_env())
        sha = proc.stdout.decode().strip()
        if proc.returncode != 0 or len(sha) not in (40, 64):
            raise UnknownRevision(rev, self.path)
        return sha

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = subprocess.run(self.argv("merge-base", "--is-ancestor", ancestor, descendant),
                              capture_output=True, env=git_env())
        return proc.returncode == 0

    def shallow_boundary(self) -> set[str]:
        """Commits whose parents are missing because the clone is shallow."""
        shallow = Path(self.common_dir) / "shallow"
        if not shallow.is_file():
            return set()
        lines = shallow.read_bytes().decode("ascii", "replace").split()   # hand-written: any bytes
        return {line for line in lines if _OBJECT_ID.fullmatch(line)}

    def tree(self, rev_sha: str) -> list[tuple[str, str, str]]:
        """(mode, blob, path) of every file at ``rev_sha``; paths decoded with surrogateescape."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", rev_sha, what="ls-tree")
        rows = []
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, kind, sha = meta.decode().split(" ")
            if kind == "blob":
                rows.append((mode, sha, path.decode("utf-8", "surrogateescape")))
        return rows

    def loose_object_ids(self) -> list[str]:
        """Ids of the loose objects in the repository's own object directory (``objects/xx/yyyy``),
        regular files only (a FIFO planted there would block any reader)."""
        objects = os.path.join(self.common_dir, "objects")
        ids = []
        for fan in os.listdir(objects) if os.path.isdir(objects) else ():
            if len(fan) == 2 and all(c in "0123456789abcdef" for c in fan):
                folder = os.path.join(objects, fan)
                ids += [fan + rest for rest in os.listdir(folder)
                        if _OBJECT_ID.fullmatch(fan + rest) and _is_regular(os.path.join(folder, rest))]
        return sorted(ids)

    def corrupt_loose_objects(self) -> list[str]:
        """Loose objects whose bytes do not match their id, of any kind: a forged or damaged tree changes
        which file a path holds, and git never checks one it reads while walking history. One
        ``cat-file --batch`` over the loose objects only (a packed repository has few or none); each
        object is hashed as it streams, so memory stays bounded whatever its size."""
        ids = self.loose_object_ids()
        if not ids:
            return []
        proc = subprocess.Popen(self.argv("cat-file", "--batch"), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=git_env())
        assert proc.stdin is not None and proc.stdout is not None

        def feed() -> None:
            try:
                proc.stdin.write("".join(f"{i}\n" for i in ids).encode())
                proc.stdin.close()
            except (BrokenPipeError, ValueError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        mismatched = []
        try:
            for _ in ids:
                header = proc.stdout.readline().split()
                if len(header) != 3:
                    continue
                oid, kind, size = header[0].decode(), header[1], int(header[2])
                check = hashlib.new(self.object_format, b"%s %d\0" % (kind, size))
                left = size
                while left:
                    chunk = proc.stdout.read(min(left, 1 << 20))
                    if not chunk:
                        raise GitFailed("cat-file --batch", "the reader ended early")
                    check.update(chunk)
                    left -= len(chunk)
                proc.stdout.read(1)
                if check.hexdigest() != oid:
                    mismatched.append(oid)
        finally:
            writer.join()
            proc.stdout.close()
            proc.wait()
        return mismatched

    def blob_reader(self) -> "BlobReader":
        return BlobReader(self)

    def commit_reader(self) -> "CommitReader":
        return CommitReader(self)


class ObjectReader:
    """One long-lived ``git cat-file --batch``: object contents by id, as ``None`` when missing, of
    another kind than ``kind``, or corrupt. Every object read is checked against its id (the hash of
    its header and bytes): a loose object whose bytes do not match its name is not trusted, it is
    unreadable, and its id is kept in ``mismatched``."""

    kind = b"blob"

    def __init__(self, repo: Repository) -> None:
        self._format = repo.object_format
        self.mismatched: list[str] = []
        self._proc = subprocess.Popen(repo.argv("cat-file", "--batch"), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=git_env())

    def __enter__(self) -> "ObjectReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # stdout is closed before waiting: a reader left mid-batch (Ctrl-C) would otherwise block on
        # its full output pipe, and the wait with it
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            except OSError:
                pass
        if self._proc.stdout:
            self._proc.stdout.close()
        self._proc.wait()

    def _read_one(self, out: IO[bytes]) -> tuple[str, bytes | None]:
        header = out.readline()
        if not header:
            raise GitFailed("cat-file --batch", "the reader ended early")
        parts = header.split()
        if len(parts) != 3:  # "<sha> missing" or "<name> ambiguous"
            return parts[0].decode(), None
        oid, kind, size = parts[0].decode(), parts[1], int(parts[2])
        if size > MAX_VERSION_BYTES:   # drained in pieces, never held (forensics.engine.limits)
            left = size + 1
            while left > 0:
                piece = out.read(min(left, READ_PIECE))
                if not piece:
                    raise GitFailed("cat-file --batch", "the reader ended early")
                left -= len(piece)
            return oid, (TooLarge(size) if kind == b"blob" and self.kind == b"blob" else None)
        data = out.read(size)
        out.read(1)  # the newline after the contents
        if kind != self.kind:
            return oid, None
        check = hashlib.new(self._format, b"%s %d\0" % (kind, size))
        check.update(data)
        if check.hexdigest() != oid:
            self.mismatched.append(oid)
            return oid, None
        return oid, data

    def read(self, sha: str) -> bytes | None:
        for _, data in self.read_many([sha]):
            return data
        return None

    def read_many(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """Contents of each id in order; a writer thread feeds git so neither side blocks."""
        shas = list(shas)
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None

        def feed() -> None:
            try:
                for i in range(0, len(shas), 512):
                    stdin.write(("\n".join(shas[i:i + 512]) + "\n").encode())
                stdin.flush()
            except (BrokenPipeError, ValueError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for expected in shas:
                got, data = self._read_one(stdout)
                yield expected, data
        finally:
            writer.join()


class BlobReader(ObjectReader):
    """Blob contents by id (see :class:`ObjectReader`)."""


class CommitReader(ObjectReader):
    """Raw commit objects by id (see :class:`ObjectReader`): the history's metadata is read from
    these, in git's size-prefixed framing, so no commit's text can pass for another commit."""

    kind = b"commit"


RawEntry = tuple[str, str, str, str, str, str, str]
_LOG_HEADER = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?(?: [0-9a-f]{40}(?:[0-9a-f]{24})?)* ?")


def _raw_entry(tok: bytes, tokens: Iterator[bytes]) -> RawEntry:
    """One ``--raw -z`` entry whose status token is ``tok`` (after its colons); its paths are the
    next one or two tokens, taken by position: a path is never read as anything but a path."""
    colons = len(tok) - len(tok.lstrip(b":"))
    fields = tok[colons:].decode("ascii").split(" ")
    modes, shas, status = fields[: colons + 1], fields[colons + 1: 2 * colons + 2], fields[-1]
    if colons == 1 and status[:1] in ("R", "C"):
        old_path = next(tokens).decode("utf-8", "surrogateescape")
        new_path = next(tokens).decode("utf-8", "surrogateescape")
    else:
        new_path = old_path = next(tokens).decode("utf-8", "surrogateescape")
    # combined entries: compare with the first parent (CONTRACT)
    return status, modes[0], modes[-1], shas[0], shas[-1], old_path, new_path


def parse_raw_diff(raw: bytes) -> Iterator[RawEntry]:
    """Entries of ``--raw -z`` output (``git log``, ``diff``, ``diff-index``):
    (status, old_mode, new_mode, old_blob, new_blob, old_path, new_path) per raw entry."""
    tokens = iter(raw.split(b"\0"))
    for tok in tokens:
        tok = tok.lstrip(b"\n")
        if tok.startswith(b":"):
            yield _raw_entry(tok, tokens)


def nul_tokens(stream: IO[bytes], chunk: int = 1 << 20) -> Iterator[bytes]:
    """The NUL-terminated tokens of a stream, read ``chunk`` bytes at a time."""
    pending: list[bytes] = []   # a token's pieces so far: a long token costs its length, not its square
    while True:
        data = stream.read(chunk)
        if not data:
            break
        if b"\0" not in data:
            pending.append(data)
            continue
        parts = data.split(b"\0")
        parts[0] = b"".join(pending) + parts[0]
        pending = [parts.pop()]
        yield from parts
    rest = b"".join(pending)
    if rest:
        yield rest


def parse_log(tokens: Iterable[bytes]) -> Iterator[tuple[str, list[str], list[RawEntry]]]:
    """Commits of ``git log -z --raw --format='%H %P'``: (sha, parents, raw entries) each.

    The framing is git's own and positional: a commit's line holds only hexadecimal ids, each entry
    starts with ``:`` and is followed by exactly its one or two paths, so no byte a path or a commit
    message holds can start a record (commit text is never in this output: see
    :class:`CommitReader`). Anything else is an error, not a guess."""
    it = iter(tokens)
    current: tuple[str, list[str]] | None = None
    entries: list[RawEntry] = []
    for tok in it:
        tok = tok.lstrip(b"\n")
        if not tok:
            continue
        if tok.startswith(b":"):
            if current is None:
                raise GitFailed("log", "a change before any commit in git's output")
            try:
                entries.append(_raw_entry(tok, it))
            except (StopIteration, UnicodeDecodeError) as exc:
                raise GitFailed("log", f"a truncated change in git's output ({exc!r})") from None
            continue
        if not _LOG_HEADER.fullmatch(tok):
            raise GitFailed("log", f"unexpected output from git log: {tok[:80]!r}")
        if current is not None:
            yield current[0], current[1], entries
        ids = tok.decode("ascii").split()
        current, entries = (ids[0], ids[1:]), []
    if current is not None:
        yield current[0], current[1], entries
