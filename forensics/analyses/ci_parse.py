"""CI and test configuration files, parsed (never grepped) into jobs and pytest settings.

- GitHub Actions workflows (YAML): ``on.<event>.paths`` / ``paths-ignore``; per job, its steps' ``run:``
  scripts with ``working-directory`` (step, job ``defaults.run``, workflow ``defaults.run``) and the
  literal values of its ``strategy.matrix`` (one job per combination, named as GitHub names it:
  ``job (v1, v2)``; ``include``/``exclude`` applied). ``${{ matrix.x }}`` is replaced by its value,
  any other expression leaves the argument unresolved.
- GitLab CI: each job's ``before_script`` and ``script``.
- tox: each ``[testenv]`` / ``[testenv:NAME]``'s ``commands`` (``changedir``, ``{posargs:default}``).
- nox: each ``@nox.session``'s ``session.run(...)`` calls with literal arguments (read with ``ast``).
- Makefile: each target's recipe lines (each runs in its own shell), with simple ``VAR = value``
  variables expanded.
- pytest's own configuration: ``testpaths``, ``python_files``, ``norecursedirs``, ``addopts`` from
  ``pytest.ini``/``.pytest.ini`` ``[pytest]``, ``pyproject.toml`` ``[tool.pytest.ini_options]``, ``tox.ini``
  ``[pytest]`` and ``setup.cfg`` ``[tool:pytest]``.

Only keys CI executes are read: names, descriptions, comments and ``echo`` are prose, never references.
A file that does not parse is reported in ``Parsed.errors`` and contributes nothing.
"""
from __future__ import annotations

import posixpath
import tomllib

import yaml

from forensics.analyses.ci_config import parse_makefile, parse_nox, parse_pyproject, parse_tox, pytest_config, \
    read_ini, section_line
from forensics.analyses.ci_model import Job, Parsed, PytestConfig, Trigger, is_ci_file
from forensics.analyses.ci_workflows import load_yaml, parse_github_workflow, parse_gitlab

__all__ = ["Job", "Parsed", "PytestConfig", "Trigger", "is_ci_file", "load_yaml", "parse_ci", "parse_file"]


def parse_file(file: str, data: bytes, parsed: Parsed) -> None:
    """Parse one CI or configuration file into ``parsed`` (errors recorded, never raised)."""
    text = data.decode("utf-8", "replace")
    name = posixpath.basename(file)
    try:
        if file.startswith(".github/workflows/"):
            parsed.jobs.extend(parse_github_workflow(file, text))
        elif file == ".gitlab-ci.yml":
            parsed.jobs.extend(parse_gitlab(file, text))
        elif file == "noxfile.py":
            parse_nox(file, text, parsed)
        elif name in ("Makefile", "makefile", "GNUmakefile"):
            parse_makefile(file, text, parsed)
        elif name == "pyproject.toml":
            parsed.config_candidates[file] = "pyproject"
            parse_pyproject(file, text, parsed)
        else:
            ini = read_ini(text)
            if name == "tox.ini" and file == "tox.ini":
                parse_tox(file, text, parsed)
            header = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest",
                      "setup.cfg": "tool:pytest"}.get(name)
            if name in ("pytest.ini", ".pytest.ini"):   # always pytest's configuration, even empty
                parsed.pytest_configs[file] = pytest_config(file, ini.get("pytest", {}),
                                                             section_line(text, "[pytest]"))
            elif header and header in ini:
                parsed.pytest_configs[file] = pytest_config(file, ini[header], section_line(text, f"[{header}]"))
    except (yaml.YAMLError, tomllib.TOMLDecodeError, SyntaxError, ValueError, RecursionError) as exc:
        parsed.errors.append((file, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]))


def parse_ci(files: dict[str, bytes | None]) -> Parsed:
    """Parse every CI and configuration file (path -> contents) at one revision."""
    parsed = Parsed()
    for file in sorted(files):
        data = files[file]
        if data is None:
            parsed.errors.append((file, "unreadable object"))
            continue
        parse_file(file, data, parsed)
    return parsed
