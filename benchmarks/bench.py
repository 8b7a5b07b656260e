"""``make bench``: build (once, cached under data/bench) a large simulated history, then measure the
scan against its baselines in one run, with repetitions, and write benchmarks/RESULTS.md.

Each measurement runs as its own process; wall time is measured here, and memory two ways: the
largest single process (exact, ``getrusage`` of the run's process tree) and the whole tree's total
(sampled from /proc every 20 ms; workers included).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
RUSAGE_PROBE = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")


def _tree_rss_kb(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return total


def run(cmd: list[str], env: dict | None = None) -> dict:
    """Wall seconds, largest-process max RSS (KB) and sampled tree-total peak RSS (KB) of ``cmd``."""
    t = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", RUSAGE_PROBE, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    max_single = int(err.strip().splitlines()[-1])
    return {"seconds": wall, "max_rss_kb": max_single, "tree_rss_kb": peak[0], "stdout": out}


def measure(name: str, reps: int, cmd, prepare=None) -> dict:
    results = []
    for i in range(reps):
        args = prepare(i) if prepare else None
        results.append(run(cmd(args) if callable(cmd) else cmd))
        print(f"  {name} #{i + 1}: {results[-1]['seconds']:.2f} s", file=sys.stderr, flush=True)
    secs = [r["seconds"] for r in results]
    return {"name": name, "reps": reps, "median": statistics.median(secs), "min": min(secs), "max": max(secs),
            "max_rss_mb": max(r["max_rss_kb"] for r in results) / 1024,
            "tree_rss_mb": max(r["tree_rss_kb"] for r in results) / 1024, "last_stdout": results[-1]["stdout"]}


def machine() -> dict:
    cpu = "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import pandas
    import pydriller

    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gb": round(mem, 1),
            "python": platform.python_version(), "git": git, "pandas": pandas.__version__,
            "pydriller": pydriller.__version__ if hasattr(pydriller, "__version__") else "?",
            "os": platform.platform()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(ROOT / "data" / "bench"))
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--commits", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--naive-cap", type=float, default=300, help="seconds before naive-pydriller is stopped")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    a = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from forensics.simulate.large import simulate_large

    t = time.perf_counter()
    truth = simulate_large(a.data, files=a.files, commits=a.commits)
    print(f"repository ready in {time.perf_counter() - t:.0f} s: {truth['counts']}", file=sys.stderr)
    repo = str(Path(a.data) / "repo")
    stats = json.loads(subprocess.run([PY, "-c", (
        "import json, sys; sys.path.insert(0, %r); from forensics import scan; "
        "r = scan(%r, cache=False, progress=False); "
        "print(json.dumps({'commits': len(r.commits), 'versions': len(r.versions), 'tip': len(r.subjects), "
        "'merges': int(r.commits.is_merge.sum()), 'largest_commit': int(r.commits.paths_changed.max()), "
        "'bulk_2000': int((r.commits.paths_changed >= 2000).sum())}))") % (str(ROOT), repo)],
        capture_output=True, text=True, check=True).stdout)
    forensics = [PY, "-m", "forensics"]
    tmp = Path(tempfile.mkdtemp(prefix="forensics-bench-"))
    results = {}

    def fresh_cache(i):
        d = tmp / f"cold{i}"
        shutil.rmtree(d, ignore_errors=True)
        return d

    results["cold"] = measure("cold", a.reps, lambda d: forensics + ["scan", repo, "--cache", str(d), "-q"], fresh_cache)
    warm_cache = tmp / "cold0"
    results["warm"] = measure("warm", max(a.reps, 5), forensics + ["scan", repo, "--cache", str(warm_cache), "-q"])
    results["markers-only"] = measure("markers-only", a.reps, forensics + ["scan", repo, "--no-cache", "--no-compile", "-q"])
    base_cache = tmp / "base"
    run(forensics + ["scan", repo, "--rev", "HEAD~100", "--cache", str(base_cache), "-q"])
    new_commits = int(subprocess.run(["git", "-C", repo, "rev-list", "--count", "HEAD", "^HEAD~100"],
                                     capture_output=True, text=True).stdout)

    def incremental_cache(i):
        d = tmp / f"incr{i}"
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(base_cache, d)
        return d

    results["incremental"] = measure("incremental", a.reps, lambda d: forensics + ["scan", repo, "--cache", str(d), "-q"],
                                     incremental_cache)
    base = [PY, str(ROOT / "benchmarks" / "baselines.py")]
    results["pickaxe"] = measure("pickaxe", a.reps, base + ["pickaxe", repo])
    results["floor"] = measure("floor", a.reps, base + ["floor", repo])
    results["naive-pydriller"] = measure("naive-pydriller", 1, base + ["naive-pydriller", repo, "--cap", str(a.naive_cap)])
    naive = json.loads(results["naive-pydriller"]["last_stdout"])
    shutil.rmtree(tmp, ignore_errors=True)
    write_results(Path(a.out), machine(), stats, results, naive, new_commits)
    print(Path(a.out).read_text())


def write_results(out: Path, mach: dict, stats: dict, r: dict, naive: dict, new_commits: int) -> None:
    m = {k: v["median"] for k, v in r.items()}
    naive_seconds = naive["seconds"] if naive["complete"] else naive["seconds"]
    naive_note = ("complete" if naive["complete"] else
                  f"stopped at the cap after {naive['commits_seen']:,} of {naive['commits_total']:,} commits; "
                  f"the ratio is a lower bound")
    checks = [
        ("cold ≤ 1.5 × floor", m["cold"] / m["floor"], 1.5, "≤"),
        ("markers-only ≤ 1.5 × pickaxe", m["markers-only"] / m["pickaxe"], 1.5, "≤"),
        ("warm ≤ 0.1 × cold", m["warm"] / m["cold"], 0.1, "≤"),
        ("naive-pydriller ≥ 20 × markers-only", naive_seconds / m["markers-only"], 20, "≥"),
        ("incremental ≤ 0.1 × cold", m["incremental"] / m["cold"], 0.1, "≤"),
        ("peak RSS ≤ 1 GB (largest process)", max(v["max_rss_mb"] for v in r.values()) / 1024, 1.0, "≤"),
    ]
    lines = [
        "# Benchmark results", "",
        f"Written by `make bench` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).", "",
        "## Machine", "",
        *[f"- {k}: {v}" for k, v in mach.items()], "",
        "## Repository (simulated, `forensics.simulate.large`)", "",
        f"- {stats['commits']:,} commits ({stats['merges']:,} merges), {stats['tip']:,} Python files at the tip",
        f"- {stats['versions']:,} distinct Python versions in the history",
        f"- {stats['bulk_2000']} commits of 2,000 files or more (largest: {stats['largest_commit']:,} files)",
        f"- incremental: {new_commits} new commits (`HEAD~100..HEAD`, merges included) on a cached scan of `HEAD~100`", "",
        "## Measurements (wall seconds; memory: largest single process / whole process tree, sampled)", "",
        "| run | reps | median s | min s | max s | peak RSS MB (largest process) | peak RSS MB (tree) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, v in r.items():
        lines.append(f"| {name} | {v['reps']} | {v['median']:.2f} | {v['min']:.2f} | {v['max']:.2f} | "
                     f"{v['max_rss_mb']:.0f} | {v['tree_rss_mb']:.0f} |")
    lines += ["", f"naive-pydriller: {naive_note}.", "", "## Targets", "",
              "| target | measured | met |", "|---|---|---|"]
    for label, value, limit, op in checks:
        ok = value <= limit if op == "≤" else value >= limit
        lines.append(f"| {label} | {value:.3f} | {'yes' if ok else 'NO'} |")
    lines += ["", "Runs: `cold` = `forensics scan` with an empty cache; `warm` = the same scan again; "
              "`markers-only` = `--no-compile --no-cache`; `incremental` = scan of HEAD with a cached scan of "
              "HEAD~100; `pickaxe` = `git log -G '<marker>' -- '*.py'`; `floor` = every distinct .py version read "
              "once through one `git cat-file --batch` and compiled, on all cores; `naive-pydriller` = "
              "`Repository(...).traverse_commits()` scanning each modified .py file's diff for the marker.", ""]
    out.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
