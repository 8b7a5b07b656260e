"""``make bench`` (report part): ``forensics report`` on a large simulated history after a cached scan,
and the size of the page it writes; results in benchmarks/REPORT_RESULTS.md.

The history is the realistic preset of ``forensics simulate`` at ``--scale 10`` (about 17,500 commits)
when it exists, else ``forensics.simulate.large`` at ``--commits`` commits. Targets: the report in 60 s or less after a
cached scan, the page 10 MB or less.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def build(data: Path, commits: int, scale: int) -> tuple[str, str]:
    """(repository path, description) of the history to report on."""
    help_text = subprocess.run([PY, "-m", "forensics", "simulate", "--help"], capture_output=True, text=True,
                               cwd=ROOT).stdout
    if "--preset" in help_text:
        out = data / f"realistic-scale{scale}"
        if not (out / "repo").exists():
            subprocess.run([PY, "-m", "forensics", "simulate", str(out), "--preset", "realistic", "--scale", str(scale),
                            "--force"], check=True, cwd=ROOT)
        return str(out / "repo"), f"`forensics simulate --preset realistic --scale {scale}`"
    sys.path.insert(0, str(ROOT))
    from forensics.simulate.large import simulate_large

    truth = simulate_large(data / f"large{commits}", files=commits, commits=commits)
    return truth["repo"], f"`forensics.simulate.large` ({commits:,} files, {commits:,} commits)"


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of ``cmd``; fails loudly."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(ROOT / "data" / "bench"))
    ap.add_argument("--commits", type=int, default=12_000, help="commits of the large history (no realistic preset)")
    ap.add_argument("--scale", type=int, default=10, help="scale of the realistic preset (10: about 17,500 commits)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "REPORT_RESULTS.md"))
    a = ap.parse_args()

    repo, described = build(Path(a.data), a.commits, a.scale)
    tmp = Path(tempfile.mkdtemp(prefix="forensics-report-bench-"))
    cache = tmp / "cache"
    scan_wall, _ = timed([PY, "-m", "forensics", "scan", repo, "--cache", str(cache), "-q"])
    runs = []
    for i in range(a.reps):
        out = tmp / f"report{i}"
        runs.append(timed([PY, "-m", "forensics", "report", repo, "--cache", str(cache), "--out", str(out), "-q"]))
    page = (tmp / "report0" / "incident_report.html").read_text()
    meta = json.loads((tmp / "report0" / "report.json").read_text())
    commits = int(subprocess.run(["git", "-C", repo, "rev-list", "--count", "HEAD"], capture_output=True,
                                 text=True).stdout)
    restore_rows = sum(1 for _ in open(tmp / "report0" / "restore_candidates.csv")) - 1
    walls = [w for w, _ in runs]
    size_mb = len(page.encode()) / 1e6
    lines = [
        "# Report benchmark", "",
        f"Written by `make bench` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), "
        f"`benchmarks/report_bench.py`.", "",
        f"- history: {described}: {commits:,} commits, {meta['paths_in_scope']:,} paths in scope, "
        f"{meta['damaged_now']:,} damaged at HEAD ({restore_rows:,} rows in the page's restore list)",
        f"- cold scan first (not counted): {scan_wall:.1f} s", "",
        "| run | reps | median s | min s | max s | CPU s (median) |", "|---|---|---|---|---|---|",
        f"| `forensics report` after a cached scan | {a.reps} | {statistics.median(walls):.1f} | {min(walls):.1f} | "
        f"{max(walls):.1f} | {statistics.median(c for _, c in runs):.1f} |", "",
        "| page | value |", "|---|---|",
        f"| size | {size_mb:.2f} MB |",
        f"| figures | {page.count('Plotly.newPlot(')} |",
        f"| plotly.js embedded | {page.count('plotly.js v')} time(s) |",
        f"| script elements loading a URL | {len(re.findall(r'<script[^>]*src=', page))} |", "",
        "## Targets", "", "| target | measured | met |", "|---|---|---|",
        f"| report ≤ 60 s after a cached scan (median) | {statistics.median(walls):.1f} s | "
        f"{'yes' if statistics.median(walls) <= 60 else 'NO'} |",
        f"| page ≤ 10 MB | {size_mb:.2f} MB | {'yes' if size_mb <= 10 else 'NO'} |", "",
        "The machine is shared: wall time includes waiting for the CPU; CPU s is the report's own work "
        "(every process of the run: the CLI, the kernel, nbconvert).", ""]
    Path(a.out).write_text("\n".join(lines))
    shutil.rmtree(tmp, ignore_errors=True)
    print(Path(a.out).read_text())


if __name__ == "__main__":
    main()
