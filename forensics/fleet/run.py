"""Running the fleet: :func:`scan_one` (one repository, in a worker) and :func:`fleet` (all of them).

Each task scans its repository with its own cache (the cache is keyed by repository), writes that
repository's CSVs under ``DIR/<name>/`` and returns one row of :data:`FLEET_COLUMNS`. A repository that
fails (not a repository, unknown revision, missing objects, a worker that died) is a row with its
``error``; the run goes on.
"""
from __future__ import annotations

import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forensics.errors import ForensicsError
from forensics.engine.faults import fault_block

DEFAULT_TASK_TIMEOUT = 3600.0   # seconds one repository's task may run (``--task-timeout``; 0: no bound)

FLEET_COLUMNS = ["repo", "rev", "rev_sha", "commits", "paths", "damaged", "marked", "broken", "tests_lost",
                 "top_root_cause", "error", "name", "repo_settings"]
# ``repo_settings``: the repository's own [tool.forensics] settings that changed its row, in one line
# ("" when none did; see forensics.engine.settings.repo_settings_note)
# the per-repository timeline of damage the fleet notebook draws on one axis
SPAN_COLUMNS = ["repo", "name", "root_cause", "first_at", "last_at", "paths"]


class FleetError(ForensicsError):
    """The fleet could not run at all (no scheduler at that address, an output that cannot be written)."""


def _row(repo: str, rev: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in FLEET_COLUMNS}
    row.update(repo=repo, rev=rev, rev_sha="", error="", repo_settings="")
    row.update(values)
    return row


def scan_one(repo: str, rev: str, out_dir: str, scan_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Scan one repository and write its CSVs into ``out_dir``. Returns a :data:`FLEET_COLUMNS` row plus
    ``spans`` (a list of :data:`SPAN_COLUMNS` dicts: one per root cause, its first and last event time)."""
    from forensics.analyses.blast import path_table
    from forensics.analyses.census import census
    from forensics.analyses.culprits import culprits
    from forensics.analyses.restore_list import restore_list
    from forensics.analyses.root_cause import root_causes
    from forensics.analyses.timeline import timeline
    from forensics.engine.scan import scan
    from forensics.engine.settings import repo_settings_note
    from forensics.report.tables import write_csv, write_plan

    try:
        fault_block("fleet.scan_one", repo)
        # jobs=1: a Dask worker is a daemon process and may not start a process pool of its own
        result = scan(repo, rev, jobs=1, progress=False, **(scan_options or {}))
        total = census(result).iloc[0]
        chains = result.chains()
        rc = root_causes(result, chains)
        pt = path_table(result)
        lost = int((pt["tests_last_good"] - pt["tests"]).where(pt["damaged"], 0).clip(lower=0).sum())
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(census(result), str(out / "census.csv"))
        write_csv(timeline(result).drop(columns=["order"]), str(out / "timeline.csv"))
        write_csv(result.events.drop(columns=["order"]), str(out / "events.csv"))
        write_csv(culprits(result), str(out / "culprits.csv"))
        write_csv(rc, str(out / "root_causes.csv"))
        write_plan(restore_list(result), str(out / "restore_list.csv"))
        spans = []
        ev = result.events
        for r in rc.itertuples(index=False):
            mine = chains[chains["root_cause"] == r.root_cause]["path"]
            times = ev[ev["path"].isin(set(mine))]["committed_at"]
            first = r.committed_at
            spans.append({"repo": repo, "name": os.path.basename(os.path.normpath(repo)), "root_cause": r.root_cause,
                          "first_at": first, "last_at": max(times.max(), first) if len(times) else first,
                          "paths": int(r.paths)})
        return _row(repo, rev, rev_sha=result.rev_sha, commits=len(result.commits), paths=int(total["total"]),
                    damaged=int(total["damaged"]), marked=int(total["marked"]), broken=int(total["broken"]),
                    tests_lost=lost, top_root_cause=str(rc.iloc[0]["root_cause"]) if len(rc) else "", spans=spans,
                    repo_settings=repo_settings_note(result.manifest.get("repo_settings")))
    except ForensicsError as exc:
        return _row(repo, rev, error=str(exc), spans=[])
    except Exception as exc:  # noqa: BLE001 - one repository's failure is its row, never the end of the run
        return _row(repo, rev, error=f"internal error: {type(exc).__name__}: {exc}", spans=[])


def _names(repos: list[str]) -> list[str]:
    """A folder name per repository: its base name, or its last two path components where base names
    repeat (``d7_repo``, ``d8_repo``), made unique (``a``, ``a-2``) and safe."""
    def clean(text: str) -> str:
        text = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "repo"
        return text

    parts = [Path(os.path.abspath(r)).parts for r in repos]
    bases = [clean(p[-1] if p else "repo") for p in parts]
    repeated = {b for b in bases if bases.count(b) > 1}
    seen: dict[str, int] = {}
    out = []
    for p, base in zip(parts, bases):
        name = clean("_".join(p[-2:])) if base in repeated and len(p) >= 2 else base
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def _results(client: Any, futures: dict[Any, int], task_timeout: float | None):
    """Yield ``(index, future, row)`` as tasks finish: ``row`` is the task's result, or None when it
    failed or ran over ``task_timeout`` seconds (then it is cancelled and its worker restarted)."""
    import time

    from dask.distributed import wait

    pending = set(futures)
    started: dict[str, float] = {}
    while pending:
        try:
            done, pending = wait(pending, timeout=1.0 if task_timeout else None, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        for fut in done:
            try:
                yield futures[fut], fut, fut.result()
            except Exception:  # noqa: BLE001 - a worker that died: that repository's row says so
                yield futures[fut], fut, None
        if not task_timeout:
            continue
        now = time.monotonic()
        where: dict[str, str] = {}
        for worker, keys in client.processing().items():
            for key in keys:
                started.setdefault(key, now)
                where[key] = worker
        for fut in [f for f in pending if f.key in started and now - started[f.key] > task_timeout]:
            pending.discard(fut)
            fut.cancel()
            if fut.key in where:
                try:   # the stuck task holds its worker's only thread
                    client.restart_workers([where[fut.key]])
                except Exception:  # noqa: BLE001 - a worker without a nanny cannot be restarted; the row stands
                    pass
            yield futures[fut], fut, None


@dataclass
class FleetResult:
    """``census``: one :data:`FLEET_COLUMNS` row per repository (in the order given); ``spans``: one row
    per (repository, root cause) with its first and last event time (:data:`SPAN_COLUMNS`); ``out``: the
    output directory; ``files``: what was written."""

    census: pd.DataFrame
    spans: pd.DataFrame
    out: Path
    files: dict[str, str] = field(default_factory=dict)

    def display(self):
        """The census for reading (folder name, counts, a 12-character root cause, the error) as the
        report's escaped table: a directory named like markup, or an error quoting one, stays text."""
        from forensics.report.display import Table

        t = self.census[["name", "commits", "paths", "damaged", "marked", "broken", "tests_lost", "top_root_cause",
                         "error"]].copy()
        t["top_root_cause"] = t["top_root_cause"].fillna("").str[:12]
        t["error"] = t["error"].fillna("")
        return Table(t.astype(object).where(t.notna(), ""), caption="Damage per repository")


def fleet(repos: list[str], out_dir: str, rev: str = "HEAD", scheduler: str | None = None, workers: int | None = None,
          scan_options: dict[str, Any] | None = None, progress: bool = True,
          task_timeout: float | None = DEFAULT_TASK_TIMEOUT) -> FleetResult:
    """Scan ``repos`` on Dask, one task each, and write ``out_dir/fleet_census.csv`` and
    ``out_dir/<name>/`` per repository. ``scheduler``: a running scheduler's address; default a
    ``LocalCluster`` of ``workers`` processes (default: cores, at most the number of repositories).

    ``task_timeout``: seconds a repository's task may run, counted from when a worker takes it (the
    local cluster hands each worker one task at a time); beyond it the repository's row is an error
    ("timed out"), its worker is restarted, and the fleet goes on. None or 0: no bound."""
    import dask
    from dask.distributed import Client, LocalCluster

    from forensics.report.tables import write_csv

    if not repos:
        raise FleetError("no repositories given")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FleetError(f"--out {out_dir} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FleetError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    names = _names(repos)
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise FleetError(f"no Dask scheduler answers at {scheduler} ({exc}); start one with "
                                 "`dask scheduler` and workers with `dask worker ADDRESS`") from None
        else:
            n = workers or max(1, min(os.cpu_count() or 1, len(repos)))
            # one task per worker at a time, so a task the scheduler says is processing is running
            with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
            client = Client(cluster)
        with client:
            futures = {client.submit(scan_one, os.path.abspath(repo), rev, str((out / name).resolve()), scan_options,
                                     key=f"forensics-scan-{i}-{name}", pure=False): i
                       for i, (repo, name) in enumerate(zip(repos, names))}
            rows: list[dict[str, Any] | None] = [None] * len(repos)
            from tqdm import tqdm

            bar = tqdm(total=len(repos), unit="repo", desc="fleet", disable=not (progress and sys.stderr.isatty()))
            for i, fut, row in _results(client, futures, task_timeout):
                rows[i] = row if row is not None else _row(
                    repos[i], rev, error=f"worker failed: {type(fut.exception()).__name__}: {fut.exception()}", spans=[])
                if row is None and fut.cancelled():
                    rows[i] = _row(repos[i], rev, error=f"timed out after {task_timeout:g} s (--task-timeout)", spans=[])
                for span in rows[i].get("spans", []):
                    span["name"] = names[i]
                bar.update(1)
            bar.close()
    finally:
        if cluster is not None:
            cluster.close()
    spans = [s for r in rows if r for s in r.pop("spans", [])]
    table = pd.DataFrame([{**r, "repo": repos[i], "name": names[i]} for i, r in enumerate(rows) if r is not None],
                         columns=FLEET_COLUMNS)
    for col in ("commits", "paths", "damaged", "marked", "broken", "tests_lost"):
        table[col] = table[col].astype("Int64")  # empty, not NaN, for a repository that failed
    census_csv = out / "fleet_census.csv"
    write_csv(table, str(census_csv))
    span_table = pd.DataFrame(spans, columns=SPAN_COLUMNS)
    write_csv(span_table, str(out / "fleet_spans.csv"))
    return FleetResult(census=table, spans=span_table, out=out,
                       files={"fleet_census": str(census_csv), "fleet_spans": str(out / "fleet_spans.csv")})
