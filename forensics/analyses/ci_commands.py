"""Shell commands as CI runs them, and the test-runner invocations among them.

:func:`shell_commands` splits a script (a GitHub ``run:``, a GitLab ``script:`` line, a Makefile recipe
line) the way a POSIX shell would: line continuations, quotes, ``#`` comments (only at the start of a
word), here-documents (their bodies are data, never commands), ``;``/``&&``/``||``/``|`` lists,
redirections, ``cd`` (which moves the later commands of the same script), and wrappers (``timeout``,
``uv run``, ``poetry run``, ``env``, ``xvfb-run``...). :func:`invocation` then says what one command is:
``pytest`` (``pytest``, ``py.test``, ``python -m pytest``, ``coverage run -m pytest``), ``unittest``
(``python -m unittest``), ``script`` (``python some_script.py``, ``python -m some_module``),
``make``/``tox``/``nox`` (followed into their own files), or nothing (``echo``, ``pip install``, a
linter). Nothing here reads a file: scripts are data from the analysed repository.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

UNRESOLVED = "$"         # a token holding an expansion the CI file does not fix ($VAR, ${{ ... }})

_OPERATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&", "{", "}"}
_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "command", "fi",
             "done", "esac"}
_WRAPPERS_0 = {"sudo", "nice", "nohup", "stdbuf", "catchsegv", "xvfb-run", "env"}
_RUNNERS = {"uv", "poetry", "pipenv", "hatch", "pdm", "pixi", "rye"}     # `X run CMD...`
_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?$")
_PYTEST = {"pytest", "py.test", "pytest-3"}
_NOT_SCRIPTS = {"pip", "ensurepip", "venv", "virtualenv", "compileall", "py_compile", "build", "twine", "mypy",
                "black", "ruff", "flake8", "pylint", "isort", "json.tool", "http.server", "site", "pre_commit",
                "pip_audit", "bandit", "pydoc", "timeit", "pyright", "setuptools_scm", "sphinx", "mkdocs",
                "coverage", "tox", "nox", "pipx", "uv", "poetry", "hatch", "build_docs", "cProfile", "pdb",
                "zipfile", "tarfile", "this", "platform", "sysconfig", "webbrowser", "calendar"}

# pytest options that take a value (``--opt value`` as well as ``--opt=value``)
PYTEST_VALUE_OPTIONS = {
    "-k", "-m", "-p", "-c", "-o", "-n", "-W", "-r",
    "--ignore", "--ignore-glob", "--deselect", "--maxfail", "--junitxml", "--junit-xml", "--junit-prefix",
    "--rootdir", "--confcutdir", "--basetemp", "--durations", "--durations-min", "--tb", "--cov", "--cov-report",
    "--cov-config", "--cov-fail-under", "--timeout", "--timeout-method", "--log-level", "--log-file",
    "--log-cli-level", "--log-format", "--log-file-level", "--html", "--import-mode", "--capture", "--dist",
    "--reruns", "--reruns-delay", "--count", "--color", "--override-ini", "--numprocesses", "--maxprocesses",
    "--tx", "--randomly-seed", "--config-file", "--json-report-file", "--alluredir", "--report-log",
    "--splits", "--group", "--asyncio-mode", "--ds", "--base-url", "--browser", "--driver", "--max-worker-restart",
    "--cache-show", "--runxfail-reason", "--junit-family", "--code-highlight", "--verbosity", "--show-capture",
    "--log-cli-format", "--log-date-format", "--doctest-glob", "--setup-plan-file",
}
_PYTEST_SHORT_VALUE = {o[1] for o in PYTEST_VALUE_OPTIONS if len(o) == 2}


@dataclass(frozen=True)
class Command:
    """One simple command: its words, the 1-based line it starts on, and the directory it runs in
    (repository-relative, ``""`` for the root)."""

    argv: tuple[str, ...]
    line: int
    cwd: str
    text: str


@dataclass(frozen=True)
class Invocation:
    """What one command runs. ``kind``: ``pytest``, ``unittest``, ``script``, ``make``, ``tox``,
    ``nox``. ``args``: path arguments and node ids as written (relative to ``cwd``); ``ignores``
    (``--ignore``), ``ignore_globs``, ``deselect``, ``keyword`` (``-k``), ``marker`` (``-m``),
    ``config`` (``-c``), ``rootdir``, ``unresolved`` (an argument holds an expansion CI does not fix),
    ``script`` (the script or module a ``script`` run executes), ``targets`` (make targets, tox envs,
    nox sessions), ``discover`` (unittest discovery: start dir, pattern, top dir)."""

    kind: str
    command: Command
    args: tuple[str, ...] = ()
    ignores: tuple[str, ...] = ()
    ignore_globs: tuple[str, ...] = ()
    deselect: tuple[str, ...] = ()
    keyword: str = ""
    marker: str = ""
    config: str = ""
    rootdir: str = ""
    pyargs: bool = False
    unresolved: bool = False
    script: str = ""
    targets: tuple[str, ...] = ()
    directory: str = ""
    discover: tuple[str, str, str] | None = None
    options: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def cwd(self) -> str:
        return self.command.cwd

    @property
    def line(self) -> int:
        return self.command.line

    @property
    def text(self) -> str:
        return self.command.text


# -- shell -----------------------------------------------------------------------------------------
def _strip_comment(line: str) -> str:
    """The line without its ``#`` comment (``#`` starts a comment only at the start of a word, outside
    quotes)."""
    quote = ""
    prev = " "
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                prev = "x"
                continue
            if c == quote:
                quote = ""
        elif c == "\\":
            i += 2
            prev = "x"
            continue
        elif c in "'\"":
            quote = c
        elif c == "#" and (prev.isspace() or prev in ";&|()"):
            return line[:i]
        prev = c
        i += 1
    return line


_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def _logical_lines(script: str, first_line: int) -> list[tuple[int, str]]:
    """(line number, text) of each logical line: continuations joined, here-document bodies and
    comments dropped."""
    out: list[tuple[int, str]] = []
    lines = script.split("\n")
    i = 0
    while i < len(lines):
        start = i
        text = _strip_comment(lines[i])
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text[:-1] + " " + _strip_comment(lines[i])
        i += 1
        ends = [m.group(2) for m in _HEREDOC.finditer(text)]
        for end in ends:                       # skip each here-document's body
            while i < len(lines) and lines[i].strip() != end:
                i += 1
            i += 1
        if text.strip():
            out.append((first_line + start, text))
    return out


def _split_words(text: str) -> list[str] | None:
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError:                          # unbalanced quotes: not a command we can read
        return None


def _simple_commands(words: list[str]) -> list[list[str]]:
    cmds: list[list[str]] = [[]]
    skip_next = False
    for w in words:
        if skip_next:
            skip_next = False
            continue
        if w in _OPERATORS:
            cmds.append([])
        elif w and w[0] in "<>" and set(w) <= set("<>&|"):
            skip_next = True                    # a redirection and its target
            if cmds[-1] and cmds[-1][-1].isdigit():
                cmds[-1].pop()                  # `2>&1`: the descriptor
        else:
            cmds[-1].append(w)
    return [c for c in cmds if c]


def _unwrap(argv: list[str]) -> list[str]:
    """Drop leading keywords, assignments and wrappers: what is left starts with the program run."""
    a = list(argv)
    while a:
        w = a[0]
        if w in _KEYWORDS or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
            a.pop(0)
        elif w in ("for", "case", "select", "function", "[", "[[", "test", "echo", "printf", "true", "false", ":"):
            return []
        elif w == "timeout":
            a.pop(0)
            while a and a[0].startswith("-"):
                a.pop(0)
            if a:
                a.pop(0)                        # the duration
        elif w in _WRAPPERS_0:
            a.pop(0)
            while a and (a[0].startswith("-") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", a[0])):
                a.pop(0)
        elif w in _RUNNERS and len(a) > 1 and a[1] == "run":
            a = a[2:]
            while a and a[0].startswith("-"):
                opt = a.pop(0)
                if opt in ("--with", "--python", "-p", "--extra", "--group", "-e", "--env", "--directory"):
                    a = a[1:]
        elif w in ("conda", "micromamba", "mamba") and len(a) > 1 and a[1] == "run":
            a = a[2:]
            while a and a[0].startswith("-"):
                opt = a.pop(0)
                if opt in ("-n", "--name", "-p", "--prefix", "--cwd"):
                    a = a[1:]
        else:
            break
    return a


def shell_commands(script: str, first_line: int = 1, cwd: str = "") -> list[Command]:
    """The simple commands of a shell script, in order, each with its line and directory. ``cd DIR``
    moves the commands after it (GitHub runs a step's script in one shell); ``cd`` to a path with
    an expansion leaves the directory unknown (``cwd`` becomes ``$``)."""
    out: list[Command] = []
    for line, text in _logical_lines(script, first_line):
        words = _split_words(text)
        if words is None:
            continue
        for cmd in _simple_commands(words):
            argv = _unwrap(cmd)
            if not argv:
                continue
            if argv[0] in ("cd", "pushd"):
                target = argv[1] if len(argv) > 1 else ""
                cwd = UNRESOLVED if not target or UNRESOLVED in target or UNRESOLVED in cwd \
                    else join_path(cwd, target)
                continue
            out.append(Command(tuple(argv), line, cwd, " ".join(shlex.quote(w) for w in argv)))
    return out


def join_path(cwd: str, rel: str) -> str:
    """``rel`` resolved against the repository-relative directory ``cwd`` (``..`` above the root
    gives ``../...``: outside the repository)."""
    if rel.startswith("/"):
        return posixpath.normpath(rel)
    p = posixpath.normpath(posixpath.join(cwd or ".", rel))
    return "" if p == "." else p


# -- invocations -------------------------------------------------------------------------------------
def _pytest(args: list[str], cmd: Command) -> Invocation:
    paths: list[str] = []
    opts: dict[str, list[str]] = {}
    i = 0
    rest_are_paths = False
    while i < len(args):
        a = args[i]
        i += 1
        if rest_are_paths or not a.startswith("-") or a == "-":
            paths.append(a)
            continue
        if a == "--":
            rest_are_paths = True
            continue
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if not eq and name in PYTEST_VALUE_OPTIONS and i < len(args):
                value = args[i]
                i += 1
            opts.setdefault(name, []).append(value)
            continue
        # a cluster of short options: `-xvs`, `-kfoo`, `-n4`, `-rA`
        for j, letter in enumerate(a[1:], start=1):
            if letter in _PYTEST_SHORT_VALUE:
                value = a[j + 1:]
                if not value and i < len(args):
                    value = args[i]
                    i += 1
                opts.setdefault("-" + letter, []).append(value)
                break
            opts.setdefault("-" + letter, []).append("")
    unresolved = any(UNRESOLVED in p for p in paths) or UNRESOLVED in cmd.cwd
    return Invocation(
        "pytest", cmd, args=tuple(paths), ignores=tuple(opts.get("--ignore", [])),
        ignore_globs=tuple(opts.get("--ignore-glob", [])), deselect=tuple(opts.get("--deselect", [])),
        keyword=" and ".join(opts.get("-k", [])), marker=" and ".join(opts.get("-m", [])),
        config=(opts.get("-c") or opts.get("--config-file") or [""])[-1],
        rootdir=(opts.get("--rootdir") or [""])[-1], pyargs="--pyargs" in opts, unresolved=unresolved,
        options={k: " ".join(v) for k, v in opts.items()})


def pytest_args(args: list[str], cmd: Command) -> Invocation:
    """A pytest command line (the words after ``pytest``) read as pytest reads it."""
    return _pytest(args, cmd)


def _unittest(args: list[str], cmd: Command) -> Invocation:
    names: list[str] = []
    i = 0
    discover: tuple[str, str, str] | None = None
    if args and args[0] == "discover":
        start, pattern, top = ".", "test*.py", ""
        pos: list[str] = []
        i = 1
        while i < len(args):
            a = args[i]
            i += 1
            if a in ("-s", "--start-directory") and i < len(args):
                start = args[i]
                i += 1
            elif a in ("-p", "--pattern") and i < len(args):
                pattern = args[i]
                i += 1
            elif a in ("-t", "--top-level-directory") and i < len(args):
                top = args[i]
                i += 1
            elif a in ("-k",) and i < len(args):
                i += 1
            elif not a.startswith("-"):
                pos.append(a)
        start = pos[0] if len(pos) > 0 else start
        pattern = pos[1] if len(pos) > 1 else pattern
        top = pos[2] if len(pos) > 2 else top
        discover = (start, pattern, top)
        unresolved = any(UNRESOLVED in x for x in discover)
        return Invocation("unittest", cmd, discover=discover, unresolved=unresolved or UNRESOLVED in cmd.cwd)
    while i < len(args):
        a = args[i]
        i += 1
        if a in ("-k", "--durations") and i < len(args):
            i += 1
        elif not a.startswith("-"):
            names.append(a)
    if not names:                               # `python -m unittest` alone discovers from "."
        return Invocation("unittest", cmd, discover=(".", "test*.py", ""), unresolved=UNRESOLVED in cmd.cwd)
    return Invocation("unittest", cmd, args=tuple(names),
                      unresolved=any(UNRESOLVED in n for n in names) or UNRESOLVED in cmd.cwd)


def _python(args: list[str], cmd: Command) -> Invocation | None:
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-m" or (a.startswith("-m") and len(a) > 2):
            module = args[i + 1] if a == "-m" and i + 1 < len(args) else a[2:]
            rest = args[i + 2:] if a == "-m" else args[i + 1:]
            return _module(module, rest, cmd)
        if a == "-c" or a.startswith("-c") or a == "-":
            return None                          # inline code: data, not a file
        if a in ("-W", "-X", "--check-hash-based-pycs"):
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return Invocation("script", cmd, script=a, unresolved=UNRESOLVED in a or UNRESOLVED in cmd.cwd)
    return None


def _module(module: str, rest: list[str], cmd: Command) -> Invocation | None:
    if module in ("pytest", "py.test"):
        return _pytest(rest, cmd)
    if module == "unittest":
        return _unittest(rest, cmd)
    if module == "coverage":
        return _coverage(rest, cmd)
    if module in ("tox", "nox"):
        return _tool(module, rest, cmd)
    if module.split(".")[0] in _NOT_SCRIPTS or not module:
        return None
    return Invocation("script", cmd, script=module, unresolved=UNRESOLVED in module)


def _coverage(args: list[str], cmd: Command) -> Invocation | None:
    if not args or args[0] != "run":
        return None
    rest = args[1:]
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        opt = rest.pop(0)                       # coverage's valued options are written `--opt=value`
        if opt in ("--rcfile", "--source", "--include", "--omit", "--context", "--data-file") and rest:
            rest.pop(0)
    if rest and rest[0] == "-m" and len(rest) > 1:
        return _module(rest[1], rest[2:], cmd)
    if rest:
        return Invocation("script", cmd, script=rest[0], unresolved=UNRESOLVED in rest[0])
    return None


def _tool(name: str, args: list[str], cmd: Command) -> Invocation:
    """``make``, ``tox`` and ``nox``: the targets, environments or sessions they run."""
    targets: list[str] = []
    directory = ""
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if name == "make":
            if a in ("-C", "--directory") and i < len(args):
                directory = args[i]
                i += 1
            elif a.startswith("-C") and len(a) > 2:
                directory = a[2:]
            elif a in ("-f", "--file", "--makefile", "-j", "-l", "-o", "-W", "-I") and i < len(args):
                i += 1
            elif not a.startswith("-") and "=" not in a:
                targets.append(a)
        else:
            if a == "--":
                break
            if a in ("-e", "--env", "-s", "--session", "--sessions") and i < len(args):
                targets.extend(t for t in args[i].split(",") if t)
                i += 1
            elif a.startswith("-e") and len(a) > 2:
                targets.extend(t for t in a[2:].split(",") if t)
            elif name == "tox" and a in ("run", "r", "p", "run-parallel", "exec", "-p", "--parallel"):
                continue
            elif a in ("-c", "--conf", "-f", "--noxfile", "--root-dir", "--workdir") and i < len(args):
                i += 1
    return Invocation(name, cmd, targets=tuple(targets), directory=directory,
                      unresolved=any(UNRESOLVED in t for t in targets) or UNRESOLVED in cmd.cwd)


def invocation(cmd: Command) -> Invocation | None:
    """What ``cmd`` runs, or None when it runs no tests (``echo``, ``pip install``, a linter)."""
    argv = list(cmd.argv)
    prog = posixpath.basename(argv[0])
    if prog in _PYTEST:
        return _pytest(argv[1:], cmd)
    if _PYTHON.match(prog):
        return _python(argv[1:], cmd)
    if prog == "coverage":
        return _coverage(argv[1:], cmd)
    if prog in ("make", "gmake", "tox", "nox"):
        return _tool("make" if prog == "gmake" else prog, argv[1:], cmd)
    if prog.endswith(".py") and "/" in argv[0]:     # `./run_tests.py`, `tests/runner.py` (executable)
        return Invocation("script", cmd, script=argv[0], unresolved=UNRESOLVED in argv[0])
    return None


def invocations(script: str, first_line: int = 1, cwd: str = "") -> list[Invocation]:
    """The test-runner invocations (and script runs) of a shell script, in order."""
    out = []
    for cmd in shell_commands(script, first_line, cwd):
        inv = invocation(cmd)
        if inv is not None:
            out.append(inv)
    return out
