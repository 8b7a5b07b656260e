"""CI configuration of the realistic incident, in the shapes real repositories have, and what each job
triggers on and runs, stated by the simulator (the truth's ``ci`` section is computed from this and
the model's states, never by parsing the files).

Shapes: ``on.push.paths`` with ``**`` (``tests/mission_critical/**/*.py`` also matches files directly in
``tests/mission_critical/``), a literal matrix, a step's ``working-directory``, bare ``pytest`` that
collects ``testpaths`` from ``pyproject.toml``, a ``file::Class::test`` id, a custom runner script
(``python tests/unified_test_runner.py --category smoke``), prose and comments that say "tests"
(``description: 'Whether startup validation tests passed'``, ``# Integration tests are informational``),
``echo`` lines, and pytest marker descriptions in ``pyproject.toml``.
"""
from __future__ import annotations

from typing import Any

# pytest's configuration in the simulated pyproject.toml (realistic_content.PYPROJECT)
TESTPATHS = ("tests/unit", "tests/integration")
PYTHON_FILES = ("test_*.py",)


def ci_files(e2e_node_id: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The workflow files (path -> text) and, per job, what it triggers on and what it runs.

    Each job: ``file``, ``job``, ``line`` (of its ``run:``), ``triggers`` (event -> path globs, empty
    list: no filter), ``runs``: a list of ``{"kind": "pytest"|"script", "command", "paths", "node_ids"}``
    where ``paths`` are repository-relative (``working-directory`` and matrix values applied) and an
    empty ``paths`` for pytest means ``testpaths``; optional ``ignore`` (``--ignore`` paths, not
    collected), ``markers`` (``-m``) and ``keywords`` (``-k``), reported, not evaluated.
    """
    ci = f"""name: CI
on:
  push:
    branches: [main]
    paths:
      - "src/**"
      - "tests/unit/**"
      - "tests/integration/**"
      - "pyproject.toml"
  pull_request:
    paths:
      - "src/**"
      - "tests/**/*.py"

jobs:
  unit:
    # Unit and integration tests: pytest collects the testpaths configured in pyproject.toml
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install -e ".[test]"
      - name: Run unit and integration tests
        run: pytest

  smoke:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Smoke tests through the unified test runner
        run: python tests/unified_test_runner.py --category smoke

  golden-path:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Golden path e2e test
        run: |
          echo "Running the golden path tests in tests/e2e"
          pytest {e2e_node_id} -x
"""
    mission = """name: Mission critical
on:
  push:
    paths:
      - "tests/mission_critical/**/*.py"
      - "src/app/websocket/**"

jobs:
  mission-critical:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        suite: [websocket, agents]
    steps:
      - uses: actions/checkout@v4
      - name: Mission critical ${{ matrix.suite }} tests
        working-directory: tests/mission_critical
        run: python -m pytest ${{ matrix.suite }} -m "not slow"

  mission-critical-agents:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Agent tests (the release gate)
        working-directory: tests/mission_critical
        run: python -m pytest agents

  mission-critical-all:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      # every mission critical test, including the ones directly in tests/mission_critical
      - run: python -m pytest tests/mission_critical -m mission_critical --ignore=tests/mission_critical/core -k "not flaky"
"""
    startup = """name: Startup validation
on:
  workflow_dispatch:
  workflow_call:
    outputs:
      passed:
        description: 'Whether startup validation tests passed'
        value: ${{ jobs.validate.outputs.passed }}

jobs:
  validate:
    runs-on: ubuntu-latest
    outputs:
      passed: ${{ steps.run.outputs.passed }}
    steps:
      - uses: actions/checkout@v4
      # Integration tests are informational; only the startup checks below gate a deploy
      - id: run
        run: |
          pytest tests/startup/test_app_boots.py tests/startup/test_config_loads.py tests/startup/test_routes_register.py
          echo "passed=true" >> "$GITHUB_OUTPUT"
"""
    files = {".github/workflows/ci.yml": ci, ".github/workflows/mission-critical.yml": mission,
             ".github/workflows/startup-validation.yml": startup}

    def line_of(text: str, needle: str) -> int:
        return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)

    ci_push = ["src/**", "tests/unit/**", "tests/integration/**", "pyproject.toml"]
    ci_pr = ["src/**", "tests/**/*.py"]
    mc_push = ["tests/mission_critical/**/*.py", "src/app/websocket/**"]
    jobs = [
        {"file": ".github/workflows/ci.yml", "job": "unit", "line": line_of(ci, "run: pytest"),
         "triggers": {"push": ci_push, "pull_request": ci_pr},
         "runs": [{"kind": "pytest", "command": "pytest", "paths": [], "node_ids": []}]},
        {"file": ".github/workflows/ci.yml", "job": "smoke", "line": line_of(ci, "unified_test_runner"),
         "triggers": {"push": ci_push, "pull_request": ci_pr},
         "runs": [{"kind": "script", "command": "python tests/unified_test_runner.py --category smoke",
                   "paths": ["tests/unified_test_runner.py"], "node_ids": []}]},
        {"file": ".github/workflows/ci.yml", "job": "golden-path", "line": line_of(ci, f"pytest {e2e_node_id}"),
         "triggers": {"push": ci_push, "pull_request": ci_pr},
         "runs": [{"kind": "pytest", "command": f"pytest {e2e_node_id} -x", "paths": [e2e_node_id.split("::")[0]],
                   "node_ids": [e2e_node_id]}]},
        {"file": ".github/workflows/mission-critical.yml", "job": "mission-critical",
         "line": line_of(mission, "run: python -m pytest ${{"), "triggers": {"push": mc_push},
         "runs": [{"kind": "pytest", "command": 'python -m pytest ${{ matrix.suite }} -m "not slow"',
                   "paths": ["tests/mission_critical/websocket", "tests/mission_critical/agents"], "node_ids": [],
                   "working_directory": "tests/mission_critical", "matrix": {"suite": ["websocket", "agents"]}}]},
        {"file": ".github/workflows/mission-critical.yml", "job": "mission-critical-agents",
         "line": line_of(mission, "run: python -m pytest agents"), "triggers": {"push": mc_push},
         "runs": [{"kind": "pytest", "command": "python -m pytest agents", "paths": ["tests/mission_critical/agents"],
                   "node_ids": [], "working_directory": "tests/mission_critical"}]},
        {"file": ".github/workflows/mission-critical.yml", "job": "mission-critical-all",
         "line": line_of(mission, "run: python -m pytest tests/mission_critical"), "triggers": {"push": mc_push},
         "runs": [{"kind": "pytest", "command": 'python -m pytest tests/mission_critical -m mission_critical '
                                                '--ignore=tests/mission_critical/core -k "not flaky"',
                   "paths": ["tests/mission_critical"], "node_ids": [], "ignore": ["tests/mission_critical/core"],
                   "markers": "mission_critical", "keywords": "not flaky"}]},
        {"file": ".github/workflows/startup-validation.yml", "job": "validate",
         "line": line_of(startup, "pytest tests/startup"), "triggers": {"workflow_dispatch": [], "workflow_call": []},
         "runs": [{"kind": "pytest", "command": "pytest " + " ".join(
             f"tests/startup/{n}" for n in ("test_app_boots.py", "test_config_loads.py", "test_routes_register.py")),
             "paths": ["tests/startup/test_app_boots.py", "tests/startup/test_config_loads.py",
                       "tests/startup/test_routes_register.py"], "node_ids": []}]},
    ]
    return files, jobs
