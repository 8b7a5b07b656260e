"""Small hostile inputs cannot hang the tool or exhaust the machine (README "Hostile repositories",
class 5; class 8's nested TOML): every parser and matcher that reads the evidence is bounded, and a
bound that is hit is a reported count or one line and exit 2, never a hang.

The subprocess timeouts below are not timings: each case took minutes to forever before the fix."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, tree_digest

HANG = 120     # seconds: far beyond any of these runs, far below the cases' old cost


def forensics(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forensics", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=HANG, env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"})


def one_line_exit_2(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def commit(clone: Path, message: str) -> None:
    git("-C", str(clone), "add", "-A")
    git("-C", str(clone), "-c", "user.name=Eve", "-c", "user.email=eve@example.invalid", "commit", "-q", "-m", message)


LONG_NAME = "a" * 200 + ".py"
BIG_LINES = 1_600_000     # "x = 1\n" times this: 9.6 MB, over the 8 MiB per-version limit, 10 KB packed
MATRIX_AXIS = "[" + ", ".join(str(i) for i in range(10)) + "]"


def _workflow_bomb() -> str:
    """788 bytes' worth of aliases: 40 jobs, each a 1,000-combination matrix of 60 steps."""
    steps = "\n".join("      - *s" for _ in range(60))
    jobs = "\n".join(f"  j{i}: *job" for i in range(1, 40))
    return (f"on: push\nx:\n  a: &ax {MATRIX_AXIS}\n  step: &s {{run: 'pytest tests/unit'}}\n"
            f"jobs:\n  j0: &job\n    runs-on: ubuntu-latest\n    strategy:\n      matrix: {{a: *ax, b: *ax, c: *ax}}\n"
            f"    steps:\n{steps}\n{jobs}\n")


def _makefile_bomb() -> str:
    """358 bytes: each variable is ten of the one before; five levels name 10^5 copies of A."""
    lines = ["A = tests/unit/test_x.py"]
    for prev, name in zip("ABCDE", "BCDEF"):
        lines.append(f"{name} = " + f"$({prev}) " * 10)
    return "\n".join(lines) + "\n\nunit:\n\tpytest $(F)\n"


@pytest.fixture(scope="module")
def hostile(incident, tmp_path_factory) -> tuple[Path, dict]:
    """The demo incident, then the attacker's commit: a Python 2 file with a long line of blanks, an
    f-string of ``{"`` repeated, a long name of ``a``, a 9.6 MB healthy module, a workflow of aliases
    times matrices and a Makefile whose variables double at every level."""
    clone = tmp_path_factory.mktemp("bounds") / "clone"
    git("clone", "-q", incident["repo"], str(clone))
    (clone / "legacy_blanks.py").write_text('print "x"\nexcept' + " " * 30_000 + "x\n")
    (clone / "fstring_quotes.py").write_text('x = f"' + '{"' * 5_000 + '\n')
    (clone / LONG_NAME).write_text("x = 1\n")
    (clone / "generated_table.py").write_text("x = 1\n" * BIG_LINES)
    (clone / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (clone / ".github" / "workflows" / "bomb.yml").write_text(_workflow_bomb())
    (clone / "Makefile").write_text(_makefile_bomb())
    (clone / "tests" / "unit").mkdir(parents=True, exist_ok=True)
    (clone / "tests" / "unit" / "test_hostile_ids.py").write_text("def test_x():\n    pass\n")
    (clone / ".github" / "workflows" / "exprs.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - run: pytest -k '${{{{{' ' * 20_000}'\n"                             # an expression never closed
        f"      - run: pytest tests/unit/test_hostile_ids.py::test_x{'[a' * 20_000}\n")  # a node id of brackets
    message = clone / "MESSAGE"
    message.write_text("Add helpers " + "a" * 200_000 + "\n")               # a script name is looked for in it
    git("-C", str(clone), "add", "-A")
    git("-C", str(clone), "reset", "-q", "MESSAGE")
    git("-C", str(clone), "-c", "user.name=Eve", "-c", "user.email=eve@example.invalid", "commit", "-q", "-F", str(message))
    message.unlink()
    return clone, incident


@pytest.fixture(scope="module")
def census_json(hostile, tmp_path_factory) -> dict:
    clone, _ = hostile
    proc = forensics("census", str(clone), "--no-cache", "-q", "--json", "--depth", "0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_the_python2_check_and_the_fstring_check_finish_on_long_hostile_lines(hostile):
    clone, _ = hostile
    proc = forensics("census", str(clone), "--no-cache", "-q", "--error-kinds", "--format", "json",
                     "--paths", "legacy_blanks.py", "--paths", "fstring_quotes.py")
    assert proc.returncode == 0, proc.stderr[-2000:]
    kinds = {r["error_kind"]: r["paths_now"] for r in json.loads(proc.stdout) if r["error_kind"] != "*"}
    assert sum(kinds.values()) == 2 and kinds.get("python2", 0) >= 1, kinds


def test_a_backtracking_pathspec_is_matched_in_linear_time(hostile, census_json):
    clone, _ = hostile
    proc = forensics("census", str(clone), "--no-cache", "-q", "--json", "--depth", "0",
                     "--paths", "*a*a*a*a*a*a*a*a*b.py", "--paths", LONG_NAME)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["total"] == 1            # the long name, by its literal spec


def test_a_pathspec_with_a_range_out_of_order_is_one_line_and_exit_2(hostile):
    clone, _ = hostile
    line = one_line_exit_2(forensics("census", str(clone), "--no-cache", "-q", "--paths", "[z-a].py"))
    assert "[z-a].py" in line and "range" in line


def test_a_version_over_the_size_limit_is_counted_apart_never_judged(hostile, census_json, tmp_path):
    clone, truth = hostile
    from forensics.engine.limits import MAX_VERSION_BYTES

    assert len("x = 1\n") * BIG_LINES > MAX_VERSION_BYTES
    cache = tmp_path / "cache"
    for _ in range(2):       # the verdict stored in the cache is the same "too large", never "broken"
        proc = forensics("census", str(clone), "--cache", str(cache), "-q", "--error-kinds", "--format", "json",
                         "--paths", "generated_table.py")
        assert proc.returncode == 0, proc.stderr[-2000:]
        rows = {r["error_kind"]: r for r in json.loads(proc.stdout)}
        assert rows["too_large"]["paths_now"] == 1 and rows["too_large"]["damaged_now"] == 0, rows
    assert census_json["unreadable"] >= 1


def test_ci_aliases_times_matrices_and_makefile_expansion_are_bounded_and_said(hostile):
    clone, _ = hostile
    proc = forensics("dependents", str(clone), "--no-cache", "-q", "--format", "json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads(proc.stdout)
    bomb = [r for r in rows if r.get("file") == ".github/workflows/bomb.yml"]
    notes = " ".join(str(r.get("note", "")) for r in bomb)
    assert "matrix cut at 256 combinations of 1,000" in notes and "file cut at" in notes
    assert len({r["job"] for r in bomb}) <= 1_024
    make = [r for r in rows if r.get("job") == "make:unit"]
    assert make and all(len(json.dumps(r)) < 100_000 for r in make)
    assert {r["file"] for r in rows} >= {".github/workflows/exprs.yml"}      # read, not hung


def test_a_huge_commit_message_is_searched_for_script_names_in_linear_time(hostile):
    clone, _ = hostile
    proc = forensics("culprits", str(clone), "--no-cache", "-q", "--format", "json", "--bulk-threshold", "1")
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_fifo_in_the_configs_includes_is_refused_and_the_fleet_finishes(incident, tmp_path):
    clone = tmp_path / "clone"
    git("clone", "-q", incident["repo"], str(clone))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    included = tmp_path / "included.cfg"
    included.write_text(f"[include]\n\tpath = {fifo.name}\n")     # relative to the including file
    git("-C", str(clone), "config", "include.path", str(included))
    before = tree_digest(clone)
    try:
        line = one_line_exit_2(forensics("census", str(clone), "--no-cache", "-q"))
        assert str(fifo) in line and "not a regular file" in line
        out = tmp_path / "fleet"
        proc = forensics("fleet", str(clone), incident["repo"], "--out", str(out), "--no-cache", "-q", "--workers", "1")
        assert proc.returncode == 0, proc.stderr[-2000:]
        import csv

        rows = {r["repo"]: r for r in csv.DictReader(open(out / "fleet_census.csv"))}
        assert "not a regular file" in rows[str(clone)]["error"] and not rows[incident["repo"]]["error"]
    finally:
        try:                 # release a git left blocked on the FIFO by an unfixed build
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert tree_digest(clone) == before


def test_a_deeply_nested_toml_is_one_line_and_exit_2_or_a_warning_from_the_evidence(incident, tmp_path):
    deep = "a = " + "[" * 5_000 + "]" * 5_000 + "\n"
    config = tmp_path / "deep.toml"
    config.write_text(deep)
    line = one_line_exit_2(forensics("census", incident["repo"], "--no-cache", "-q", "--config", str(config)))
    assert "nested too deeply" in line
    line = one_line_exit_2(forensics("restore-list", incident["repo"], "--no-cache", "-q", "--priority-rules", str(config)))
    assert "nested too deeply" in line
    clone = tmp_path / "clone"
    git("clone", "-q", incident["repo"], str(clone))
    (clone / "pyproject.toml").write_text(deep)
    commit(clone, "pyproject")
    proc = forensics("census", str(clone), "--no-cache", "-q", "--json", "--depth", "0")
    assert proc.returncode == 0, proc.stderr
    assert "pyproject.toml cannot be read (nested too deeply" in proc.stderr and len(proc.stderr.splitlines()) == 1
