"""The demo's CI, in the shapes real repositories use, and what each job does at each revision.

The files (written in the initial commit): GitHub workflows with ``**`` path filters (``**/``
matching zero directories too), ``paths-ignore``, a matrix, ``working-directory``, plain ``pytest``
collecting ``testpaths``, ``file::Class::test`` node ids, ``--ignore``, ``-k``/``-m``, a custom runner
script (``python tests/unified_test_runner.py --category smoke``), ``make`` followed into a Makefile;
prose that says "tests" everywhere (step names, ``echo``, comments, ``workflow_dispatch`` input
descriptions, pytest marker descriptions in ``pyproject.toml``), none of which is a reference.

:func:`ci_truth` computes, from the simulator's model (its trees of versions and their states by
construction), what each job's triggers match and what its pytest collects, by rules written here
for the demo's own files (never forensics' parsers), and the verdict the issue defines.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from forensics.simulate.model import Version, is_subject

RUNNER = "tests/unified_test_runner.py"
RUNNER_SCRIPT = '''"""The unified test runner: runs a category of tests (see --help)."""
import argparse
import subprocess
import sys

CATEGORIES = {
    "smoke": ["tests/e2e"],
    "unit": ["tests/unit"],
    "mission_critical": ["tests/mission_critical"],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run one category of tests.")
    parser.add_argument("--category", choices=sorted(CATEGORIES), default="smoke")
    args = parser.parse_args(argv)
    return subprocess.call([sys.executable, "-m", "pytest", *CATEGORIES[args.category]])


if __name__ == "__main__":
    sys.exit(main())
'''

FAILS = "fails at collection"
FAILS_HIDDEN = "fails at collection (continue-on-error: the job stays green)"
UNKNOWN = "unknown"
HEALTHY_ONLY = "runs only healthy tests"
NO_TESTS = "runs no tests"
DEMO_TESTPATHS = ("tests/unit", "tests/integration", "tests/mission_critical")


def _passes_with(n: int) -> str:
    return f"passes with {n} test{'s' if n != 1 else ''} silently gone"


def _is_test_file(path: str) -> bool:
    """The demo's ``python_files = test_*.py``."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") and name.endswith(".py")


def _under(path: str, directory: str, skip_dirs: tuple[str, ...] = ("legacy",)) -> bool:
    """Below ``directory``, not descending into a directory named in ``skip_dirs`` (the demo's
    ``norecursedirs = legacy``) nor a hidden one."""
    if not path.startswith(directory + "/"):
        return False
    dirs = path[len(directory) + 1:].split("/")[:-1]
    return not any(d in skip_dirs or d.startswith(".") for d in dirs)


@dataclass
class DemoJob:
    """One job of the demo's CI: the ``file``, the ``job`` as GitHub names it, ``trigger`` (which
    paths in scope start it: None for a job no change starts), ``collects`` (which files its
    pytest collects in a tree: None for a job that runs no pytest), ``explicit`` (files it names: a
    missing one fails the run), ``named`` (its node ids: file, class or "", test; one whose test is gone
    fails the run), ``script`` (it runs a runner script), ``lenient`` (``continue-on-error``: a failure
    leaves the job green)."""

    file: str
    job: str
    trigger: Callable[[str], bool] | None
    collects: Callable[[str], bool] | None = None
    explicit: tuple[str, ...] = ()
    named: tuple[tuple[str, str, str], ...] = ()
    script: bool = False
    lenient: bool = False
    shapes: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


class DemoCI:
    """The demo's CI files (path -> text) and jobs, built from the test files of the initial commit."""

    def __init__(self, test_paths: list[str], class_of: dict[str, tuple[str, str, str]]) -> None:
        e2e = sorted(p for p in test_paths if p.startswith("tests/e2e/"))
        mc = sorted(p for p in test_paths if p.startswith("tests/mission_critical/"))
        self.startup = tuple(e2e[:3])
        self.ignored = mc[-1]                       # a flaky file the mission-critical job leaves out
        named: list[tuple[str, str, str]] = []      # (file, class or "", test)
        for i, p in enumerate(self.startup):
            cls, method, func = class_of[p]
            named.append((p, cls, method) if i != 1 else (p, "", func))
        self.named = tuple(named)
        self.node_ids = tuple("::".join(x for x in n if x) for n in named)
        self.files = {
            ".github/workflows/ci.yml": _CI_YML,
            ".github/workflows/mission-critical.yml": _MC_YML.replace("{IGNORED}", self.ignored[len("tests/"):]),
            ".github/workflows/startup-validation.yml": _STARTUP_YML.replace(
                "{NODE_IDS}", " \\\n            ".join(self.node_ids)),
            ".github/workflows/lint.yml": _LINT_YML,
            "Makefile": _MAKEFILE,
            "README.md": "# netra-demo\n\nA demo service with a large test suite: run `make test` or `pytest`.\n",
        }
        self.pyproject = _PYPROJECT
        ignored = self.ignored
        ci_trigger = lambda p: p.startswith("src/") or (p.startswith("tests/unit/") and _is_test_file(p)) \
            or (p.startswith("tests/integration/") and _is_test_file(p))     # noqa: E731
        mc_trigger = lambda p: p.startswith("tests/mission_critical/") and p.endswith(".py")  # noqa: E731
        startup_trigger = lambda p: p.startswith("src/app/")                  # noqa: E731
        lint_trigger = lambda p: not p.endswith(".md") and not p.startswith("docs/")  # noqa: E731
        self.jobs = [
            DemoJob(".github/workflows/ci.yml", f"tests ({suite}, 3.11)", ci_trigger,
                    (lambda s: lambda p: _is_test_file(p) and _under(p, f"tests/{s}"))(suite),
                    shapes=("matrix", "** filter", "-m reported", "prose"))
            for suite in ("unit", "integration")
        ] + [
            DemoJob(".github/workflows/ci.yml", "suite", ci_trigger,
                    lambda p: _is_test_file(p) and any(_under(p, d) for d in DEMO_TESTPATHS), lenient=True,
                    shapes=("pytest without arguments: testpaths", "norecursedirs", "-k reported",
                            "continue-on-error")),
            DemoJob(".github/workflows/ci.yml", "e2e", ci_trigger,
                    lambda p: _is_test_file(p) and _under(p, "tests/e2e"), shapes=("make followed",)),
            DemoJob(".github/workflows/mission-critical.yml", "mission-critical", mc_trigger,
                    lambda p: _is_test_file(p) and _under(p, "tests/mission_critical") and p != ignored,
                    shapes=("**/ matches zero directories", "working-directory", "--ignore")),
            DemoJob(".github/workflows/startup-validation.yml", "startup-validation", startup_trigger,
                    lambda p: p in self.startup, explicit=self.startup, named=self.named,
                    shapes=("file::Class::test ids", "prose and descriptions")),
            DemoJob(".github/workflows/startup-validation.yml", "smoke", startup_trigger, script=True,
                    shapes=("custom runner script",)),
            DemoJob(".github/workflows/lint.yml", "compile", lint_trigger, shapes=("no tests", "paths-ignore")),
            DemoJob("Makefile", "make:e2e", None, lambda p: _is_test_file(p) and _under(p, "tests/e2e"),
                    shapes=("Makefile recipe", "variables")),
            DemoJob("Makefile", "make:smoke", None, script=True, shapes=("custom runner script",)),
            DemoJob("pyproject.toml", "pytest (no arguments)", None,
                    lambda p: _is_test_file(p) and any(_under(p, d) for d in DEMO_TESTPATHS),
                    shapes=("testpaths", "norecursedirs", "marker descriptions are prose")),
        ]


def test_defined(v: Version | None, cls: str, test: str) -> bool:
    """Whether the test module version ``v`` still defines ``cls::test`` (or the function ``test``):
    the model knows which blocks are commented out."""
    mod = getattr(v, "model", None) if v is not None else None
    if mod is None or not hasattr(mod, "methods"):
        return False
    if cls:
        return mod.class_name == cls and not mod.class_commented and any(m.name == test for m in mod.methods)
    return any(f.name == test and not f.commented for f in mod.functions)


def commented_node_ids(tree: dict[str, Version], limit: int = 3) -> list[dict]:
    """Node ids of tests the model has commented out in files that still compile (a whole class, or
    one module-level test function), with the file's state: pytest reports each as not found."""
    out: list[dict] = []
    for p, v in sorted(tree.items()):
        mod = v.model
        if not is_subject(p) or not hasattr(mod, "methods") or not v.compiles:
            continue
        if mod.class_commented and mod.methods:
            out.append({"id": f"{p}::{mod.class_name}::{mod.methods[0].name}", "state": v.state})
        elif any(f.commented for f in mod.functions):
            f = next(f for f in mod.functions if f.commented)
            out.append({"id": f"{p}::{f.name}", "state": v.state})
        if len(out) >= limit:
            break
    return out


def _last_good(v: Version) -> Version | None:
    """The newest healthy version ``v`` descends from (through renames and copies), or None."""
    cur = v.prev if v.kind not in ("A",) else None
    while cur is not None:
        if cur.state == "healthy":
            return cur
        if cur.kind == "A":
            return None
        cur = cur.prev
    return None


def ci_truth(ci: DemoCI, trees: dict[str, dict[str, Version]]) -> dict:
    """Per revision (tag name or HEAD) and job: ``trigger_matches``/``trigger_damaged`` (paths in scope
    its filters match, damaged ones), ``collects`` (files its pytest collects), ``broken``, ``marked``,
    ``tests_lost`` and ``verdict``. Plus the job list with the shapes each one exercises and the
    demo's node ids."""
    out: dict = {"jobs": [{"file": j.file, "job": j.job, "shapes": list(j.shapes)} for j in ci.jobs],
                 "node_ids": list(ci.node_ids), "runner": RUNNER, "ignored": ci.ignored,
                 "testpaths": list(DEMO_TESTPATHS), "at": {},
                 "commented_ids": commented_node_ids(trees["HEAD"]) if "HEAD" in trees else []}
    for name, tree in trees.items():
        subjects = {p: v for p, v in tree.items() if is_subject(p)}
        per_job = {}
        for j in ci.jobs:
            row: dict = {}
            if j.trigger is not None:
                hit = [p for p in subjects if j.trigger(p)]
                row["trigger_matches"] = len(hit)
                row["trigger_damaged"] = sum(subjects[p].state != "healthy" for p in hit)
            if j.script:
                row.update(collects=[], broken=0, marked=0, tests_lost=0, verdict=UNKNOWN)
            elif j.collects is None:
                row.update(collects=[], broken=0, marked=0, tests_lost=0, verdict=NO_TESTS)
            else:
                files = sorted(p for p in tree if j.collects(p))
                missing = [p for p in j.explicit if p not in tree]
                gone = [f"{p}::{c}::{t}" if c else f"{p}::{t}" for p, c, t in j.named
                        if p in tree and tree[p].compiles and not test_defined(tree[p], c, t)]
                broken = sum(not tree[p].compiles for p in files)
                marked = sum(tree[p].compiles and tree[p].markers > 0 for p in files)
                lost = 0
                for p in files:
                    v = tree[p]
                    if v.state != "healthy":
                        lg = _last_good(v)
                        lost += max((lg.tests if lg else 0) - v.tests, 0)
                verdict = FAILS if broken or missing or gone else _passes_with(lost) if marked else HEALTHY_ONLY
                if verdict == FAILS and j.lenient:
                    verdict = FAILS_HIDDEN
                row.update(collects=files, broken=broken, marked=marked, tests_lost=lost, verdict=verdict,
                           not_found=gone)
            per_job[f"{j.file}|{j.job}"] = row
        out["at"][name] = per_job
    return out


_CI_YML = """\
name: ci
# Unit and integration tests run on every change to the code or the tests.
on:
  push:
    branches: [main]
    paths:
      - "src/**"
      - "tests/unit/**/test_*.py"
      - "tests/integration/**/test_*.py"
  pull_request:
    paths:
      - "src/**"
      - "tests/unit/**/test_*.py"
      - "tests/integration/**/test_*.py"

jobs:
  tests:
    name: Unit and integration tests
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        suite: [unit, integration]
        python-version: ["3.11"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - name: Install the test dependencies (see tests/requirements.txt)
        run: pip install -e ".[test]"
      - name: Run the ${{ matrix.suite }} tests
        run: |
          echo "Running tests in tests/${{ matrix.suite }}"
          # tests/mission_critical runs in its own workflow
          python -m pytest tests/${{ matrix.suite }} -q -m "not slow" 2>&1 | tee pytest.log

  suite:
    # The whole suite is informational: the matrix job above gates merges.
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - uses: actions/checkout@v4
      - name: Whole suite (testpaths from pyproject.toml)
        run: pytest -k "not flaky" --maxfail 5

  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make e2e
"""

_MC_YML = """\
name: mission-critical
on:
  push:
    paths:
      - "tests/mission_critical/**/*.py"
  workflow_dispatch:
    inputs:
      verbose:
        description: "Whether mission critical tests in tests/ run verbosely"
        required: false

jobs:
  mission-critical:
    # Integration tests are informational; these are not.
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: tests
    steps:
      - uses: actions/checkout@v4
      - name: Mission critical tests
        run: >-
          python -m pytest mission_critical
          --ignore={IGNORED}
          -p no:cacheprovider
"""

_STARTUP_YML = """\
name: startup-validation
on:
  push:
    paths: ["src/app/**"]
  workflow_dispatch:
    inputs:
      notify:
        description: 'Whether startup validation tests passed'
        type: boolean

jobs:
  startup-validation:
    # Integration tests are informational
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Startup validation tests
        run: |
          echo "Startup validation: running the tests in tests/e2e"
          cat <<EOF > summary.md
          pytest tests/unit tests/integration tests/mission_critical
          EOF
          pytest {NODE_IDS}

  smoke:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Smoke tests through the unified test runner
        run: python tests/unified_test_runner.py --category smoke
"""

_LINT_YML = """\
name: lint
on:
  pull_request:
    paths-ignore:
      - "**.md"
      - "docs/**"

jobs:
  compile:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Byte-compile the sources (the tests are compiled by pytest)
        run: python -m compileall -q src/app/websocket src/app/auth
"""

_MAKEFILE = """\
PYTHON ?= python3

.PHONY: e2e smoke lint

# e2e tests: the slow ones are left to the nightly run
e2e:
\t@echo "running tests/e2e"
\t$(PYTHON) -m pytest tests/e2e -m "not slow"

smoke:
\t$(PYTHON) tests/unified_test_runner.py --category smoke

lint:
\t$(PYTHON) -m compileall -q src
"""

_PYPROJECT = """\
[project]
name = "netra-demo"
version = "1.0"

[tool.pytest.ini_options]
testpaths = ["tests/unit", "tests/integration", "tests/mission_critical"]
python_files = ["test_*.py"]
norecursedirs = ["legacy", ".*", "backups"]
markers = [
    "ssot: Single Source of Truth pattern tests",
    "mission_critical: tests in tests/mission_critical that guard the golden path",
    "slow: slow tests (deselect with '-m \\"not slow\\"')",
]
"""
