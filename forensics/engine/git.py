"""The one place that talks to git. Every call here is read-only.

Read-only means: no command that writes config, refs, the index, the worktree or hooks, and an
environment that stops even optional writes (``GIT_OPTIONAL_LOCKS=0`` keeps ``git status``-style
index refreshes away). Blob contents come through one long-lived ``git cat-file --batch``
(:class:`BlobReader`), never one process per file.
"""
from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

from forensics.errors import GitFailed, NotARepository, UnknownRevision

from forensics.engine.gitdata import NULL_SHA, blob_id, display_path, path_bytes  # noqa: F401 (re-exported)


def git_env(ceiling: str | None = None) -> dict[str, str]:
    """Environment for every git call on evidence: no optional locks, prompts, pagers, replace refs."""
    env = dict(os.environ)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE"):
        env.pop(var, None)
    env.update({
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "LC_ALL": "C",
    })
    if ceiling:
        env["GIT_CEILING_DIRECTORIES"] = ceiling
    return env


# Config that would change what read commands print; passed with -c so nothing is written.
_SAFE_CONFIG = (
    "-c", "core.quotepath=off",
    "-c", "log.showSignature=false",
    "-c", "diff.external=",
    "-c", "color.ui=never",
    "-c", "safe.directory=*",
)


@dataclass(frozen=True)
class Repository:
    """An opened repository: where it lives and what kind it is. Holds no open processes."""

    path: str            # what the user named (worktree root or bare directory)
    git_dir: str         # absolute git directory
    common_dir: str      # absolute common directory (objects, refs) for linked worktrees
    is_bare: bool
    is_shallow: bool

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "Repository":
        """Open ``path``, which must itself be a worktree root or a bare repository."""
        real = os.path.realpath(os.fspath(path))
        if not os.path.isdir(real):
            raise NotARepository(os.fspath(path))
        env = git_env(ceiling=os.path.dirname(real))
        proc = subprocess.run(
            ["git", *_SAFE_CONFIG, "-C", real, "rev-parse", "--absolute-git-dir", "--git-common-dir",
             "--is-bare-repository", "--is-shallow-repository", "--show-cdup"],
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
        cdup = lines[4] if len(lines) > 4 else ""
        if cdup:  # a subdirectory of a worktree: refuse rather than guess which repository is meant
            raise NotARepository(os.fspath(path), "a subdirectory; pass the repository's top directory")
        if not os.path.isabs(common):  # relative to where rev-parse ran
            common = os.path.join(real, common)
        return cls(path=real, git_dir=git_dir, common_dir=os.path.realpath(common),
                   is_bare=bare, is_shallow=shallow)

    # -- plain commands -------------------------------------------------------------------------
    def argv(self, *args: str) -> list[str]:
        return ["git", *_SAFE_CONFIG, "--git-dir", self.git_dir, *args]

    def run(self, *args: str, what: str | None = None, check: bool = True,
            index_file: str | None = None) -> bytes:
        """A read command; ``index_file`` reads that index (a pre-commit hook's ``GIT_INDEX_FILE``)."""
        env = git_env()
        if index_file:
            env["GIT_INDEX_FILE"] = index_file
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
        if not shallow.exists():
            return set()
        return {line.strip() for line in shallow.read_text().splitlines() if line.strip()}

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

    def blob_reader(self) -> "BlobReader":
        return BlobReader(self)


class BlobReader:
    """One long-lived ``git cat-file --batch``: blob contents by id, missing ones as ``None``."""

    def __init__(self, repo: Repository) -> None:
        self._proc = subprocess.Popen(repo.argv("cat-file", "--batch"), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=git_env())

    def __enter__(self) -> "BlobReader":
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
        size = int(parts[2])
        data = out.read(size)
        out.read(1)  # the newline after the contents
        return parts[0].decode(), (data if parts[1] == b"blob" else None)

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


def parse_raw_diff(raw: bytes) -> Iterator[tuple[str, str, str, str, str, str, str]]:
    """Entries of ``--raw -z`` output (``git log``, ``diff``, ``diff-index``):
    (status, old_mode, new_mode, old_blob, new_blob, old_path, new_path) per raw entry."""
    tokens = raw.split(b"\0")
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i].lstrip(b"\n")
        i += 1
        if not tok.startswith(b":"):
            continue
        colons = len(tok) - len(tok.lstrip(b":"))
        fields = tok[colons:].decode().split(" ")
        nparents = colons
        modes, shas, status = fields[: nparents + 1], fields[nparents + 1: 2 * nparents + 2], fields[-1]
        if nparents == 1 and status[:1] in ("R", "C"):
            old_path = tokens[i].decode("utf-8", "surrogateescape")
            new_path = tokens[i + 1].decode("utf-8", "surrogateescape")
            i += 2
        else:
            new_path = tokens[i].decode("utf-8", "surrogateescape")
            old_path = new_path
            i += 1
        # combined entries: compare with the first parent (CONTRACT)
        yield status, modes[0], modes[-1], shas[0], shas[-1], old_path, new_path

