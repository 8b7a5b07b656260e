"""Judge versions: read each distinct blob once through one ``git cat-file --batch`` and apply the
health rules on every core. The result is the ``versions`` table, keyed by blob id.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

import pandas as pd

from forensics.engine.git import BlobReader, Repository
from forensics.engine.health import INTERPRETER, HealthRules, VersionHealth, judge
from forensics.engine.markers import MarkerPattern

VERSION_COLUMNS = ["blob", *VersionHealth._fields, "interpreter"]

_CHUNK_BYTES = 8 << 20     # bound memory: at most this much source in flight per chunk
_CHUNK_BLOBS = 400

_worker_patterns = None
_worker_reader: BlobReader | None = None


_worker_compile = True
_worker_compiler = None     # an ExternalCompiler when another interpreter judges (--python)


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` ends, however it ends (``kill -9`` included): the kernel's
    parent-death signal on Linux, a watching thread elsewhere. Its ``cat-file`` reader then reads the
    end of its input and ends too."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:   # the parent ended before the signal was armed
        os._exit(1)
    if not armed:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)
        threading.Thread(target=watch, daemon=True).start()


def _init_worker(patterns: tuple[MarkerPattern, ...], check_compile: bool, repo: Repository, parent: int,
                 python: str | None = None) -> None:
    """Each worker keeps one long-lived ``cat-file --batch`` of its own, so reading is parallel too.
    The marker patterns arrive translated (see :mod:`forensics.engine.markers`). A worker dies with
    the scan, and leaves Ctrl-C to it (the scan then ends its workers at once)."""
    global _worker_patterns, _worker_reader, _worker_compile, _worker_compiler
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_patterns = patterns
    _worker_compile = check_compile
    _worker_reader = repo.blob_reader()
    if python and check_compile:
        from forensics.engine.external_python import ExternalCompiler

        _worker_compiler = ExternalCompiler(python)


def _judge_shas(shas: list[str]) -> list[tuple]:
    assert _worker_reader is not None
    return [(sha, *judge(data, _worker_patterns, _worker_compile, _worker_compiler))
            for sha, data in _worker_reader.read_many(shas)]


def _chunks(items: Iterator[tuple[str, bytes | None]]) -> Iterator[list[tuple[str, bytes | None]]]:
    chunk: list[tuple[str, bytes | None]] = []
    size = 0
    for sha, data in items:
        chunk.append((sha, data))
        size += len(data or b"")
        if size >= _CHUNK_BYTES or len(chunk) >= _CHUNK_BLOBS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class JudgePool:
    """Judges blobs while they are discovered: ``add`` them as the history streams in, ``finish``
    for the ``versions`` table (columns VERSION_COLUMNS: ``blob``, ``readable``, ``size``,
    ``markers``, ``first_marker_line``, ``compiles``, ``error_class``, ``error_message``,
    ``error_line``, ``tests``, ``state``, ``error_kind``, ``dialect_only``, the content measures ``code_lines``,
    ``statements``, ``definitions``, ``commented_code``, ``comment_prefix``, ``comment_prefix_lines``
    (:mod:`forensics.engine.content`), ``interpreter``). Each worker process reads its share
    through its own long-lived ``git cat-file --batch``; at most ``2 * jobs`` chunks are in flight,
    so memory stays bounded whatever the number of versions. With one job, everything is judged in
    ``finish``, in this process, through one reader."""

    def __init__(self, repo: Repository, rules: HealthRules, jobs: int | None = None,
                 progress: Callable[[int], None] | None = None, chunk: int = 250, start_after: int = 1000) -> None:
        self.repo, self.rules, self.progress = repo, rules, progress
        self.jobs = jobs or default_jobs()
        self.chunk = chunk
        self.start_after = start_after  # small jobs (an incremental scan) are judged here: no pool start-up
        self.seen: set[str] = set()
        self.buffer: list[str] = []
        self.rows: list[tuple] = []
        self.pending: list = []
        self.pool: ProcessPoolExecutor | None = None

    def _start(self) -> None:
        self.pool = ProcessPoolExecutor(self.jobs, initializer=_init_worker,
                                        initargs=(self.rules.compiled_markers, self.rules.check_compile, self.repo,
                                                  os.getpid(), self.rules.python))

    def add(self, blobs: Iterable[str]) -> None:
        for b in blobs:
            if b and b not in self.seen:
                self.seen.add(b)
                self.buffer.append(b)
        if self.pool is None and self.jobs > 1 and len(self.buffer) >= self.start_after:
            self._start()
        if self.pool is not None and len(self.buffer) >= self.chunk:
            self._submit()

    def _collect(self, fut) -> None:
        done = fut.result()
        self.rows.extend(done)
        if self.progress:
            self.progress(len(done))

    def _submit(self) -> None:
        assert self.pool is not None
        self.pending.append(self.pool.submit(_judge_shas, self.buffer))
        self.buffer = []
        while len(self.pending) > 2 * self.jobs:
            self._collect(self.pending.pop(0))

    def abort(self) -> None:
        """Stop at once (Ctrl-C, an error): end the workers without waiting for their work."""
        if self.pool is None:
            return
        for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
            proc.kill()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None

    def finish(self) -> pd.DataFrame:
        try:
            if self.pool is None:
                patterns, check = self.rules.compiled_markers, self.rules.check_compile
                compiler = None
                if self.rules.python and check:
                    from forensics.engine.external_python import ExternalCompiler

                    compiler = ExternalCompiler(self.rules.python)
                try:
                    with self.repo.blob_reader() as reader:
                        for chunk in _chunks(reader.read_many(self.buffer)):
                            self.rows.extend((sha, *judge(data, patterns, check, compiler)) for sha, data in chunk)
                            if self.progress:
                                self.progress(len(chunk))
                finally:
                    if compiler is not None:
                        compiler.close()
            else:
                if self.buffer:
                    self._submit()
                for fut in self.pending:
                    self._collect(fut)
        except BaseException:
            self.abort()
            raise
        if self.pool is not None:
            self.pool.shutdown()
        df = pd.DataFrame(self.rows, columns=VERSION_COLUMNS[:-1])
        df["interpreter"] = self.rules.interpreter
        return df.astype({"blob": object, "readable": bool, "size": "int64", "markers": "int64",
                          "first_marker_line": "int64", "compiles": bool, "error_class": object,
                          "error_message": object, "error_line": "int64", "tests": "int64", "state": object,
                          "error_kind": object, "dialect_only": bool, "code_lines": "int64",
                          "statements": "int64", "definitions": "int64", "commented_code": "int64",
                          "comment_prefix": object, "comment_prefix_lines": "int64", "interpreter": object})

