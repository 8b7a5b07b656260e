"""Configuration files read with line numbers: tox (``commands``, ``changedir``,
``{posargs:default}``), nox (``@nox.session`` functions' literal ``session.run`` arguments, with ``ast``),
Makefiles (recipes, each line its own shell; simple ``VAR = value`` variables; prerequisites first) and
pytest's own settings (``testpaths``, ``python_files``, ``norecursedirs``, ``addopts``) from ``pytest.ini``,
``pyproject.toml``, ``tox.ini`` and ``setup.cfg``."""
from __future__ import annotations

import ast
import posixpath
import re
import shlex
import tomllib

from forensics.analyses.ci_commands import Invocation, invocations, join_path
from forensics.analyses.ci_model import Job, Parsed, PytestConfig

# -- INI files with line numbers (tox.ini, setup.cfg, pytest.ini) ---------------------------------------
def read_ini(text: str) -> dict[str, dict[str, tuple[str, int]]]:
    """Sections -> key -> (value, line of the key). Indented lines continue the value; ``#``/``;``
    lines are comments (configparser's rules, with lines kept)."""
    out: dict[str, dict[str, tuple[str, int]]] = {}
    section: dict[str, tuple[str, int]] | None = None
    key = ""
    for n, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if line[0] in " \t" and section is not None and key:
            value, at = section[key]
            section[key] = (value + "\n" + stripped, at)
            continue
        m = re.match(r"^\[([^\]]+)\]\s*$", stripped)
        if m:
            section = out.setdefault(m.group(1).strip(), {})
            key = ""
            continue
        m = re.match(r"^([^=:]+?)\s*[=:]\s*(.*)$", stripped)
        if m and section is not None:
            key = m.group(1).strip().lower()
            section[key] = (m.group(2), n)
    return out


def _ini_list(value: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(value))
    except ValueError:
        return tuple(value.split())


_TOX_SUBST = re.compile(r"\{([^{}]*)\}")


def _tox_command(line: str) -> str:
    def sub(m: re.Match[str]) -> str:
        body = m.group(1)
        if body.startswith("posargs"):
            return body.partition(":")[2] if ":" in body else ""
        if body in ("envpython",):
            return "python"
        if body in ("toxinidir", "toxworkdir"):
            return "."
        if body.startswith(("env:", "[")):
            return "$TOX"
        return "$TOX"
    return _TOX_SUBST.sub(sub, line.lstrip("-").strip())


def parse_tox(file: str, text: str, parsed: Parsed) -> None:
    ini = read_ini(text)
    base = posixpath.dirname(file)
    if "tox" in ini and "envlist" in ini["tox"]:
        parsed.tox_envlist = tuple(e.strip() for e in re.split(r"[,\n]", ini["tox"]["envlist"][0]) if e.strip())
    default = ini.get("testenv", {})
    named = [s.partition(":")[2] for s in ini if s.startswith("testenv:")]
    envs = list(dict.fromkeys([*parsed.tox_envlist, *named])) or (["testenv"] if "testenv" in ini else [])
    for env in envs:
        if "{" in env:                          # generative envlists (py{310,311}) are not expanded
            continue
        keys = ini.get(f"testenv:{env}", {})
        merged = {**default, **keys}
        j = Job(file, f"tox:{env}", min((at for _, at in (keys or default).values()), default=0), "tox")
        cwd = base
        if "changedir" in merged:
            cwd = join_path(base, _tox_command(merged["changedir"][0]))
        if "commands" in merged:
            value, at = merged["commands"]
            for k, cmdline in enumerate(value.split("\n")):
                if cmdline.strip():
                    j.invocations.extend(invocations(_tox_command(cmdline), at + k, cwd))
        parsed.tox[env] = j
        parsed.jobs.append(j)


# -- nox ---------------------------------------------------------------------------------------------------
def _is_session_decorator(d: ast.expr) -> str | None:
    target = d.func if isinstance(d, ast.Call) else d
    name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
    if name != "session":
        return None
    if isinstance(d, ast.Call):
        for kw in d.keywords:
            if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw.value.value
    return ""


def parse_nox(file: str, text: str, parsed: Parsed) -> None:
    tree = ast.parse(text)
    for fn in tree.body:
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        names = [n for n in (_is_session_decorator(d) for d in fn.decorator_list) if n is not None]
        if not names:
            continue
        name = names[0] or fn.name
        j = Job(file, f"nox:{name}", fn.lineno, "nox")
        cwd = ""
        for node in ast.walk(fn):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr == "chdir" and node.args and isinstance(node.args[0], ast.Constant):
                cwd = join_path("", str(node.args[0].value))
            if node.func.attr not in ("run", "run_always", "run_install"):
                continue
            words = []
            for a in node.args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    words.append(a.value)
                elif isinstance(a, ast.Starred):
                    continue                        # *session.posargs: nothing by default
                else:
                    words.append("$NOX")
            if words:
                j.invocations.extend(invocations(" ".join(shlex.quote(w) for w in words), node.lineno, cwd))
        parsed.nox[name] = j
        parsed.jobs.append(j)


# -- Makefile ---------------------------------------------------------------------------------------------
_MAKE_VAR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\?|:|::|\+)?=\s*(.*)$")
_MAKE_REF = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")


MAKE_DEPTH = 5                 # variables referring to variables, this many levels
MAX_MAKE_RECIPE = 16_384       # characters of one expanded recipe line


def _expand_make(recipe: str, variables: dict[str, str]) -> str:
    """``$(VAR)``/``${VAR}`` replaced by their values, :data:`MAKE_DEPTH` levels deep; an unknown
    variable, or one whose value would take the line past :data:`MAX_MAKE_RECIPE` characters (a few
    hundred bytes of ``A = $(B)$(B)...`` double at every level), stays ``$MAKE`` (unresolved)."""
    for _ in range(MAKE_DEPTH):
        budget = MAX_MAKE_RECIPE - len(recipe)

        def value(m: re.Match[str]) -> str:
            nonlocal budget
            v = variables.get(m.group(1), "$MAKE")
            grow = len(v) - len(m.group(0))
            if grow > budget:
                return "$MAKE"
            budget -= max(grow, 0)
            return v

        expanded = _MAKE_REF.sub(value, recipe)
        if expanded == recipe:
            break
        recipe = expanded
    return recipe


def parse_makefile(file: str, text: str, parsed: Parsed) -> None:
    base = posixpath.dirname(file)
    variables: dict[str, str] = {}
    targets: dict[str, Job] = {}
    current: list[Job] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        n = i + 1
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i].lstrip("\t ")
        i += 1
        if line.startswith("\t"):
            recipe = _expand_make(line[1:].lstrip("@-+ \t"), variables).replace("$$", "$")
            for job in current:
                job.invocations.extend(invocations(recipe, n, base))
            continue
        stripped = _strip_make_comment(line)
        if not stripped.strip():
            continue
        m = _MAKE_VAR.match(stripped)
        if m and ":" not in m.group(1):
            variables[m.group(1)] = m.group(2).strip()
            continue
        if ":" in stripped and not stripped.startswith((".", "include", "-include", "ifeq", "ifneq", "ifdef",
                                                        "ifndef", "else", "endif", "define", "endef", "export")):
            names, _, prereq = stripped.partition(":")
            current = []
            for t in names.split():
                if "%" in t or "$" in t:
                    continue
                job = targets.setdefault(t, Job(file, f"make:{t}", n, "make"))
                job.note = (job.note + " " + prereq.lstrip(":").split(";")[0]).strip()
                current.append(job)
            if ";" in prereq:                    # `target: ; recipe`
                for job in current:
                    job.invocations.extend(invocations(prereq.split(";", 1)[1], n, base))
        else:
            current = []
    # prerequisites run first: fold their invocations in (depth-limited, cycles ignored)
    for t, job in targets.items():
        prereqs = [p for p in job.note.split() if p in targets and p != t]
        job.note = ""
        seen = {t}
        extra: list[Invocation] = []
        stack = list(reversed(prereqs))
        while stack and len(seen) < 50:
            p = stack.pop()
            if p in seen:
                continue
            seen.add(p)
            extra.extend(targets[p].invocations)
        job.invocations[:0] = extra
    parsed.make[base] = targets
    parsed.jobs.extend(targets.values())


def _strip_make_comment(line: str) -> str:
    i = line.find("#")
    return line if i < 0 else line[:i]


# -- pytest configuration -----------------------------------------------------------------------------------
def pytest_config(file: str, section: dict[str, tuple[str, int]], line: int) -> PytestConfig:
    kw: dict = {}
    if "testpaths" in section:
        kw["testpaths"] = _ini_list(section["testpaths"][0])
        kw["testpaths_line"] = section["testpaths"][1]
    if "python_files" in section:
        kw["python_files"] = _ini_list(section["python_files"][0])
    if "norecursedirs" in section:
        kw["norecursedirs"] = _ini_list(section["norecursedirs"][0])
    if "addopts" in section:
        kw["addopts"] = _ini_list(section["addopts"][0])
    return PytestConfig(file, line, **kw)


def section_line(text: str, header: str) -> int:
    for n, line in enumerate(text.split("\n"), start=1):
        if line.strip() == header:
            return n
    return 0


def parse_pyproject(file: str, text: str, parsed: Parsed) -> None:
    data = tomllib.loads(text)
    opts = data.get("tool", {}).get("pytest", {}).get("ini_options")
    if not isinstance(opts, dict):
        return
    section: dict[str, tuple[str, int]] = {}
    lines = text.split("\n")
    for key in ("testpaths", "python_files", "norecursedirs", "addopts"):
        if key not in opts:
            continue
        v = opts[key]
        value = v if isinstance(v, str) else " ".join(shlex.quote(str(x)) for x in v) if isinstance(v, list) else ""
        at = next((n for n, ln in enumerate(lines, start=1) if re.match(rf"^\s*{key}\s*=", ln)), 0)
        section[key] = (value, at)
    parsed.pytest_configs[file] = pytest_config(file, section, section_line(text, "[tool.pytest.ini_options]"))
