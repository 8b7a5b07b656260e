"""``make bench`` (story part): the analyses a responder runs first, on a cached scan of a realistic
history of at least 10,000 commits: culprits, incidents, summary, blast radius and restore list.

Builds (once, under ``data/bench_story``) ``forensics simulate DIR --preset realistic --scale S``,
scans it once into a cache, then runs the analyses in fresh processes, each loading the cached scan
and timing every analysis on its own. Appends (or replaces) the section "Story analyses" of
benchmarks/RESULTS.md. Target: the five analyses together in 10 s or less.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SECTION = "## Story analyses (realistic incident, cached scan)"
STEPS = ("load cached scan", "culprits", "incidents", "summary", "blast radius", "restore list")
TARGET_SECONDS = 10.0


def child(repo: str, cache: str) -> None:
    """One measurement, in its own process: every step timed apart (the chains are computed once, by
    the first analysis that needs them, as in ``forensics report``)."""
    sys.path.insert(0, str(ROOT))
    from forensics import scan
    from forensics.analyses.blast import blast_radius
    from forensics.analyses.culprits import culprits
    from forensics.analyses.incidents import build_story
    from forensics.analyses.restore_list import restore_list
    from forensics.analyses.summary import summary_markdown

    times: dict[str, float] = {}
    t = time.perf_counter()
    result = scan(repo, cache=cache, progress=False)
    times["load cached scan"] = time.perf_counter() - t
    cpu = time.process_time()
    t = time.perf_counter()
    cul = culprits(result)
    times["culprits"] = time.perf_counter() - t
    t = time.perf_counter()
    story = build_story(result, cul)
    times["incidents"] = time.perf_counter() - t
    t = time.perf_counter()
    text = summary_markdown(result, story=story)
    times["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    blast_radius(result)
    times["blast radius"] = time.perf_counter() - t
    t = time.perf_counter()
    plan = restore_list(result)
    times["restore list"] = time.perf_counter() - t
    print(json.dumps({"times": times, "cpu": time.process_time() - cpu, "load": os.getloadavg()[0],
                      "from_cache": bool(result.manifest.get("from_cache")),
                      "commits": len(result.commits), "merges": int(result.commits["is_merge"].sum()),
                      "paths": len(result.subjects), "events": len(result.events), "culprit_rows": len(cul),
                      "incidents": len(story.incidents), "damaged": len(plan),
                      "summary_lines": len([ln for ln in text.splitlines() if ln.strip()])}))


BEFORE_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from forensics import scan
from forensics.analyses.blast import blast_radius
from forensics.analyses.culprits import culprits
from forensics.analyses.restore_list import restore_list
from forensics.analyses.summary import summarize
result = scan(sys.argv[2], cache=sys.argv[3], progress=False)
t, cpu = time.perf_counter(), time.process_time()
cul = culprits(result)
lines = summarize(result, cul, result.chains())
blast_radius(result)
restore_list(result)
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - cpu, "culprit_rows": len(cul),
                  "script_rows": int((cul["kind"] == "script").sum()), "summary_lines": len(lines)}))
"""


def before(rev: str, repo: Path, data: Path) -> dict:
    """The same analyses (culprits, summary, blast radius, restore list: there were no incidents) with
    the code of an older revision of this repository, on its own cached scan."""
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        cache = str(data / f"cache-{rev}")
        subprocess.run([PY, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from forensics import scan; "
                        "scan(sys.argv[2], cache=sys.argv[3], progress=False)", tmp, str(repo), cache],
                       check=True, cwd=tmp)
        out = subprocess.run([PY, "-c", BEFORE_CHILD, tmp, str(repo), cache], capture_output=True, text=True,
                             check=True, cwd=tmp).stdout
    return dict(json.loads(out.strip().splitlines()[-1]), rev=rev)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(ROOT / "data" / "bench_story"))
    ap.add_argument("--scale", type=int, default=7, help="simulator scale (7: about 12,000 commits)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    ap.add_argument("--before", metavar="REV", help="also measure the analyses with the code of REV (once)")
    ap.add_argument("--child", nargs=2, metavar=("REPO", "CACHE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    data = Path(a.data)
    repo, cache = data / "repo", data / "cache"
    t = time.perf_counter()
    subprocess.run([PY, "-m", "forensics", "simulate", str(data), "--preset", "realistic", "--scale", str(a.scale)],
                   check=True, cwd=ROOT)
    print(f"repository ready in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    t = time.perf_counter()
    subprocess.run([PY, "-m", "forensics", "scan", str(repo), "--cache", str(cache), "-q"], check=True, cwd=ROOT)
    print(f"scan cached in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    runs = []
    for i in range(a.reps):
        out = subprocess.run([PY, str(Path(__file__).resolve()), "--child", str(repo), str(cache)],
                             capture_output=True, text=True, check=True, cwd=ROOT).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
        total = sum(v for k, v in runs[-1]["times"].items() if k != "load cached scan")
        print(f"  run {i + 1}: analyses {total:.2f} s", file=sys.stderr, flush=True)
    if runs[0]["commits"] < 10_000:
        raise SystemExit(f"the history has {runs[0]['commits']} commits; use a larger --scale (>= 10,000 needed)")
    old = before(a.before, repo, data) if a.before else None
    write_section(Path(a.out), a.scale, runs, old)
    print(Path(a.out).read_text().split(SECTION, 1)[1])


def write_section(out: Path, scale: int, runs: list[dict], old: dict | None = None) -> None:
    med = {k: statistics.median(r["times"][k] for r in runs) for k in STEPS}
    totals = [sum(v for k, v in r["times"].items() if k != "load cached scan") for r in runs]
    total = statistics.median(totals)
    info = runs[-1]
    lines = [SECTION, "",
             f"Written by `benchmarks/bench_story.py` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}): "
             f"`forensics simulate --preset realistic --scale {scale}`, {info['commits']:,} commits "
             f"({info['merges']:,} merges), {info['paths']:,} Python paths at HEAD, {info['events']:,} events, "
             f"{info['damaged']:,} damaged paths; {info['culprit_rows']:,} culprit rows, {info['incidents']} incidents, "
             f"a summary of {info['summary_lines']} lines. Each run is a fresh process on the cached scan.", "",
             f"| step | median s (of {len(runs)}) |", "|---|---|"]
    lines += [f"| {k} | {med[k]:.2f} |" for k in STEPS]
    cpu = statistics.median(r["cpu"] for r in runs)
    lines += [f"| **analyses together** (culprits + incidents + summary + blast radius + restore list) | "
              f"**{total:.2f}** (min {min(totals):.2f}, max {max(totals):.2f}) |",
              f"| analyses together, CPU seconds of the process | {cpu:.2f} |", "",
              f"The machine was shared while this ran (1-minute load average {min(r['load'] for r in runs):.1f} to "
              f"{max(r['load'] for r in runs):.1f} on {os.cpu_count()} cores): wall times vary with it, CPU "
              f"seconds much less.", "",
              f"Target: analyses together ≤ {TARGET_SECONDS:.0f} s: {'met' if total <= TARGET_SECONDS else 'NOT met'}.", ""]
    if old:
        lines += [f"Before (the code of `{old['rev']}`, one run, same machine and cached scan): culprits, summary, "
                  f"blast radius and restore list took {old['wall']:.1f} s ({old['cpu']:.1f} CPU seconds), with "
                  f"{old['culprit_rows']:,} culprit rows ({old['script_rows']:,} script rows) and a summary of "
                  f"{old['summary_lines']:,} lines.", ""]
    text = out.read_text() if out.exists() else "# Benchmark results\n"
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        nxt = rest.find("\n## ")
        text = head + (rest[nxt + 1:] if nxt >= 0 else "")
    out.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
