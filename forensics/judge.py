"""Judge versions: read each distinct blob once through one ``git cat-file --batch`` and apply the
health rules on every core. The result is the ``versions`` table, keyed by blob id.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

import pandas as pd

from forensics.git import Repository
from forensics.health import INTERPRETER, HealthRules, VersionHealth, compile_markers, judge

VERSION_COLUMNS = ["blob", *VersionHealth._fields, "interpreter"]

_CHUNK_BYTES = 8 << 20     # bound memory: at most this much source in flight per chunk
_CHUNK_BLOBS = 400

_worker_patterns = None


def _init_worker(markers: tuple[str, ...]) -> None:
    global _worker_patterns
    _worker_patterns = compile_markers(markers)


def _judge_chunk(chunk: list[tuple[str, bytes | None]]) -> list[tuple]:
    return [(sha, *judge(data, _worker_patterns)) for sha, data in chunk]


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


def judge_blobs(repo: Repository, blobs: Iterable[str], rules: HealthRules, jobs: int | None = None,
                progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Judge every blob in ``blobs`` (each once). Columns: VERSION_COLUMNS: ``blob``, ``readable``,
    ``size``, ``markers``, ``first_marker_line``, ``compiles``, ``error_class``, ``error_message``,
    ``error_line``, ``tests``, ``state``, ``interpreter``."""
    todo = sorted(set(b for b in blobs if b))
    rows: list[tuple] = []
    jobs = jobs or default_jobs()
    if todo:
        with repo.blob_reader() as reader:
            stream = _chunks(reader.read_many(todo))
            if jobs <= 1 or len(todo) < 200:
                patterns = rules.compiled_markers
                for chunk in stream:
                    rows.extend((sha, *judge(data, patterns)) for sha, data in chunk)
                    if progress:
                        progress(len(chunk))
            else:
                with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(rules.markers,)) as pool:
                    pending = []
                    for chunk in stream:
                        pending.append(pool.submit(_judge_chunk, chunk))
                        # keep a bounded number of chunks in flight
                        while len(pending) > 2 * jobs:
                            done = pending.pop(0).result()
                            rows.extend(done)
                            if progress:
                                progress(len(done))
                    for fut in pending:
                        done = fut.result()
                        rows.extend(done)
                        if progress:
                            progress(len(done))
    df = pd.DataFrame(rows, columns=VERSION_COLUMNS[:-1])
    df["interpreter"] = INTERPRETER
    return df.astype({"blob": object, "readable": bool, "size": "int64", "markers": "int64",
                      "first_marker_line": "int64", "compiles": bool, "error_class": object,
                      "error_message": object, "error_line": "int64", "tests": "int64", "state": object,
                      "interpreter": object})
