"""What a test runner would collect at a revision, by its own rules, from the list of files there.

pytest (``_pytest.main`` / ``_pytest.config.findpaths``):

- the configuration file: ``-c FILE``, else the first of ``pytest.ini``, ``.pytest.ini``,
  ``pyproject.toml`` (with ``[tool.pytest.ini_options]``), ``tox.ini`` (with ``[pytest]``), ``setup.cfg``
  (with ``[tool:pytest]``) in the common ancestor of the arguments (the working directory without
  arguments) or its parents; its directory is the rootdir (``--rootdir`` overrides);
- ``addopts`` are read as if written first on the command line;
- with no path argument, from the rootdir, ``testpaths`` (globs allowed) are collected, else the
  working directory;
- an argument naming a file collects that file (whatever its name); ``file::Class::test`` node ids
  collect their file; an argument naming a directory collects, recursively, the files whose name
  matches ``python_files`` (default ``test_*.py *_test.py``), not descending into directories matching
  ``norecursedirs`` (default ``*.egg .* _darcs build CVS dist node_modules venv {arch}``);
- ``--ignore PATH`` and ``--ignore-glob GLOB`` leave paths out; an argument that names nothing is an
  error ("file or directory not found"): the run stops before any test;
- ``-k``, ``-m`` and ``--deselect`` select among collected tests *after* collection: they are reported,
  never evaluated, and a file that fails to import fails the run whatever they say.

unittest (``python -m unittest``): module names and file paths collect their module; ``discover``
collects, from the start directory, files matching the pattern (default ``test*.py``) that are
importable module names, descending only into packages (directories with ``__init__.py``).
"""
from __future__ import annotations

import bisect
import fnmatch
import posixpath
from dataclasses import dataclass, field

from forensics.analyses.ci_commands import Invocation, join_path, pytest_args
from forensics.analyses.ci_parse import Parsed, PytestConfig
from forensics.analyses.globs import PathList, compile_glob

_CONFIG_ORDER = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


class Tree:
    """The files at the revision (every path, sorted), for prefix and existence questions."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = sorted(paths)
        self.files = set(self.paths)
        self._plist: PathList | None = None

    def under(self, directory: str) -> list[str]:
        """Files below ``directory`` (``""``: all)."""
        if not directory:
            return self.paths
        lo = bisect.bisect_left(self.paths, directory + "/")
        hi = bisect.bisect_left(self.paths, directory + "0")      # "0" sorts right after "/"
        return self.paths[lo:hi]

    def is_dir(self, directory: str) -> bool:
        if not directory:
            return True
        i = bisect.bisect_left(self.paths, directory + "/")
        return i < len(self.paths) and self.paths[i].startswith(directory + "/")

    def exists(self, path: str) -> bool:
        return path in self.files or self.is_dir(path)

    @property
    def plist(self) -> PathList:
        if self._plist is None:
            self._plist = PathList(self.paths)
        return self._plist


@dataclass
class Collection:
    """What one invocation collects: ``files`` (sorted), ``missing`` (arguments naming nothing: the
    run errors out), ``config`` (the pytest configuration file used, ``""`` for none), ``from_testpaths``
    (no argument: ``testpaths`` were collected), ``args`` (the arguments after ``addopts``,
    repository-relative), ``unknown`` (why the collection cannot be known from the files), and
    ``node_ids`` (file, names) of the ``file::Class::test`` arguments whose file is collected."""

    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    config: str = ""
    from_testpaths: bool = False
    args: list[str] = field(default_factory=list)
    unknown: str = ""
    node_ids: list[tuple[str, list[str]]] = field(default_factory=list)   # (file, names after it)


def find_config(parsed: Parsed, start: str, tree: Tree) -> PytestConfig | None:
    """pytest's configuration for arguments whose common ancestor is ``start``."""
    d = start
    while True:
        for name in _CONFIG_ORDER:
            f = posixpath.join(d, name) if d else name
            if f in parsed.pytest_configs:
                return parsed.pytest_configs[f]
        if not d or d == ".":
            return None
        d = posixpath.dirname(d)


def _common_dir(paths: list[str], tree: Tree) -> str:
    dirs = [p if tree.is_dir(p) else posixpath.dirname(p) for p in paths]
    if not dirs:
        return ""
    common = posixpath.commonpath(["/" + d for d in dirs])[1:]
    return common


def _outside(path: str) -> bool:
    return path == ".." or path.startswith("../") or path.startswith("/")


def _matches_any(name: str, patterns: tuple[str, ...] | list[str], path: str = "") -> bool:
    for pat in patterns:
        if "/" in pat:
            if fnmatch.fnmatchcase(path, pat) or fnmatch.fnmatchcase(path, "*/" + pat):
                return True
        elif fnmatch.fnmatchcase(name, pat):
            return True
    return False


def collect_pytest(inv: Invocation, parsed: Parsed, tree: Tree) -> Collection:
    """The files ``inv`` (a pytest invocation) collects at the revision."""
    out = Collection()
    if inv.unresolved:
        out.unknown = "an argument or directory holds an expansion CI fills in at run time"
        return out
    if inv.pyargs:
        out.unknown = "--pyargs: arguments are import names"
        return out
    cwd = inv.cwd
    raw = [a.split("::", 1)[0] for a in inv.args]
    args = [join_path(cwd, a) for a in raw]
    if inv.config:
        cfg_file = join_path(cwd, inv.config)
        config = parsed.pytest_configs.get(cfg_file) or PytestConfig(cfg_file, 0)
    else:
        existing = [a for a in args if not _outside(a) and tree.exists(a)]
        config = find_config(parsed, _common_dir(existing, tree) if existing else cwd, tree)
    config = config or PytestConfig("", 0)
    out.config = config.file
    rootdir = join_path(cwd, inv.rootdir) if inv.rootdir else config.rootdir
    ignores, ignore_globs = list(inv.ignores), list(inv.ignore_globs)
    if config.addopts:
        pre = pytest_args(list(config.addopts), inv.command)
        args = [join_path(cwd, a.split("::", 1)[0]) for a in pre.args] + args
        ignores += pre.ignores
        ignore_globs += pre.ignore_globs
    ignore = [join_path(cwd, i) for i in ignores]
    globs = [g if g.startswith(("*", "/")) else join_path(cwd, g) for g in ignore_globs]
    if not args:
        if config.testpaths and cwd == rootdir:
            for tp in config.testpaths:
                p = join_path(rootdir, tp)
                if any(c in tp for c in "*?["):
                    args.extend(sorted({posixpath.dirname(f) if not tree.exists(f) else f
                                        for f in tree.plist.filter([compile_glob(p)])}
                                       | {d for d in _dirs_matching(tree, p)}))
                elif tree.exists(p):
                    args.append(p)
            out.from_testpaths = bool(args)
        if not args:
            args = [cwd]
    out.args = args

    def left_out(path: str) -> bool:
        if any(path == i or path.startswith(i + "/") for i in ignore):
            return True
        return any(fnmatch.fnmatchcase(path, g) for g in globs)

    files: set[str] = set()
    for a in args:
        if _outside(a):
            out.missing.append(a)
        elif a in tree.files:
            if not left_out(a) and a.endswith(".py"):
                files.add(a)
        elif tree.is_dir(a):
            if left_out(a):
                continue
            base = len(a) + 1 if a else 0
            pruned: dict[str, bool] = {}          # directory -> left out (norecursedirs), decided once
            for f in tree.under(a):
                d = posixpath.dirname(f)
                if d not in pruned:
                    rel_dirs = d[base:].split("/") if len(d) >= base else []
                    pruned[d] = any(_matches_any(x, config.norecursedirs) for x in rel_dirs if x)
                if pruned[d]:
                    continue
                name = f[len(d) + 1:] if d else f
                if name.endswith(".py") and _matches_any(name, config.python_files, f) and not left_out(f):
                    files.add(f)
        else:
            out.missing.append(a)
    out.files = sorted(files)
    for a in inv.args:
        if "::" in a:
            path, *names = a.split("::")
            path = join_path(cwd, path)
            if path in files and all(names):
                out.node_ids.append((path, names))
    return out


def _dirs_matching(tree: Tree, pattern: str) -> set[str]:
    """Directories a ``testpaths`` glob names (``tests/*`` names the directories under ``tests``)."""
    g = compile_glob(pattern)
    if g.regex is None:
        return set()
    dirs = {posixpath.dirname(p) for p in tree.paths}
    expanded = set()
    for d in dirs:
        while d:
            expanded.add(d)
            d = posixpath.dirname(d)
    return {d for d in expanded if g.regex.fullmatch(d)}


def collect_unittest(inv: Invocation, tree: Tree) -> Collection:
    """The files ``inv`` (a ``python -m unittest`` invocation) loads at the revision."""
    out = Collection()
    if inv.unresolved:
        out.unknown = "an argument or directory holds an expansion CI fills in at run time"
        return out
    cwd = inv.cwd
    files: set[str] = set()
    if inv.discover is not None:
        start, pattern, _top = inv.discover
        start = join_path(cwd, start)
        out.args = [start]
        if _outside(start) or not tree.is_dir(start):
            out.missing.append(start)
            return out
        base = len(start) + 1 if start else 0
        for f in tree.under(start):
            rel = f[base:].split("/")
            parts = rel[:-1]
            ok = True
            d = start
            for p in parts:                       # only packages are descended into
                d = posixpath.join(d, p) if d else p
                if posixpath.join(d, "__init__.py") not in tree.files:
                    ok = False
                    break
            name = rel[-1]
            if ok and name.endswith(".py") and name[:-3].isidentifier() and fnmatch.fnmatchcase(name, pattern):
                files.add(f)
        out.files = sorted(files)
        return out
    for name in inv.args:
        if "/" in name or name.endswith(".py"):
            p = join_path(cwd, name)
            out.args.append(p)
            (files.add(p) if p in tree.files else out.missing.append(p))
            continue
        parts = name.split(".")
        found = ""
        for k in range(len(parts), 0, -1):
            mod = join_path(cwd, "/".join(parts[:k]))
            if mod + ".py" in tree.files:
                found = mod + ".py"
                break
            if posixpath.join(mod, "__init__.py") in tree.files:
                found = posixpath.join(mod, "__init__.py")
                break
        out.args.append(found or name)
        (files.add(found) if found else out.missing.append(name))
    out.files = sorted(files)
    return out


def collect(inv: Invocation, parsed: Parsed, tree: Tree) -> Collection:
    """What a ``pytest`` or ``unittest`` invocation collects."""
    if inv.kind == "unittest":
        return collect_unittest(inv, tree)
    return collect_pytest(inv, parsed, tree)
