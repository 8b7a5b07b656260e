"""What the code content measure (issue 21) adds to a cold scan, side by side in one run.

For each repository, cold scans (no cache) alternate between the scan as it is and the same scan with
the content measure replaced by its constant "not measured" row (``forensics.engine.content.NO_CONTENT``),
``--rounds`` times each; the median wall time of each and the difference are written to
``benchmarks/CONTENT.md``. Wall time on a shared machine is noisy, so the CPU time of judging is
measured too, in this process: every distinct ``.py`` blob of the history (at most ``--blobs``, evenly
spread) judged with and without the measure (``time.process_time``, best of three). The judging workers are forked from this process, so they see the same
replacement. Nothing here asserts a time: it measures.

    .venv/bin/python benchmarks/bench_content.py REPO[@REV] ... [--rounds 3] [--jobs N]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import time
from pathlib import Path

from forensics.engine import content, health
from forensics.engine.scan import scan


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (the judging workers, git)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _cold(repo: str, rev: str, jobs: int | None) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds, manifest) of one cold scan."""
    started, cpu = time.perf_counter(), _cpu()
    result = scan(repo, rev, cache=False, progress=False, jobs=jobs)
    return time.perf_counter() - started, _cpu() - cpu, result.manifest


def _without_content(data: bytes, code) -> tuple:
    return content.NO_CONTENT


def _judge_cpu(repo: str, rev: str, limit: int) -> tuple[int, float, float]:
    """(blobs, CPU seconds judging them without the content measure, with it)."""
    from forensics.engine.git import Repository
    from forensics.engine.health import HealthRules

    r = Repository.open(repo)
    listing = subprocess.run(["git", "-C", r.path, "rev-list", "--objects", rev], capture_output=True,
                             check=True).stdout.decode("utf-8", "replace").splitlines()
    shas = sorted({line.split(" ", 1)[0] for line in listing if line.endswith(".py")})
    step = max(1, len(shas) // limit)
    with r.blob_reader() as reader:
        blobs = [d for _, d in reader.read_many(shas[::step]) if d is not None]
    rules = HealthRules()

    def run() -> float:
        started = time.process_time()
        for data in blobs:
            rules.judge(data)
        return time.process_time() - started

    measured = health.measure_content
    health.measure_content = _without_content
    try:
        without = min(run() for _ in range(3))
    finally:
        health.measure_content = measured
    return len(blobs), without, min(run() for _ in range(3))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repos", nargs="+", help="REPO or REPO@REV")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--blobs", type=int, default=8000, help="blobs judged for the CPU measure (evenly spread)")
    ap.add_argument("--out", default=str(Path(__file__).with_name("CONTENT.md")))
    args = ap.parse_args()
    measured = health.measure_content
    rows = []
    for spec in args.repos:
        repo, _, rev = spec.partition("@")
        rev = rev or "HEAD"
        with_times, without_times, with_cpu, without_cpu, manifest = [], [], [], [], {}
        for _ in range(args.rounds):
            health.measure_content = _without_content
            try:
                wall, cpu, _ = _cold(repo, rev, args.jobs)
            finally:
                health.measure_content = measured
            without_times.append(wall)
            without_cpu.append(cpu)
            wall, cpu, manifest = _cold(repo, rev, args.jobs)
            with_times.append(wall)
            with_cpu.append(cpu)
        a, b = statistics.median(without_times), statistics.median(with_times)
        sa, sb = statistics.median(without_cpu), statistics.median(with_cpu)
        n, cpu_a, cpu_b = _judge_cpu(repo, rev, args.blobs)
        rows.append((spec, manifest.get("commits", 0), manifest.get("versions", 0), a, b, sa, sb, n, cpu_a, cpu_b))
        print(f"{spec}: cold scan without {a:.2f} s, with {b:.2f} s ({100 * (b - a) / a:+.1f}%), CPU {sa:.2f} s "
              f"and {sb:.2f} s ({100 * (sb - sa) / sa:+.1f}%); judging {n} blobs "
              f"{cpu_a:.2f} s CPU without, {cpu_b:.2f} s with ({100 * (cpu_b - cpu_a) / cpu_a:+.1f}%)", flush=True)
    lines = ["# Code content measure: cost on a cold scan", "",
             f"Median of {args.rounds} cold scans each, alternating, same process (`benchmarks/bench_content.py`).", "",
             "| repository | commits | versions | cold scan wall without (s) | with (s) | added | "
             "cold scan CPU without (s) | with (s) | added | blobs judged | judging CPU without (s) | with (s) | added |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {spec} | {c} | {v} | {a:.2f} | {b:.2f} | {100 * (b - a) / a:+.1f}% | {sa:.2f} | {sb:.2f} | "
              f"{100 * (sb - sa) / sa:+.1f}% | {n} | {ca:.2f} | {cb:.2f} | {100 * (cb - ca) / ca:+.1f}% |"
              for spec, c, v, a, b, sa, sb, n, ca, cb in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
