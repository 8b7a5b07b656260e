"""Dependents: the CI jobs (and tox, nox, make targets, plain ``pytest``) that are triggered by or run
the paths in scope at the revision, and what the damage does to each: a job whose pytest collects a
file that does not compile fails at collection (the whole job is red); one that collects marked files
passes with their tests silently gone; one that collects only healthy files runs only healthy tests;
one that runs a custom script is unknown.

CI files are parsed as CI reads them (:mod:`ci_parse`, :mod:`ci_commands`), pytest's collection is
re-enacted by its rules (:mod:`pytest_collect`), path filters are matched with GitHub's glob rules
(:mod:`globs`). Prose, comments, descriptions and ``echo`` are never references. Every input comes from
the scan result (``files_at_rev``): nothing here reads the disk or runs git.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forensics.analyses.blast import path_table
from forensics.analyses.ci_commands import Command, Invocation, join_path, pytest_args
from forensics.analyses.ci_parse import Job, Parsed, Trigger, is_ci_file, parse_ci
from forensics.analyses.globs import PathList, compile_glob
from forensics.analyses.node_ids import node_id_found
from forensics.analyses.pytest_collect import Collection, Tree, collect, find_config
from forensics.engine.gitdata import display_path, path_bytes
from forensics.engine.states import BROKEN_STATES, DAMAGED_STATES, MARKED_STATES

DEPENDENT_COLUMNS = ["file", "line", "reference", "paths_matched", "damaged_matched", "job", "kind",
                     "broken_matched", "marked_matched", "tests_lost", "verdict", "selection", "note"]
JOB_COLUMNS = ["file", "job", "verdict", "trigger_damaged", "collected", "broken", "marked", "tests_lost",
               "runs", "scripts"]

FAILS = "fails at collection"
FAILS_HIDDEN = "fails at collection (continue-on-error: the job stays green)"
UNKNOWN = "unknown"
HEALTHY_ONLY = "runs only healthy tests"
NO_TESTS = "runs no tests"
SCRIPT_NOTE = "runs a test runner script; what it collects is not known from CI"
CHANGE_EVENTS = ("push", "pull_request", "pull_request_target")
MAX_FOLLOW = 4                     # make -> tox -> ... nesting followed


def passes_with(n: int) -> str:
    """The verdict of a run whose collected files include marked ones (and no broken one)."""
    return f"passes with {n} test{'s' if n != 1 else ''} silently gone"


def is_dependent_file(path: str) -> bool:
    """The files :func:`dependents` reads (CI workflows, GitLab CI, tox, nox, Makefile, pytest config)."""
    return is_ci_file(path)


@dataclass
class _Health:
    """Per path at the revision: state (backups included) and tests lost since its last good version."""

    state: dict[str, str]
    lost: dict[str, int]

    def judge(self, files: list[str]) -> tuple[int, int, int, int]:
        """(damaged, broken, marked, tests lost) among ``files``."""
        damaged = broken = marked = lost = 0
        for f in files:
            s = self.state.get(f)
            if s in DAMAGED_STATES:
                damaged += 1
                lost += self.lost.get(f, 0)
            broken += s in BROKEN_STATES
            marked += s in MARKED_STATES and s not in BROKEN_STATES
        return damaged, broken, marked, lost


def real_path(display: str) -> str:
    """The path as CI sees it (a C-quoted table path decoded back, with ``surrogateescape``)."""
    return path_bytes(display).decode("utf-8", "surrogateescape") if display.startswith('"') else display


def _health(result) -> _Health:
    state = {real_path(p): s for p, s in zip(result.tree["path"], result.tree["state"])}
    pt = path_table(result)
    lost = (pt["tests_last_good"] - pt["tests"]).clip(lower=0)
    return _Health(state, {real_path(p): int(n) for p, n in zip(pt["path"], lost)})


def _run_verdict(col: Collection, broken: int, marked: int, lost: int, not_found: int = 0) -> str:
    if col.unknown:
        return UNKNOWN
    if col.missing or broken or not_found:
        return FAILS
    if marked:
        return passes_with(lost)
    return HEALTHY_ONLY


def job_verdict(verdicts: list[str]) -> str:
    """A job's verdict from its runs': any failure fails the job; a failure under ``continue-on-error``
    leaves it green over tests that never ran; else any unknown (a script) leaves it unknown; else
    tests gone add up; else healthy; no run at all: ``runs no tests``."""
    if not verdicts:
        return NO_TESTS
    if FAILS in verdicts:
        return FAILS
    if FAILS_HIDDEN in verdicts:
        return FAILS_HIDDEN
    if UNKNOWN in verdicts:
        return UNKNOWN
    gone = [v for v in verdicts if v.startswith("passes with ")]
    if gone:
        return passes_with(sum(int(v.split()[2]) for v in gone))
    return HEALTHY_ONLY


def _followed(inv: Invocation, parsed: Parsed, depth: int = 0) -> list[tuple[Invocation, str]]:
    """A ``make``/``tox``/``nox`` invocation replaced by what its targets run, with where they are
    defined (``Makefile:12``); any other invocation as it is."""
    if inv.kind not in ("make", "tox", "nox"):
        return [(inv, "")]
    if depth >= MAX_FOLLOW or inv.unresolved:
        return []
    jobs: list[Job] = []
    if inv.kind == "make":
        targets = parsed.make.get(join_path(inv.cwd, inv.directory), {})
        names = list(inv.targets) or list(targets)[:1]          # no target: the first one
        jobs = [targets[t] for t in names if t in targets]
    elif inv.kind == "tox":
        names = list(inv.targets) or list(parsed.tox_envlist) or list(parsed.tox)[:1]
        jobs = [parsed.tox[t] for t in names if t in parsed.tox]
    else:
        names = list(inv.targets) or list(parsed.nox)
        jobs = [parsed.nox[t] for t in names if t in parsed.nox]
    out = []
    for job in jobs:
        for inner in job.invocations:
            for leaf, via in _followed(inner, parsed, depth + 1):
                out.append((leaf, via or f"{job.file}:{leaf.line} ({job.name})"))
    return out


class _Builder:
    def __init__(self, result, files: dict[str, bytes | None] | None) -> None:
        all_paths: list[str] = []

        def keep(path: str) -> bool:
            all_paths.append(real_path(path))
            return files is None and is_ci_file(path)

        read = result.files_at_rev(keep)
        self.files = read if files is None else files
        self.result = result
        self._sources: dict[str, bytes | None] = {}
        self.tree = Tree(all_paths)
        self.parsed = parse_ci(self.files)
        subjects = result.subjects
        self.scope = PathList([real_path(p) for p in subjects["path"]])
        self.health = _health(result)
        self.rows: list[dict] = []
        self.collected: list[tuple[str, str, int, str]] = []     # (file, job, line, path)

    def row(self, job: Job | None, file: str, line: int, reference: str, kind: str, files: list[str] | int,
            verdict: str, selection: str = "", note: str = "", damaged=None) -> None:
        listed = files if isinstance(files, list) else []
        d, b, m, lost = self.health.judge(listed)
        self.rows.append({"file": file, "line": int(line), "reference": reference,
                          "paths_matched": len(listed) if isinstance(files, list) else int(files),
                          "damaged_matched": d if damaged is None else damaged,
                          "job": job.name if job else "", "kind": kind, "broken_matched": b, "marked_matched": m,
                          "tests_lost": lost if kind == "runs" else 0, "verdict": verdict, "selection": selection,
                          "note": note})

    # -- one job ----------------------------------------------------------------------------------
    def runs(self, job: Job) -> list[str]:
        verdicts = []
        for top in job.invocations:
            for inv, via in _followed(top, self.parsed):
                ref = top.text if inv is top else f"{top.text} -> {inv.text}"
                note = f"via {via}" if via else ""
                if inv.kind == "script":
                    self.row(job, job.file, top.line, ref, "script", 0, UNKNOWN,
                             note="; ".join(x for x in (SCRIPT_NOTE, note) if x))
                    verdicts.append(UNKNOWN)
                    continue
                col = collect(inv, self.parsed, self.tree)
                _, b, m, lost = self.health.judge(col.files)
                not_found = self.not_found(col)
                verdict = _run_verdict(col, b, m, lost, len(not_found))
                if verdict == FAILS and top.line in job.lenient:
                    verdict = FAILS_HIDDEN
                sel = "; ".join(x for x in (f"-k {inv.keyword}" if inv.keyword else "",
                                            f"-m {inv.marker}" if inv.marker else "",
                                            *(f"--deselect {d}" for d in inv.deselect)) if x)
                notes = [note, col.unknown]
                if col.missing:
                    notes.append("file or directory not found: " + ", ".join(display_path(p) for p in col.missing[:5]))
                if not_found:
                    notes.append("not found (pytest stops): " + ", ".join(not_found[:5]))
                if col.from_testpaths:
                    notes.append(f"no path argument: collects testpaths of {col.config}")
                self.row(job, job.file, top.line, ref, "runs", col.files, verdict, sel,
                         "; ".join(x for x in notes if x))
                self.collected.extend((job.file, job.name, top.line, f) for f in col.files)
                verdicts.append(verdict)
        return verdicts

    def not_found(self, col: Collection) -> list[str]:
        """The node ids of ``col`` naming a class or test their (compiling) file no longer defines."""
        want = {f for f, _ in col.node_ids if f not in self._sources}
        if want:
            read = self.result.files_at_rev(lambda p: real_path(p) in want)
            self._sources.update({real_path(p): data for p, data in read.items()})
            for f in want:
                self._sources.setdefault(f, None)
        out = []
        for f, names in col.node_ids:
            data = self._sources.get(f)
            if data is not None and self.health.state.get(f) not in BROKEN_STATES \
                    and node_id_found(data, names) is False:
                out.append("::".join([display_path(f), *names]))
        return out

    def triggers(self, job: Job, verdict: str) -> None:
        change = [t for t in job.triggers if t.event in CHANGE_EVENTS]
        if job.system == "github" and not change:
            events = ", ".join(t.event for t in job.triggers) or "no trigger"
            self.row(job, job.file, job.line, f"on: {events} (not on a change)", "trigger", 0, verdict, damaged=0)
        for t in change:
            matched = self._trigger_paths(t)
            self.row(job, job.file, t.line or job.line, _trigger_text(t), "trigger", sorted(matched), verdict)
        if job.system == "gitlab":
            self.row(job, job.file, job.line, "push (any path)", "trigger", self.scope.paths, verdict)

    def _trigger_paths(self, t: Trigger) -> set[str]:
        selected = self.scope.filter([compile_glob(p) for p in t.paths]) if t.paths is not None \
            else set(self.scope.paths)
        if t.paths_ignore:
            selected -= self.scope.filter([compile_glob(p) for p in t.paths_ignore])
        return selected

    def plain_pytest(self) -> None:
        """``pytest`` run by hand at the root: what the root configuration's ``testpaths`` collect."""
        config = find_config(self.parsed, "", self.tree)
        if config is None or not config.testpaths:
            return
        inv = pytest_args([], Command(("pytest",), config.testpaths_line, "", "pytest"))
        col = collect(inv, self.parsed, self.tree)
        _, b, m, lost = self.health.judge(col.files)
        job = Job(config.file, "pytest (no arguments)", config.testpaths_line, "pytest")
        line = config.testpaths_line or config.line
        self.row(job, config.file, line, "testpaths = " + " ".join(config.testpaths),
                 "runs", col.files, _run_verdict(col, b, m, lost), note=f"collects testpaths of {config.file}")
        self.collected.extend((config.file, job.name, line, f) for f in col.files)

    def build(self) -> pd.DataFrame:
        for job in self.parsed.jobs:
            start = len(self.rows)
            verdict = job_verdict(self.runs(job))
            if job.system in ("tox", "nox", "make") and len(self.rows) == start:
                continue                      # a target or environment that runs no tests is no dependent
            self.triggers(job, verdict)
            if job.note:
                for r in self.rows[start:]:
                    r["note"] = "; ".join(x for x in (r["note"], job.note) if x)
        self.plain_pytest()
        df = pd.DataFrame(self.rows, columns=DEPENDENT_COLUMNS)
        df = df.sort_values(["file", "job", "line", "kind"], kind="stable").reset_index(drop=True)
        df.attrs["errors"] = list(self.parsed.errors)
        return df


def _trigger_text(t: Trigger) -> str:
    parts = []
    if t.paths is not None:
        parts.append("paths " + ", ".join(t.paths))
    if t.paths_ignore is not None:
        parts.append("paths-ignore " + ", ".join(t.paths_ignore))
    return f"{t.event}: " + "; ".join(parts) if parts else f"{t.event} (any path)"


def dependents(result, files: dict[str, bytes | None] | None = None) -> pd.DataFrame:
    """One row per reference a CI or configuration file makes to the paths in scope at the revision.

    Columns (DEPENDENT_COLUMNS): ``file``, 1-based ``line``, ``reference`` (the trigger filter or the
    command as CI runs it), ``paths_matched`` (paths in scope a trigger matches; files a run collects),
    ``damaged_matched``, ``job`` (``job (matrix values)``, ``tox:ENV``, ``nox:SESSION``, ``make:TARGET``,
    ``pytest (no arguments)``), ``kind`` (``trigger``, ``runs``, ``script``), ``broken_matched`` (do not
    compile), ``marked_matched`` (marked, compile), ``tests_lost`` (of a run: tests its damaged files held
    at their last good version and no longer run), ``verdict`` (of a run; on a trigger row, its job's),
    ``selection`` (``-k``/``-m``/``--deselect``, reported, not evaluated), ``note``.
    ``files`` (path -> bytes) replaces the CI files read at the revision. ``attrs["errors"]`` lists the
    files that did not parse."""
    return _Builder(result, files).build()


COLLECTED_COLUMNS = ["file", "job", "line", "path", "state"]


def collected_files(result, files: dict[str, bytes | None] | None = None) -> pd.DataFrame:
    """What each run collects: one row per (file, job, line of the run, collected path), with the
    path's ``state`` (empty when the path is out of scope). Columns: COLLECTED_COLUMNS."""
    b = _Builder(result, files)
    b.build()
    rows = [(f, j, n, display_path(p), b.health.state.get(p, "")) for f, j, n, p in b.collected]
    return pd.DataFrame(rows, columns=COLLECTED_COLUMNS)


def jobs_summary(deps: pd.DataFrame) -> pd.DataFrame:
    """One row per (file, job): ``verdict`` (the job's: see :func:`job_verdict`), ``trigger_damaged``
    (damaged paths its triggers match, the widest), ``collected``, ``broken``, ``marked`` and
    ``tests_lost`` summed over its runs, ``runs`` and ``scripts`` (how many)."""
    if not len(deps):
        return pd.DataFrame(columns=JOB_COLUMNS)
    rows = []
    for (file, job), g in deps.groupby(["file", "job"], sort=True):
        runs = g[g["kind"] == "runs"]
        scripts = g[g["kind"] == "script"]
        trig = g[g["kind"] == "trigger"]
        verdicts = list(runs["verdict"]) + list(scripts["verdict"])
        rows.append({"file": file, "job": job, "verdict": job_verdict(verdicts),
                     "trigger_damaged": int(trig["damaged_matched"].max()) if len(trig) else 0,
                     "collected": int(runs["paths_matched"].sum()), "broken": int(runs["broken_matched"].sum()),
                     "marked": int(runs["marked_matched"].sum()), "tests_lost": int(runs["tests_lost"].sum()),
                     "runs": len(runs), "scripts": len(scripts)})
    return pd.DataFrame(rows, columns=JOB_COLUMNS)
