"""An automation account that damaged one repository has usually pushed to many: the fleet scans three
simulated incidents on Dask, one task each, and one path that is not a repository is a row with its error."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import pandas as pd

from conftest import git, load_truth, run_cli
from forensics.simulate import simulate

SEEDS = (7, 8, 9)
DASK = Path(sys.executable).parent / "dask"


@pytest.fixture(scope="module")
def incidents(tmp_path_factory) -> list[dict]:
    root = tmp_path_factory.mktemp("fleet")
    return [simulate(root / f"seed{seed}", seed=seed, scale=1) for seed in SEEDS]


def _expected(truth: dict) -> dict:
    """One fleet row, computed from the simulator's own truth (never from forensics' rules)."""
    head = truth["states"]["HEAD"]
    chains = truth["chains"]
    ranked = Counter(c["root_cause"] for c in chains.values())
    lost = sum(max(c["last_good"]["tests"] - c["tests"], 0) for c in chains.values() if c["last_good"])
    return {"rev_sha": truth["head"], "commits": truth["counts"]["commits"], "paths": len(head),
            "damaged": truth["counts"]["damaged_at_head"],
            "marked": sum(s in ("marked", "marked+broken") for s in head.values()),
            "broken": sum(s in ("broken", "marked+broken") for s in head.values()),
            "tests_lost": lost, "top_root_cause_paths": ranked.most_common(1)[0][1],
            "root_cause_paths": ranked}


def _rows(out: Path) -> list[dict]:
    with open(out / "fleet_census.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _check(rows: list[dict], incidents: list[dict], missing: str, out: Path) -> None:
    assert [r["repo"] for r in rows] == [t["repo"] for t in incidents] + [missing]
    for row, truth in zip(rows, incidents):
        want = _expected(truth)
        assert row["error"] == ""
        assert row["rev"] == "HEAD" and row["rev_sha"] == want["rev_sha"]
        for col in ("commits", "paths", "damaged", "marked", "broken", "tests_lost"):
            assert int(row[col]) == want[col], (truth["seed"], col)
        # the top root cause is one that explains the most damaged paths in the truth
        assert want["root_cause_paths"][row["top_root_cause"]] == want["top_root_cause_paths"]
    bad = rows[-1]
    assert "not a git repository" in bad["error"]
    assert all(bad[c] == "" for c in ("rev_sha", "commits", "damaged", "top_root_cause"))
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(folders) == len(incidents)  # one per scanned repository, none for the failure
    for folder in folders:
        assert {"census.csv", "events.csv", "culprits.csv", "restore_list.csv"} <= {p.name for p in (out / folder).iterdir()}


def test_the_fleet_scans_three_incidents_on_the_default_local_cluster(incidents, tmp_path):
    out = tmp_path / "fleet"
    missing = str(tmp_path / "not-a-repository")
    os.mkdir(missing)
    proc = run_cli("fleet", *[t["repo"] for t in incidents], missing, "--out", str(out), "--no-cache",
                   "--workers", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    _check(_rows(out), incidents, missing, out)
    # each repository's own census agrees with its fleet row
    for truth, folder in zip(incidents, sorted(p for p in out.iterdir() if p.is_dir())):
        with open(folder / "census.csv", newline="") as fh:
            total = next(r for r in csv.DictReader(fh) if r["directory"] == "*")
        assert int(total["damaged"]) == truth["counts"]["damaged_at_head"]


def _wait_for(path: Path, proc: subprocess.Popen, deadline: float) -> None:
    while not path.exists() or not path.read_text().strip():
        if proc.poll() is not None:
            raise AssertionError(f"dask scheduler exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError("the dask scheduler did not write its scheduler file in time")
        time.sleep(0.1)  # polling a file the scheduler writes, with a deadline


def test_the_fleet_runs_on_a_scheduler_and_workers_started_on_localhost(incidents, tmp_path):
    import json

    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "True"}
    procs = []
    try:
        scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                      "--no-dashboard", "--scheduler-file", str(sched_file)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        procs.append(scheduler)
        _wait_for(sched_file, scheduler, time.monotonic() + 60)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard",
                                           "--host", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        out = tmp_path / "fleet"
        missing = str(tmp_path / "nowhere")
        proc = run_cli("fleet", *[t["repo"] for t in incidents], missing, "--scheduler", address,
                       "--out", str(out), "--no-cache", "-q")
        assert proc.returncode == 0, proc.stderr
        _check(_rows(out), incidents, missing, out)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_no_scheduler_at_the_address_is_one_line_and_exit_2(incidents, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_cli("fleet", incidents[0]["repo"], "--scheduler", f"tcp://127.0.0.1:{port}",
                   "--out", str(tmp_path / "o"), "--no-cache", "-q")
    assert proc.returncode == 2
    assert "no Dask scheduler answers" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_one_repository_that_hangs_is_a_timed_out_row_and_the_fleet_finishes(tmp_path):
    """A task stuck on one repository (here: blocked opening a FIFO, through the test hook) is an error
    row after ``--task-timeout``; the other repository's row is complete."""
    repos = []
    for name in ("fine", "stuck"):
        repo = tmp_path / name
        git("init", "-q", str(repo))
        (repo / "a.py").write_text("x = 1\n")
        git("-C", str(repo), "add", "-A")
        git("-C", str(repo), "-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "one")
        repos.append(str(repo))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    env = {"FORENSICS_FAULT_BLOCK": f"fleet.scan_one:stuck:{fifo}"}
    try:
        proc = subprocess.run([sys.executable, "-m", "forensics", "fleet", *repos, "--out", str(out), "--no-cache",
                               "--workers", "2", "--task-timeout", "10", "-q"], capture_output=True, text=True,
                              timeout=300, env={**os.environ, **env})
    finally:   # release a worker still blocked on the FIFO
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert proc.returncode == 0, proc.stderr   # 2 only when every repository failed
    rows = pd.read_csv(out / "fleet_census.csv", dtype=str, keep_default_na=False).set_index("name")
    assert "timed out after 10 s" in rows.loc["stuck", "error"]
    assert rows.loc["fine", "error"] == "" and rows.loc["fine", "paths"] == "1"
