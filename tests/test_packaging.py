"""conda's environment.yml and pyproject.toml declare the same dependencies."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(spec: str) -> str:
    return spec.replace(" ", "").lower()


def test_environment_yml_and_pyproject_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = {_spec(s) for s in project["dependencies"]}
    declared |= {_spec(s) for name, specs in extras.items() for s in specs if not s.startswith("forensics[")}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_spec(s) for s in env["dependencies"] if isinstance(s, str) and _name(s) not in ("python", "pip")}
    assert conda == declared
    python = next(s for s in env["dependencies"] if isinstance(s, str) and _name(s) == "python")
    assert python.replace("python", "") == project["requires-python"]


def test_the_ci_script_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme.split("\n## ")[0] and "make test" in readme.split("\n## ")[0]
