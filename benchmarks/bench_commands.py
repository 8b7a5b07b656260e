"""``make bench``: every command timed at a real incident's scale, with its peak memory, against the
baselines of the same run; writes a section of benchmarks/RESULTS.md.

Repositories: the realistic preset at ``--scale`` (default 10, built once under ``data/bench-realistic``;
its healthy background is as large as a real one: :mod:`forensics.simulate.realistic_background`) and
the generative-flex bundle (``../shared/real/generative-flex.bundle``, cloned bare to a temporary
directory; skipped with a line when absent). Each command is its own process (``python -m forensics``);
wall seconds and the largest process's peak RSS (``getrusage`` of the children) are recorded; a command
that runs past ``--timeout`` is stopped and shown as such. ``--before DIR`` runs the same commands with
the code in ``DIR`` too (``git archive REV | tar -x -C DIR``), so "before" and "after" share the machine
and the run. Baselines: git's pickaxe (``git log -G MARKER``) and the read-and-compile floor (every
distinct Python version in the revision's history read through one ``git cat-file --batch`` and
compiled on all cores).
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SECTION = "## Every command at incident scale"
PROBE = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
         "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
         "print(u.ru_utime + u.ru_stime, u.ru_maxrss, file=sys.stderr); sys.exit(rc)")
TARGET_SECONDS, TARGET_MB, TARGET_FLOOR = 10.0, 1024, 1.2


def run(cmd: list[str], code: Path | None, timeout: float) -> dict:
    """Wall seconds, CPU seconds (all its processes), exit status and largest-process peak RSS (MB)
    of ``cmd`` (None when stopped)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code or ROOT)
    t = time.perf_counter()
    # cwd "/": ``python -m`` puts the working directory first on sys.path, and a checkout there would
    # be imported whatever PYTHONPATH says
    proc = subprocess.Popen([PY, "-c", PROBE, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            text=True, start_new_session=True, cwd="/")
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return {"seconds": None, "rc": None, "mb": None, "cpu": None, "err": f"stopped after {timeout:.0f} s"}
    wall = time.perf_counter() - t
    lines = err.strip().splitlines()
    last = lines[-1].split() if lines else []
    cpu, mb = (float(last[0]), int(last[1]) / 1024) if len(last) == 2 else (None, None)
    return {"seconds": wall, "rc": proc.returncode, "mb": mb, "cpu": cpu, "err": "\n".join(lines[:-1])[-300:]}


def commands(repo: str, rev: list[str], culprit: str, tmp: Path, cache: Path) -> list[tuple[str, list[str]]]:
    f = [PY, "-m", "forensics"]
    opts = [repo, *rev, "--cache", str(cache), "-q"]
    csv = lambda name: ["--csv", str(tmp / f"{name}.csv")]  # noqa: E731
    out = [("scan (warm)", f + ["scan", *opts])]
    for name in ("census", "timeline", "events", "culprits", "incidents", "blast-radius", "dependents", "restore-list"):
        out.append((name, f + [name, *opts, *csv(name)]))
    out.append(("summary", f + ["summary", *opts]))
    out.append(("suspect", f + ["suspect", *opts, culprit, *csv("suspect")]))
    out.append(("signatures --wave", f + ["signatures", *opts, "--commit", culprit, "--wave", *csv("sig")]))
    out.append(("hunt --from", f + ["hunt", *opts, "--from", culprit, *csv("huntfrom")]))
    out.append(("hunt", f + ["hunt", *opts, *csv("hunt")]))
    out.append(("timesketch", f + ["timesketch", *opts, "--out", str(tmp / "ts.jsonl")]))
    out.append(("report", f + ["report", *opts, "--out", str(tmp / "report")]))
    return out


def has_command(code: Path | None, name: str) -> bool:
    env = {**os.environ, "PYTHONPATH": str(code or ROOT)}
    return subprocess.run([PY, "-m", "forensics", name, "--help"], capture_output=True, env=env, cwd="/").returncode == 0


NOT_RUN = {"seconds": None, "rc": None, "mb": None, "cpu": None}


def bench_repo(label: str, repo: str, rev: list[str], culprit: str, codes: dict[str, Path | None],
               timeout: float, cache_from: Path | None = None) -> dict:
    """{code label: {command: run}} plus the baselines, for one repository. With ``cache_from`` (a
    cache holding this repository's scan) the cold scan and the floor are not run: every code's
    commands start from a copy of it (the cache format is the same before and after)."""
    tmp = Path(tempfile.mkdtemp(prefix="forensics-bench-cmd-"))
    out: dict = {"runs": {}, "baselines": {}}
    base = [PY, str(ROOT / "benchmarks" / "baselines.py")]
    target = rev[1] if rev else "HEAD"
    out["baselines"]["pickaxe"] = run(base + ["pickaxe", repo, "--rev", target], None, timeout)
    out["baselines"]["floor"] = (dict(NOT_RUN, err=f"not run (cache from {cache_from})") if cache_from else
                                 run(base + ["floor", repo, "--rev", target], None, timeout * 3))
    for code_label, code in codes.items():
        cache = tmp / f"cache-{code_label}"
        work = tmp / code_label
        work.mkdir()
        if cache_from:
            shutil.copytree(cache_from, cache)
            runs = {"scan (cold)": dict(NOT_RUN, err="not run: a copy of an earlier scan's cache")}
        else:
            runs = {"scan (cold)": run([PY, "-m", "forensics", "scan", repo, *rev, "--cache", str(cache), "-q"], code,
                                       timeout * 3)}
        print(f"  {label} {code_label} scan (cold): {_fmt(runs['scan (cold)'])}", file=sys.stderr, flush=True)
        for name, cmd in commands(repo, rev, culprit, work, cache):
            if name == "report" and code_label != "after" and cache_from:
                runs[name] = dict(NOT_RUN, err="not run for this code (time)")
                continue
            if name == "suspect" and not has_command(code, "suspect"):
                runs[name] = {"seconds": None, "rc": None, "mb": None, "cpu": None, "err": "no such command in this code"}
                continue
            runs[name] = run(cmd, code, timeout)
            print(f"  {label} {code_label} {name}: {_fmt(runs[name])}", file=sys.stderr, flush=True)
        out["runs"][code_label] = runs
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def _fmt(r: dict) -> str:
    if r["seconds"] is None:
        return r["err"] or "n/a"
    if r["rc"] != 0:
        first = (r["err"].strip().splitlines() or ["?"])[-1][:60]
        return f"exit {r['rc']} ({first})"
    return f"{r['seconds']:.1f} s ({r['cpu']:.1f} s CPU), {r['mb']:.0f} MB"


def _cell(r: dict) -> str:
    if r["seconds"] is None:
        return r["err"] or "n/a"
    if r["rc"] != 0:
        return f"exit {r['rc']}: " + ((r["err"].strip().splitlines() or ["?"])[-1][:70]).replace("|", "\\|")
    return f"{r['seconds']:.1f} ({r['cpu']:.1f})"


def write_section(out: Path, results: dict, meta: dict) -> None:
    lines = [SECTION, "",
             f"Written by `benchmarks/bench_commands.py` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), "
             f"{os.cpu_count()} cores, 1-minute load average {meta['load'][0]:.1f} at the start and "
             f"{os.getloadavg()[0]:.1f} at the end (a shared machine: wall times move with it). Each command is "
             "a fresh process; after the cold scan every command reuses its cache. Seconds are wall time, with "
             "the CPU seconds of all its processes in brackets (the fairer number on a loaded machine); MB the "
             "largest process's peak RSS. Targets: each analysis ≤ 10 s after a cached scan, memory < 1 GB, "
             "the cold scan ≤ 1.2 × the read-and-compile floor.", ""]
    for label, res in results.items():
        codes = list(res["runs"])
        lines += [f"### {label}", "", meta["describe"][label], ""]
        head = "| command | " + " | ".join(f"{c} s | {c} MB" for c in codes) + " |"
        lines += [head, "|---|" + "---|---|" * len(codes)]
        names = list(res["runs"]["after"])
        for name in names:
            cells = []
            for c in codes:
                r = res["runs"][c].get(name, {"seconds": None, "rc": None, "mb": None, "cpu": None, "err": "n/a"})
                cells += [_cell(r), f"{r['mb']:.0f}" if r.get("mb") else ""]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        for b, r in res["baselines"].items():
            lines.append(f"| baseline: {b} | {_cell(r)} | {r['mb']:.0f} |" + " |" * (2 * len(codes) - 2)
                         if r.get("mb") else f"| baseline: {b} | {_cell(r)} | |" + " |" * (2 * len(codes) - 2))
        floor = res["baselines"]["floor"]["seconds"]
        last = res["runs"]["after"]
        analyses = {k: v for k, v in last.items() if k not in ("scan (cold)", "scan (warm)", "report")}
        slow = [k for k, v in analyses.items() if v["err"] != "no such command in this code"
                and (v["seconds"] is None or v["rc"] != 0 or v["seconds"] > TARGET_SECONDS)]
        heavy = [k for k, v in last.items() if v.get("mb") and v["mb"] >= TARGET_MB]
        lines.append("")
        for c in codes:
            cold = res["runs"][c]["scan (cold)"]["seconds"]
            cold_cpu, floor_cpu = res["runs"][c]["scan (cold)"]["cpu"], res["baselines"]["floor"]["cpu"]
            if cold and floor and cold_cpu and floor_cpu:
                lines.append(f"- {c}: cold scan / floor = {cold / floor:.2f} wall, "
                             f"{cold_cpu / floor_cpu:.2f} CPU (target ≤ {TARGET_FLOOR})")
        lines.append(f"- after: analyses over {TARGET_SECONDS:.0f} s or failing: "
                     + (", ".join(slow) if slow else "none") + "; over 1 GB: " + (", ".join(heavy) if heavy else "none"))
        lines.append("")
    text = out.read_text() if out.exists() else "# Benchmark results\n"
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        nxt = rest.find("\n## ")
        text = head + (rest[nxt + 1:] if nxt >= 0 else "")
    out.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines))


def _first_wave(repo: str, rev: list[str], cache: Path) -> str:
    """The top culprit of the repository (the first wave or bulk commit row of ``culprits``)."""
    import pandas as pd

    proc = subprocess.run([PY, "-m", "forensics", "culprits", repo, *rev, "--cache", str(cache), "-q", "--csv", "-"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    df = pd.read_csv(io.StringIO(proc.stdout), dtype=str, keep_default_na=False)
    return df[df["kind"].isin(["wave", "bulk_commit"])].iloc[0]["sha"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--data", default=str(ROOT / "data" / "bench-realistic"))
    ap.add_argument("--realistic", help="an already built realistic preset directory (repo/ and truth.json)")
    ap.add_argument("--bundle", default=str(next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared")
                                                  if (p / "real" / "generative-flex.bundle").exists()),
                                                 ROOT.parent / "shared") / "real" / "generative-flex.bundle"),
                    help="the real history's bundle (default ../shared/real/, or ../../shared/real/ from a worktree)")
    ap.add_argument("--no-realistic", action="store_true", help="only the real history")
    ap.add_argument("--bundle-rev", default="feature/mmmu-integration-and-optimizations")
    ap.add_argument("--before", help="a directory holding older code (git archive REV | tar -x -C DIR)")
    ap.add_argument("--before-label", default="before")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--cache-from", help="a cache already holding the realistic preset's scan: skip its cold scan "
                                         "and floor (a loaded machine)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    a = ap.parse_args()

    import json

    meta = {"load": os.getloadavg(), "describe": {}}
    codes: dict[str, Path | None] = {"after": None}     # the code of this checkout first: the one that matters
    if a.before:
        codes[a.before_label] = Path(a.before).resolve()
    results = {}
    data = Path(a.realistic or a.data)
    truth_file = data / "truth.json"
    if a.no_realistic:
        pass
    elif not a.realistic and (not truth_file.exists() or json.loads(truth_file.read_text()).get("scale") != a.scale):
        print(f"building the realistic preset at scale {a.scale} in {data} ...", file=sys.stderr, flush=True)
        subprocess.run([PY, "-m", "forensics", "simulate", str(data), "--preset", "realistic", "--scale", str(a.scale)],
                       check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if not a.no_realistic:
        _bench_realistic(a, data, codes, meta, results)
    _bench_real(a, codes, meta, results)


def _bench_realistic(a, data: Path, codes: dict, meta: dict, results: dict) -> None:
    import json

    truth = json.loads((data / "truth.json").read_text())
    repo = str(data / "repo")
    label = f"realistic preset, scale {truth['scale']}"
    meta["describe"][label] = (f"`forensics simulate --preset realistic --scale {truth['scale']}`: "
                               f"{truth['counts'].get('commits', len(truth['commits'])):,} commits, "
                               f"{truth['counts'].get('paths_at_head', 0):,} Python paths at HEAD; culprit: the fixer "
                               f"wave (`{truth['fixer_script']['wave'][0][:12]}`).")
    results[label] = bench_repo(label, repo, [], truth["fixer_script"]["wave"][0], codes, a.timeout,
                                Path(a.cache_from) if a.cache_from else None)
    write_section(Path(a.out), results, meta)        # written as it goes: a long run keeps what it measured


def _bench_real(a, codes: dict, meta: dict, results: dict) -> None:
    bundle = Path(a.bundle)
    if bundle.exists():
        tmp = Path(tempfile.mkdtemp(prefix="forensics-bench-real-"))
        clone = tmp / "generative-flex.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(clone)], check=True)
        rev = ["--rev", a.bundle_rev]
        culprit = _first_wave(str(clone), rev, tmp / "probe-cache")
        label = "generative-flex (real)"
        commits = subprocess.run(["git", "-C", str(clone), "rev-list", "--count", a.bundle_rev], capture_output=True,
                                 text=True).stdout.strip()
        meta["describe"][label] = (f"`{bundle.name}` cloned bare, `--rev {a.bundle_rev}` ({commits} commits); "
                                   f"culprit: its top wave (`{culprit[:12]}`).")
        results[label] = bench_repo(label, str(clone), rev, culprit, codes, a.timeout)
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"skipped the real history: {bundle} is absent", file=sys.stderr)
    write_section(Path(a.out), results, meta)
    print(Path(a.out).read_text().split(SECTION, 1)[1])


if __name__ == "__main__":
    main()
