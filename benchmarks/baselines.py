"""Baselines the scan is measured against (run as separate processes by bench.py).

- ``floor``: enumerate every distinct .py blob once (``git rev-list --objects``), read each through
  one ``git cat-file --batch`` and compile it, on all cores: the work no correct full scan can avoid.
- ``pickaxe``: ``git log -G '<marker>' -- '*.py'``: git's own search for commits whose diff adds or
  removes a marker line.
- ``naive-pydriller``: ``Repository(...).traverse_commits()`` on a throwaway view, scanning each
  modified .py file's diff for the marker: the obvious implementation. Stops at ``--cap`` seconds and
  reports how far it got.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

MARKER = r"^\s*#\s*REMOVED_SYNTAX_ERROR:"


def _compile_chunk(chunk: list[bytes]) -> int:
    ok = 0
    for data in chunk:
        try:
            compile(data, "<floor>", "exec", dont_inherit=True)
            ok += 1
        except Exception:
            pass
    return ok


def floor(repo: str, rev: str = "--all") -> dict:
    objs = subprocess.run(["git", "-C", repo, "rev-list", "--objects", rev], capture_output=True, check=True).stdout
    blobs = sorted({line.split(b" ", 1)[0].decode() for line in objs.splitlines()
                    if line.endswith(b".py") and b" " in line})
    proc = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    import threading

    def feed() -> None:
        proc.stdin.write(("\n".join(blobs) + "\n").encode())
        proc.stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    jobs = len(os.sched_getaffinity(0))
    compiled = 0
    with ProcessPoolExecutor(jobs) as pool:
        futures, chunk = [], []
        for _ in blobs:
            header = proc.stdout.readline().split()
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)
            chunk.append(data)
            if len(chunk) == 400:
                futures.append(pool.submit(_compile_chunk, chunk))
                chunk = []
        if chunk:
            futures.append(pool.submit(_compile_chunk, chunk))
        compiled = sum(f.result() for f in futures)
    proc.wait()
    return {"versions": len(blobs), "compiled": compiled}


def pickaxe(repo: str, rev: str = "HEAD") -> dict:
    out = subprocess.run(["git", "-C", repo, "log", "--format=%H", "-G", MARKER, rev, "--", "*.py"],
                         capture_output=True, check=True).stdout
    return {"commits": len(out.split())}


def naive_pydriller(repo: str, cap: float) -> dict:
    from pydriller import Repository as PydrillerRepository

    from forensics.engine.git import Repository
    from forensics.engine.pydriller_view import throwaway_view

    rx = re.compile(MARKER)
    t0 = time.perf_counter()
    seen = hits = 0
    total = int(subprocess.run(["git", "-C", repo, "rev-list", "--count", "HEAD"], capture_output=True,
                               check=True).stdout)
    with throwaway_view(Repository.open(repo)) as view:
        for commit in PydrillerRepository(view, only_modifications_with_file_types=[".py"]).traverse_commits():
            seen += 1
            for mf in commit.modified_files:
                if mf.filename.endswith(".py"):
                    for _, line in mf.diff_parsed["added"]:
                        if rx.search(line):
                            hits += 1
            if time.perf_counter() - t0 > cap:
                return {"complete": False, "commits_seen": seen, "commits_total": total, "marker_lines": hits}
    return {"complete": True, "commits_seen": seen, "commits_total": total, "marker_lines": hits}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["floor", "pickaxe", "naive-pydriller"])
    ap.add_argument("repo")
    ap.add_argument("--cap", type=float, default=900)
    ap.add_argument("--rev", help="the revision whose history is read (default: floor --all, pickaxe HEAD)")
    a = ap.parse_args()
    t = time.perf_counter()
    if a.which == "floor":
        out = floor(a.repo, a.rev or "--all")
    elif a.which == "pickaxe":
        out = pickaxe(a.repo, a.rev or "HEAD")
    else:
        out = naive_pydriller(a.repo, a.cap)
    out["seconds"] = time.perf_counter() - t
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
