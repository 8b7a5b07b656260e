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

import ast
import itertools
import posixpath
import re
import shlex
import tomllib
from dataclasses import dataclass, field

import yaml

from forensics.analyses.ci_commands import Invocation, invocations, join_path

MAX_MATRIX = 256           # combinations per job (a larger matrix is cut, and said so)

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_CHANGE_EVENTS = ("push", "pull_request", "pull_request_target")


def is_ci_file(path: str) -> bool:
    """The files this module reads (any directory for pytest/tox/setup configuration)."""
    name = posixpath.basename(path)
    if path.startswith(".github/workflows/") and path.count("/") == 2 and name.endswith((".yml", ".yaml")):
        return True
    return path in (".gitlab-ci.yml", "noxfile.py", "Makefile", "makefile", "GNUmakefile") \
        or name in ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")


@dataclass(frozen=True)
class Trigger:
    """What starts a job: an ``event``; for push/pull-request events, the ``paths`` and
    ``paths_ignore`` filters (None when absent: any change)."""

    event: str
    line: int
    paths: tuple[str, ...] | None = None
    paths_ignore: tuple[str, ...] | None = None


@dataclass
class Job:
    """One job: the ``file`` defining it, its ``name`` (GitHub job id with matrix values, GitLab job,
    ``tox:ENV``, ``nox:SESSION``, ``make:TARGET``), its ``line``, ``triggers`` (GitHub only) and the
    ``invocations`` its commands make (in order)."""

    file: str
    name: str
    line: int
    system: str
    triggers: tuple[Trigger, ...] = ()
    invocations: list[Invocation] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class PytestConfig:
    """pytest's settings from one configuration file: ``file`` (its directory is the rootdir),
    ``line`` of the section, ``testpaths``, ``python_files``, ``norecursedirs``, ``addopts`` (words)."""

    file: str
    line: int
    testpaths: tuple[str, ...] = ()
    python_files: tuple[str, ...] = ("test_*.py", "*_test.py")
    norecursedirs: tuple[str, ...] = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv",
                                      "{arch}")
    addopts: tuple[str, ...] = ()
    testpaths_line: int = 0

    @property
    def rootdir(self) -> str:
        d = posixpath.dirname(self.file)
        return d


@dataclass
class Parsed:
    """Everything read from the CI files at one revision: ``jobs``; the Makefile targets, tox
    environments and nox sessions by name (so ``make test`` in a workflow is followed); pytest
    configurations by file; and ``errors`` (file, reason) for files that did not parse."""

    jobs: list[Job] = field(default_factory=list)
    make: dict[str, dict[str, Job]] = field(default_factory=dict)   # Makefile dir -> target -> job
    tox: dict[str, Job] = field(default_factory=dict)
    tox_envlist: tuple[str, ...] = ()
    nox: dict[str, Job] = field(default_factory=dict)
    pytest_configs: dict[str, PytestConfig] = field(default_factory=dict)   # file -> config (any directory)
    config_candidates: dict[str, str] = field(default_factory=dict)        # file -> kind, incl. non-pytest ones
    errors: list[tuple[str, str]] = field(default_factory=list)


# -- YAML with line numbers ----------------------------------------------------------------------------
class LStr(str):
    """A YAML string that remembers where it starts (1-based ``line``; a block scalar's first content
    line) and whether it is a literal block (its lines are the script's lines)."""

    line: int
    block: bool


def _lstr(value: str, line: int, block: bool) -> LStr:
    s = LStr(value)
    s.line, s.block = line, block
    return s


def load_yaml(text: str):
    """Parse YAML (safe: no tags) into dicts, lists and :class:`LStr` scalars (None for nulls).
    Aliases are shared, not copied (no billion laughs); ``<<`` merge keys are applied."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    memo: dict[int, object] = {}

    def plain(n):
        if id(n) in memo:
            return memo[id(n)]
        if isinstance(n, yaml.ScalarNode):
            if n.tag.endswith(":null"):
                out = None
            else:
                block = n.style in ("|", ">")
                out = _lstr(n.value, n.start_mark.line + 1 + (1 if block else 0), n.style == "|")
            memo[id(n)] = out
            return out
        if isinstance(n, yaml.SequenceNode):
            lst: list = []
            memo[id(n)] = lst
            lst.extend(plain(v) for v in n.value)
            return lst
        d: dict = {}
        memo[id(n)] = d
        merges = []
        for k, v in n.value:
            key = _lstr(k.value, k.start_mark.line + 1, False) if isinstance(k, yaml.ScalarNode) else str(id(k))
            if key == "<<":
                merges.append(plain(v))
            else:
                d[key] = plain(v)
        for m in merges:
            for src in (m if isinstance(m, list) else [m]):
                if isinstance(src, dict):
                    for k, v in src.items():
                        d.setdefault(k, v)
        return d

    return plain(node) if node is not None else None


def _line(value, default: int = 0) -> int:
    return getattr(value, "line", default)


# -- GitHub Actions -------------------------------------------------------------------------------------
def _triggers(on) -> tuple[Trigger, ...]:
    if isinstance(on, str):
        return (Trigger(str(on), _line(on)),)
    if isinstance(on, list):
        return tuple(Trigger(str(e), _line(e)) for e in on if isinstance(e, str))
    if not isinstance(on, dict):
        return ()
    out = []
    for event, spec in on.items():
        paths = ignore = None
        line = 0
        if isinstance(spec, dict) and event in _CHANGE_EVENTS:
            p, pi = spec.get("paths"), spec.get("paths-ignore")
            if isinstance(p, list):
                paths = tuple(str(x) for x in p if isinstance(x, str))
                line = min((_line(x) for x in p if isinstance(x, str)), default=0)
            if isinstance(pi, list):
                ignore = tuple(str(x) for x in pi if isinstance(x, str))
                line = line or min((_line(x) for x in pi if isinstance(x, str)), default=0)
        out.append(Trigger(str(event), line, paths, ignore))
    return tuple(out)


def _matrix(strategy) -> tuple[list[dict[str, str]], str]:
    """The literal combinations of a job's matrix (an empty dict: no matrix) and a note."""
    if not isinstance(strategy, dict) or not isinstance(strategy.get("matrix"), dict):
        if isinstance(strategy, dict) and isinstance(strategy.get("matrix"), str):
            return [{}], "matrix from an expression: not known from the file"
        return [{}], ""
    m = strategy["matrix"]
    keys = [k for k in m if k not in ("include", "exclude")]
    axes = []
    note = ""
    for k in keys:
        v = m[k]
        if isinstance(v, list):
            axes.append([_scalar(x) for x in v])
        else:
            axes.append([_scalar(v)])
            note = "matrix values from an expression: not known from the file"
    combos: list[dict[str, str]] = []
    for values in itertools.islice(itertools.product(*axes), MAX_MATRIX + 1):
        combos.append(dict(zip(keys, values)))
    if len(combos) > MAX_MATRIX:
        combos, note = combos[:MAX_MATRIX], f"matrix cut at {MAX_MATRIX} combinations"
    exclude = m.get("exclude") if isinstance(m.get("exclude"), list) else []
    for ex in exclude:
        if isinstance(ex, dict):
            exs = {k: _scalar(v) for k, v in ex.items()}
            combos = [c for c in combos if not all(c.get(k) == v for k, v in exs.items())]
    include = m.get("include") if isinstance(m.get("include"), list) else []
    original = set(keys)
    for inc in include:
        if not isinstance(inc, dict):
            continue
        incs = {k: _scalar(v) for k, v in inc.items()}
        matched = False
        for c in combos:
            if keys and all(c.get(k) == v for k, v in incs.items() if k in original):
                for k, v in incs.items():
                    if k not in original:
                        c[k] = v
                matched = True
        if not matched:
            combos.append(dict(incs))
    return combos or [{}], note


def _scalar(v) -> str:
    if isinstance(v, (dict, list)):
        return "$"                               # an object value: its fields are not followed
    return "" if v is None else str(v)


def _expand(text: str, matrix: dict[str, str]) -> str:
    """``${{ matrix.x }}`` -> its literal value; any other expression -> ``$GH_EXPR`` (unresolved)."""
    def sub(m: re.Match[str]) -> str:
        expr = m.group(1)
        mm = re.fullmatch(r"matrix\.([A-Za-z0-9_-]+)", expr)
        if mm and mm.group(1) in matrix and "$" not in matrix[mm.group(1)]:
            return matrix[mm.group(1)]
        return "$GH_EXPR"
    return _EXPR.sub(sub, text)


def _working_directory(*levels) -> str | None:
    for lvl in levels:
        if isinstance(lvl, dict):
            d = lvl.get("defaults", {}) if "defaults" in lvl else {}
            run = d.get("run") if isinstance(d, dict) else None
            if isinstance(run, dict) and isinstance(run.get("working-directory"), str):
                return run["working-directory"]
    return None


def parse_github_workflow(file: str, text: str) -> list[Job]:
    """The jobs of one workflow file (one per matrix combination)."""
    doc = load_yaml(text)
    if not isinstance(doc, dict):
        return []
    triggers = _triggers(doc.get("on", doc.get("true")))
    jobs = doc.get("jobs")
    out: list[Job] = []
    if not isinstance(jobs, dict):
        return out
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        combos, note = _matrix(job.get("strategy"))
        job_wd = _working_directory(job, doc)
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        if isinstance(job.get("uses"), str):
            note = note or f"calls the reusable workflow {job['uses']}: not followed"
        for combo in combos:
            name = job_id if not combo else f"{job_id} ({', '.join(combo.values())})"
            j = Job(file, name, _line(job_id) or _line(next(iter(job.values()), None)), "github", triggers, note=note)
            for step in steps:
                if not isinstance(step, dict) or not isinstance(step.get("run"), str):
                    continue
                run = step["run"]
                wd = step.get("working-directory") if isinstance(step.get("working-directory"), str) else job_wd
                cwd = join_path("", _expand(wd, combo)) if wd else ""
                first = _line(run, 1)
                script = _expand(str(run), combo)
                if not getattr(run, "block", False):
                    script = script.replace("\n", " ")   # a folded or plain scalar is one line
                j.invocations.extend(invocations(script, first, "$" if "$" in cwd else cwd))
            out.append(j)
    return out


# -- GitLab CI -------------------------------------------------------------------------------------------
_GITLAB_RESERVED = {"stages", "variables", "default", "include", "workflow", "image", "services", "before_script",
                    "after_script", "cache", "types", "pages:deploy"}


def parse_gitlab(file: str, text: str) -> list[Job]:
    doc = load_yaml(text)
    out: list[Job] = []
    if not isinstance(doc, dict):
        return out
    default = doc.get("default") if isinstance(doc.get("default"), dict) else {}
    top_before = doc.get("before_script", default.get("before_script") if default else None)
    for name, job in doc.items():
        if name in _GITLAB_RESERVED or name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        j = Job(file, name, _line(name), "gitlab")
        for key in ("before_script", "script"):
            lines = job.get(key, top_before if key == "before_script" else None)
            if isinstance(lines, str):
                lines = [lines]
            for line in lines if isinstance(lines, list) else []:
                if isinstance(line, str):
                    j.invocations.extend(invocations(_expand(str(line), {}), _line(line, 1)))
        out.append(j)
    return out


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
            recipe = line[1:].lstrip("@-+ \t")
            for _ in range(5):                   # variables referring to variables, a few levels
                recipe = _MAKE_REF.sub(lambda m: variables.get(m.group(1), "$MAKE"), recipe)
            recipe = recipe.replace("$$", "$")
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
def _pytest_config(file: str, section: dict[str, tuple[str, int]], line: int) -> PytestConfig:
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


def _section_line(text: str, header: str) -> int:
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
    parsed.pytest_configs[file] = _pytest_config(file, section, _section_line(text, "[tool.pytest.ini_options]"))


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
                parsed.pytest_configs[file] = _pytest_config(file, ini.get("pytest", {}),
                                                             _section_line(text, "[pytest]"))
            elif header and header in ini:
                parsed.pytest_configs[file] = _pytest_config(file, ini[header], _section_line(text, f"[{header}]"))
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
