"""Dependents: CI read the way CI reads itself, asserted against the simulator's truth (its `ci`
section, computed from the model: what each job's filters match and what its pytest collects)."""
from __future__ import annotations

import fnmatch
import random
import re

import pandas as pd
import pytest

from conftest import run_cli
from forensics import scan
from forensics.analyses.ci_commands import invocations
from forensics.analyses.ci_parse import parse_ci
from forensics.analyses.dependents import (DEPENDENT_COLUMNS, SCRIPT_NOTE, collected_files, dependents,
                                           job_verdict, jobs_summary)
from forensics.analyses.globs import PathList, compile_glob, glob_filter

REVISIONS = ["sim/before-breaker", "sim/after-breaker", "sim/after-fixer", "sim/after-bulk-script", "HEAD"]


@pytest.fixture(scope="module")
def at(incident, scanned):
    """Per revision: (dependents rows, collected files), computed once."""
    cache: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def get(rev: str):
        if rev not in cache:
            result = scanned if rev == "HEAD" else scan(incident["repo"], rev=rev, cache=False, progress=False)
            cache[rev] = (dependents(result), collected_files(result))
        return cache[rev]
    return get


def _job(truth_ci: dict, rev: str, file: str, job: str) -> dict:
    return truth_ci["at"][rev][f"{file}|{job}"]


def _rows(deps: pd.DataFrame, file: str, job: str, kind: str | None = None) -> pd.DataFrame:
    rows = deps[(deps["file"] == file) & (deps["job"] == job)]
    return rows if kind is None else rows[rows["kind"] == kind]


@pytest.mark.parametrize("rev", REVISIONS)
def test_every_job_collects_and_concludes_what_the_simulator_says(incident, at, rev):
    deps, collected = at(rev)
    truth = incident["ci"]["at"][rev]
    summary = jobs_summary(deps).set_index(["file", "job"])
    assert set(summary.index) == {tuple(k.split("|")) for k in truth}
    for key, want in truth.items():
        file, job = key.split("|")
        got = summary.loc[(file, job)]
        files = sorted(collected[(collected["file"] == file) & (collected["job"] == job)]["path"])
        assert files == want["collects"], key
        assert (got["verdict"], got["broken"], got["marked"], got["tests_lost"]) == \
            (want["verdict"], want["broken"], want["marked"], want["tests_lost"]), key
        trig = _rows(deps, file, job, "trigger")
        if "trigger_matches" in want:
            assert (trig["paths_matched"].max(), trig["damaged_matched"].max()) == \
                (want["trigger_matches"], want["trigger_damaged"]), key
        else:
            assert trig.empty, key


def test_the_story_in_verdicts_the_breaker_fails_collection_the_fixer_hides_tests(incident, at):
    verdicts = {rev: jobs_summary(at(rev)[0]).set_index("job")["verdict"] for rev in
                ("sim/before-breaker", "sim/after-breaker", "sim/after-fixer")}
    assert verdicts["sim/before-breaker"]["mission-critical"] == "runs only healthy tests"
    assert verdicts["sim/after-breaker"]["mission-critical"] == "fails at collection"
    e2e = _job(incident["ci"], "sim/after-fixer", ".github/workflows/ci.yml", "e2e")
    assert verdicts["sim/after-fixer"]["e2e"] == e2e["verdict"] == f"passes with {e2e['tests_lost']} tests silently gone"
    assert e2e["tests_lost"] > 0


def test_double_star_slash_matches_zero_directories(incident, at):
    deps, _ = at("HEAD")
    trig = _rows(deps, ".github/workflows/mission-critical.yml", "mission-critical", "trigger")
    want = _job(incident["ci"], "HEAD", ".github/workflows/mission-critical.yml", "mission-critical")
    assert trig["reference"].tolist() == ["push: paths tests/mission_critical/**/*.py"]
    assert trig["paths_matched"].tolist() == [want["trigger_matches"]]
    flat = [p for p in incident["states"]["HEAD"] if p.startswith("tests/mission_critical/")]
    assert all(p.count("/") == 2 for p in flat) and want["trigger_matches"] == len(flat) > 20
    # fnmatch (the old way) needs at least one directory for `**/`: it matched none of these
    assert not [p for p in flat if fnmatch.fnmatchcase(p, "tests/mission_critical/**/*.py")]
    paths = ["tests/a.py", "tests/x/a.py", "tests/x/y/a.py", "testsa.py", "tests/a.txt", "src/tests/a.py"]
    assert glob_filter(["tests/**/*.py"], paths) == {"tests/a.py", "tests/x/a.py", "tests/x/y/a.py"}
    assert glob_filter(["**/*.py"], paths) == {p for p in paths if p.endswith(".py")}
    assert glob_filter(["tests/*"], paths) == {"tests/a.py", "tests/a.txt"}
    assert glob_filter(["tests/**", "!**/*.txt"], paths) == {"tests/a.py", "tests/x/a.py", "tests/x/y/a.py"}
    assert glob_filter(["**.md"], ["README.md", "docs/x/y.md", "a.py"]) == {"README.md", "docs/x/y.md"}


def _naive_glob(pattern: str) -> re.Pattern[str]:
    """GitHub's `*`, `**`, `**/` as a plain backtracking regex: the slow, obviously right reference."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def test_atomic_glob_matching_agrees_with_plain_backtracking():
    rng = random.Random(16)
    pieces = ["a", "b", "/", "*", "**", "**/", "ab", "/a"]
    checked = 0
    while checked < 3000:
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 7))).replace("//", "/")
        if "***" in pattern:
            continue
        checked += 1
        paths = sorted({"".join(rng.choice("ab/") for _ in range(rng.randint(1, 8))).strip("/").replace("//", "/")
                        for _ in range(30)} - {""})
        g = compile_glob(pattern)
        if g.error:
            continue
        assert PathList(paths).matching(g) == {p for p in paths if _naive_glob(pattern).match(p)}, pattern


def test_hostile_globs_are_matched_without_backtracking_or_refused():
    """Patterns that would backtrack exponentially are refused; the rest match atomically (a hang here
    would hit the suite's timeout: speed itself is measured in benchmarks/bench_dependents.py)."""
    paths = ["a" * 200 + "/" + "a" * 200] * 200
    for pattern in ("a+a+a+a+a+a+a+a+b", "**a*b**a*b", "a?a?a?b"):
        assert compile_glob(pattern).error and glob_filter([pattern], paths) == set()
    for pattern in ("*a*a*a*a*a*a*a*a*a*b", "**a**a**a**b", "**a**a*b", "[" * 300):
        assert compile_glob(pattern).regex is not None and glob_filter([pattern], paths) == set()
    assert compile_glob("*" * 5000).error                   # longer than any real filter


def test_prose_comments_descriptions_and_echo_are_never_references(incident, at, scanned):
    deps, _ = at("HEAD")
    texts = {f: d.decode() for f, d in scanned.files_at_rev(lambda p: p in set(deps["file"])).items()}
    for r in deps[deps["kind"] != "trigger"].itertuples():
        line = texts[r.file].split("\n")[r.line - 1].strip()
        assert not line.startswith(("#", "echo", "- name:", "name:", "description:", '"ssot', "markers")), (r.file, line)
    # the startup workflow: its prose, its echo and its here-document say "tests/"; it runs 3 named files
    startup = _rows(deps, ".github/workflows/startup-validation.yml", "startup-validation")
    assert startup["kind"].tolist() == ["trigger", "runs"]
    assert startup[startup["kind"] == "runs"]["paths_matched"].tolist() == [3]
    # pyproject.toml: the marker descriptions ("ssot: Single Source of Truth pattern tests") are no rows
    assert deps[deps["file"] == "pyproject.toml"]["reference"].tolist() == \
        ["testpaths = " + " ".join(incident["ci"]["testpaths"])]
    prose_only = {".github/workflows/docs.yml": (
        b"name: docs\non:\n  workflow_dispatch:\n    inputs:\n      x:\n        description: 'Whether tests/ passed'\n"
        b"jobs:\n  docs:\n    # Integration tests are informational; see tests/unit\n    runs-on: ubuntu-latest\n"
        b"    steps:\n      - name: Summarise tests/mission_critical\n"
        b"        run: |\n          echo \"pytest tests/unit\"  # pytest tests/integration\n"
        b"          printf 'python -m pytest tests\\n'\n")}
    only = dependents(scanned, files=prose_only)
    assert only[only["file"] == ".github/workflows/docs.yml"]["kind"].tolist() == ["trigger"]


def test_the_custom_runner_is_a_script_whose_outcome_is_unknown(incident, at):
    deps, _ = at("HEAD")
    for file, job in ((".github/workflows/startup-validation.yml", "smoke"), ("Makefile", "make:smoke")):
        rows = _rows(deps, file, job)
        script = rows[rows["kind"] == "script"]
        assert len(script) == 1 and incident["ci"]["runner"] in script["reference"].iloc[0]
        assert script["verdict"].iloc[0] == "unknown" and SCRIPT_NOTE in script["note"].iloc[0]
        assert script["paths_matched"].iloc[0] == 0
        assert _job(incident["ci"], "HEAD", file, job)["verdict"] == "unknown"
    assert incident["states"]["HEAD"][incident["ci"]["runner"]] == "healthy"


def test_node_ids_collect_their_files(incident, at):
    _, collected = at("HEAD")
    files = collected[collected["job"] == "startup-validation"]
    ids = incident["ci"]["node_ids"]
    assert any(i.count("::") == 2 for i in ids) and any(i.count("::") == 1 for i in ids)
    assert sorted(files["path"]) == sorted(i.split("::")[0] for i in ids)


def test_a_node_id_whose_test_was_commented_out_stops_pytest(incident, scanned):
    """pytest exits with "not found" for an id naming a test the fixer commented out: red, not green."""
    gone = incident["ci"]["commented_ids"]
    assert gone and all(g["state"] == "marked" for g in gone)          # the files compile: only the id fails
    steps = "".join(f"  j{i}:\n    steps:\n      - run: pytest {g['id']}\n" for i, g in enumerate(gone))
    steps += "  kept:\n    steps:\n      - run: pytest " + " ".join(incident["ci"]["node_ids"]) + "\n"
    deps = dependents(scanned, files={".github/workflows/ids.yml": ("on: push\njobs:\n" + steps).encode()})
    runs = deps[deps["kind"] == "runs"].set_index("job")
    for i, g in enumerate(gone):
        assert runs.loc[f"j{i}", "verdict"] == "fails at collection"
        assert runs.loc[f"j{i}", "note"] == f"not found (pytest stops): {g['id']}"
    assert runs.loc["kept", "verdict"] == "runs only healthy tests" and runs.loc["kept", "paths_matched"] == 3


def test_pytest_without_arguments_collects_testpaths_but_not_norecursedirs(incident, at):
    deps, collected = at("HEAD")
    suite = _rows(deps, ".github/workflows/ci.yml", "suite", "runs")
    assert suite["reference"].tolist() == ["pytest -k 'not flaky' --maxfail 5"]
    assert "testpaths" in suite["note"].iloc[0] and suite["selection"].iloc[0] == "-k not flaky"
    # the job says `continue-on-error: true`: pytest stops at collection and the job stays green
    assert suite["verdict"].iloc[0] == "fails at collection (continue-on-error: the job stays green)" \
        == _job(incident["ci"], "HEAD", ".github/workflows/ci.yml", "suite")["verdict"]
    files = set(collected[collected["job"] == "suite"]["path"])
    legacy = [p for p in incident["sets"]["renamed_to"] if "/legacy/" in p]
    assert legacy and not files & set(legacy)            # norecursedirs = legacy
    assert {p.split("/")[1] for p in files} == {d.split("/")[1] for d in incident["ci"]["testpaths"]}


def test_working_directory_and_ignore(incident, at):
    _, collected = at("HEAD")
    files = set(collected[collected["job"] == "mission-critical"]["path"])
    assert incident["ci"]["ignored"] not in files
    assert files == set(_job(incident["ci"], "HEAD", ".github/workflows/mission-critical.yml",
                             "mission-critical")["collects"])


def test_a_matrix_is_one_job_per_combination_and_selections_are_reported(at):
    deps, _ = at("HEAD")
    runs = deps[(deps["file"] == ".github/workflows/ci.yml") & (deps["kind"] == "runs")].set_index("job")
    assert runs.loc["tests (unit, 3.11)", "reference"] == "python -m pytest tests/unit -q -m 'not slow'"
    assert runs.loc["tests (integration, 3.11)", "selection"] == "-m not slow"
    assert runs.loc["e2e", "reference"].startswith("make e2e -> python3 -m pytest tests/e2e")
    assert runs.loc["e2e", "note"].startswith("via Makefile:")


def test_lint_job_runs_no_tests_and_is_still_listed(incident, at):
    summary = jobs_summary(at("HEAD")[0]).set_index("job")
    assert summary.loc["compile", "verdict"] == "runs no tests"
    assert summary.loc["compile", "trigger_damaged"] == len(incident["chains"])


def test_other_ci_systems_read_against_the_truth(incident, scanned):
    """GitLab CI, tox and nox that run what the demo's matrix job runs collect what the truth says."""
    unit = _job(incident["ci"], "HEAD", ".github/workflows/ci.yml", "tests (unit, 3.11)")
    files = {
        ".gitlab-ci.yml": b"stages: [test]\n.defaults: &d\n  image: python:3.11\nunit:\n  <<: *d\n  stage: test\n"
                          b"  script:\n    - echo tests/e2e\n    - python -m pytest tests/unit\n",
        "tox.ini": b"[tox]\nenvlist = py311\n\n[testenv]\ndeps = pytest\ncommands =\n    pytest {posargs:tests/unit}\n",
        "noxfile.py": b"import nox\n\n\n@nox.session(python=['3.11'])\ndef tests(session):\n"
                      b"    session.install('pytest')\n    session.run('pytest', 'tests/unit', *session.posargs)\n",
        "pyproject.toml": scanned.files_at_rev(lambda p: p == "pyproject.toml")["pyproject.toml"],
    }
    deps = dependents(scanned, files=files)
    collected = collected_files(scanned, files=files)
    summary = jobs_summary(deps).set_index("job")
    for job in ("unit", "tox:py311", "nox:tests"):
        assert sorted(collected[collected["job"] == job]["path"]) == unit["collects"], job
        assert summary.loc[job, "verdict"] == unit["verdict"], job
    assert _rows(deps, ".gitlab-ci.yml", "unit", "trigger")["paths_matched"].tolist() == [len(incident["states"]["HEAD"])]


def test_unresolved_expressions_missing_paths_and_bad_files(scanned):
    files = {".github/workflows/x.yml": b"on: push\njobs:\n  a:\n    steps:\n"
                                        b"      - run: pytest tests/${{ inputs.suite }}\n"
                                        b"      - run: pytest tests/no_such_dir\n",
             ".github/workflows/broken.yml": b"on: [push\njobs: {",
             "pyproject.toml": b"[tool.pytest.ini_options\n"}
    deps = dependents(scanned, files=files)
    runs = deps[deps["kind"] == "runs"].set_index("reference")
    assert runs.loc["pytest 'tests/$GH_EXPR'", "verdict"] == "unknown"
    assert runs.loc["pytest tests/no_such_dir", "verdict"] == "fails at collection"
    assert "not found: tests/no_such_dir" in runs.loc["pytest tests/no_such_dir", "note"]
    assert {f for f, _ in deps.attrs["errors"]} == {".github/workflows/broken.yml", "pyproject.toml"}


def test_shell_reading():
    script = ("cd tests && python -m pytest unit::TestX::test_y --ignore=unit/legacy -k 'a or b' 2>&1 | tee log\n"
              "cat <<'EOF'\npytest never/run\nEOF\n"
              "FOO=1 timeout 60 uv run pytest -xvs -n4 integration \\\n  --maxfail 3\n"
              "python -m unittest discover -s e2e -p 'test_*.py'\n"
              "echo pytest nothing  # pytest nothing\n")
    got = [(i.kind, i.line, i.cwd, i.args, i.ignores, i.keyword) for i in invocations(script, 10)]
    assert got == [("pytest", 10, "tests", ("unit::TestX::test_y",), ("unit/legacy",), "a or b"),
                   ("pytest", 14, "tests", ("integration",), (), ""),
                   ("unittest", 16, "tests", (), (), "")]
    parsed = parse_ci({"Makefile": b"PY := python3\nall: test\ntest:\n\t@$(PY) -m pytest tests\n"})
    assert [j.name for j in parsed.jobs] == ["make:all", "make:test"]
    assert [i.args for i in parsed.make[""]["all"].invocations] == [("tests",)]


def test_dependents_cli_columns(repo, tmp_path):
    out = tmp_path / "d.csv"
    proc = run_cli("dependents", repo, "--csv", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    assert list(pd.read_csv(out).columns[:len(DEPENDENT_COLUMNS)]) == DEPENDENT_COLUMNS


def _verdict_kind(verdict: str) -> str:
    """The verdict without its count (the realistic truth counts commented-out test functions; the
    analysis counts the tests the files held at their last good version)."""
    return re.sub(r"^passes with \d+ tests?", "passes with N tests", verdict)


def test_the_realistic_incidents_ci_collects_what_its_truth_says(realistic):
    """The realistic preset's CI (written by another part of the simulator, with its own truth): every
    job collects exactly the files the truth lists and reaches its verdict (a matrix job: its
    combinations together), and its triggers match the damaged paths the truth's globs match."""
    result = scan(realistic["repo"], cache=False, progress=False)
    deps, collected = dependents(result), collected_files(result)
    base = deps["job"].str.split(" ").str[0]                     # `job (matrix values)` -> `job`
    for job in realistic["ci"]:
        rows = deps[(deps["file"] == job["file"]) & (base == job["job"])]
        files = collected[(collected["file"] == job["file"]) & (collected["job"].str.split(" ").str[0] == job["job"])]
        assert sorted(set(files["path"])) == job["collects"], job["job"]
        runs = rows[rows["kind"] != "trigger"]
        assert _verdict_kind(job_verdict(list(runs["verdict"]))) == _verdict_kind(job["verdict"]), job["job"]
        assert rows[rows["kind"] == "trigger"]["damaged_matched"].max() == job["trigger_damaged"], job["job"]
