"""``forensics simulate DIR --preset legacy``: an ordinary long-lived project, and no incident.

Fifteen years of history: a Python 2 era (modules and tests written with ``print x``,
``except E, e:``, backticks, ``<>``, ``ur''``, ``0755``, ``10L``, ``exec "..."``, ``raise E, v``,
tuple parameters, tabs mixed with spaces), edited, renamed, copied and deleted while still Python 2;
its port to Python 3 over a few commits (one script is never ported); Python 3 years with feature
branches; and lately files written for a newer Python than 3.11 (PEP 695 generics, a 3.12 f-string).
Its metadata is what old importers and misconfigured clocks leave: an offset of ``+51800`` (518
hours), ``+9999``, ``-0000``, dates before 1970 and in 2100, identities in Latin-1 with and without a
declared encoding (``i18n.commitEncoding``), and one in Shift_JIS.

Every version's state is the simulator's own: code of another dialect, born that way, is ``legacy``
(never damage), and ``compile()`` confirms each one fails (or, for the newer-Python files, compiles
exactly when the running interpreter is new enough). ``truth.json`` says there is no incident
(``incident: false``, no damaging event, nothing to restore) and lists every odd date and identity
with what a reader must make of it.
"""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from forensics.simulate.fastimport import RawHeader
from forensics.simulate.model import Model

START = datetime(2009, 3, 2, 9, 0, 0, tzinfo=timezone.utc)
PORT_AT = datetime(2015, 6, 1, 9, 0, 0, tzinfo=timezone.utc)
NEWER_AT = datetime(2024, 2, 1, 9, 0, 0, tzinfo=timezone.utc)
NEWER_PYTHON = sys.version_info >= (3, 12)   # PEP 695 and PEP 701 compile from 3.12 on

# The Python 2 constructs, each the first thing a Python 3 compiler stumbles on in its module.
PY2_CONSTRUCTS: dict[str, list[str]] = {
    "print_statement": ['        print "describing", self.path'],
    "except_comma": ["        try:", "            os.stat(self.path)", "        except OSError, err:",
                     "            return -1"],
    "backticks": ["        label = `self.path`"],
    "not_equal": ['        if self.path <> "":', "            pass"],
    "ur_string": ['        pattern = ur"\\d+"'],
    "octal": ["        mode = 0755"],
    "long_literal": ["        size = 10L"],
    "exec_statement": ['        exec "value = 1"'],
    "raise_comma": ["        if not self.path:", '            raise ValueError, "empty path"'],
    "tuple_parameters": [],      # a method with a tuple parameter (below)
    "tabs_mixed": [],            # the method body indented with a tab (8 columns in Python 2)
}
PY3_EQUIVALENT: dict[str, list[str]] = {
    "print_statement": ['        print("describing", self.path)'],
    "except_comma": ["        try:", "            os.stat(self.path)", "        except OSError as err:",
                     "            return -1"],
    "backticks": ["        label = repr(self.path)"],
    "not_equal": ['        if self.path != "":', "            pass"],
    "ur_string": ['        pattern = r"\\d+"'],
    "octal": ["        mode = 0o755"],
    "long_literal": ["        size = 10"],
    "exec_statement": ['        exec("value = 1")'],
    "raise_comma": ["        if not self.path:", '            raise ValueError("empty path")'],
    "tuple_parameters": [],
    "tabs_mixed": [],
}


@dataclass(frozen=True)
class OldModule:
    """A module of the project, in Python 2 (``py3`` False) or after its port."""

    name: str
    construct: str
    revision: int = 1
    py3: bool = False
    markers: int = 0
    tests: int = 0
    python: bool = True

    @property
    def compiles(self) -> bool:
        return self.py3

    @property
    def state(self) -> str:
        return "healthy" if self.py3 else "legacy"

    def render(self) -> bytes:
        cls = "".join(p.title() for p in self.name.split("_"))
        lines = [f'"""{self.name}: part of the oldproj toolkit (revision {self.revision})."""', "import os",
                 "import sys", "", "", f"class {cls}(object):", "", "    def __init__(self, path):",
                 "        self.path = path", ""]
        if self.construct == "tuple_parameters":
            lines += ["    def pair(self, pair):", "        (a, b) = pair", "        return a + b", ""] if self.py3 else \
                     ["    def pair(self, (a, b)):", "        return a + b", ""]
        lines.append("    def describe(self):")
        body = (PY3_EQUIVALENT if self.py3 else PY2_CONSTRUCTS)[self.construct]
        lines += body
        if self.construct == "tabs_mixed" and not self.py3:
            lines += ["        total = len(self.path)", f"\treturn total + {self.revision}"]
        else:
            lines.append(f"        return {self.revision}")
        return ("\n".join(lines) + "\n").encode("ascii")


@dataclass(frozen=True)
class OldTest:
    """The tests of one module, in Python 2 or after the port."""

    module: str
    revision: int = 1
    py3: bool = False
    markers: int = 0
    python: bool = True

    @property
    def compiles(self) -> bool:
        return self.py3

    @property
    def state(self) -> str:
        return "healthy" if self.py3 else "legacy"

    @property
    def tests(self) -> int:
        return 1 + self.revision

    def render(self) -> bytes:
        cls = "".join(p.title() for p in self.module.split("_"))
        lines = ["import unittest", "", f"from oldproj.{self.module} import {cls}", "", "",
                 f"class {cls}Test(unittest.TestCase):", ""]
        for k in range(self.tests):
            lines += [f"    def test_case_{k}(self):", f'        self.assertTrue({cls}("x{k}").describe() is not None)',
                      '        print("checked")' if self.py3 else '        print "checked"', ""]
        return ("\n".join(lines)).encode("ascii")


@dataclass(frozen=True)
class NewerPythonFile:
    """Code written for a newer Python than 3.11: legacy where it does not compile, healthy where it does."""

    kind: str            # "pep695" or "fstring312"
    revision: int = 1
    markers: int = 0
    tests: int = 0
    python: bool = True

    @property
    def compiles(self) -> bool:
        return NEWER_PYTHON

    @property
    def state(self) -> str:
        return "healthy" if NEWER_PYTHON else "legacy"

    def render(self) -> bytes:
        if self.kind == "pep695":
            text = (f'"""Typing helpers (Python 3.12 syntax), revision {self.revision}."""\n\n\n'
                    "type Pair[T] = tuple[T, T]\n\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n")
        else:
            text = (f'"""Greetings (Python 3.12 f-strings), revision {self.revision}."""\n\n\n'
                    'def greet(user):\n    return f"hello {user["name"]}"\n')
        return text.encode("ascii")


@dataclass(frozen=True)
class Py3Module:
    """A module written in the Python 3 years."""

    name: str
    revision: int = 1
    markers: int = 0
    tests: int = 0
    python: bool = True
    compiles: bool = True
    state: str = "healthy"

    def render(self) -> bytes:
        return (f'"""{self.name} (revision {self.revision})."""\nfrom __future__ import annotations\n\n\n'
                f"def {self.name}(value: int) -> int:\n    return value + {self.revision}\n").encode("ascii")


@dataclass(frozen=True)
class Doc:
    text: str
    python: bool = False
    compiles: bool = True
    markers: int = 0
    tests: int = 0
    state: str = "healthy"

    def render(self) -> bytes:
        return self.text.encode()


# Odd commit metadata: (name as bytes, encoding declared or None, text a reader must see).
ODD_IDENTITIES = {
    "latin1_declared": ("\u00c9mile Durand".encode("latin-1"), "ISO-8859-1", "\u00c9mile Durand"),
    "latin1_undeclared": ("Fran\u00e7ois Lef\u00e8vre".encode("latin-1"), None, "Fran\u00e7ois Lef\u00e8vre"),
    "shift_jis_declared": ("\u4f50\u85e4\u5065".encode("shift_jis"), "Shift_JIS", "\u4f50\u85e4\u5065"),
    "utf8": ("Zo\u00eb \u00c5ngstr\u00f6m".encode("utf-8"), None, "Zo\u00eb \u00c5ngstr\u00f6m"),
}


class LegacyProject:
    """Builds the model; ``finish_truth`` adds the odd dates and identities and the no-incident claims."""

    def __init__(self, seed: int, scale: int) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.m = Model(start=START)
        self.modules: dict[str, OldModule] = {}       # path -> model, on main
        self.tests: dict[str, OldTest] = {}
        self.py3: dict[str, Py3Module] = {}
        self.odd: list[dict[str, Any]] = []           # commit index + what the reader must see
        self.dialect: dict[str, str] = {}             # path at HEAD -> python2 / newer_python (legacy ones)

    def _who(self) -> str:
        return self.rng.choice(["alice", "bob", "carol", "dave", "frank"])

    def _odd(self, idx: int, shape: str, author_epoch: int, author_tz: str, committer_epoch: int,
             committer_tz: str, flags: list[str], identity: str = "utf8") -> None:
        name, encoding, text = ODD_IDENTITIES[identity]
        email = b"<dev@oldproj.example>"
        self.m.commits[idx].raw = RawHeader(name + b" " + email + f" {author_epoch} {author_tz}".encode(),
                                            name + b" " + email + f" {committer_epoch} {committer_tz}".encode(),
                                            encoding)
        self.odd.append({"index": idx, "shape": shape, "author": text, "author_epoch": author_epoch,
                         "author_tz": author_tz, "committer_epoch": committer_epoch, "committer_tz": committer_tz,
                         "flags": flags})

    # -- the story --------------------------------------------------------------------------------
    def build(self) -> Model:
        self.python2_era()
        self.port()
        self.python3_era()
        self.newer_python()
        self.m.finish_truth = self.finish_truth  # type: ignore[attr-defined]
        return self.m

    def python2_era(self) -> None:
        m, s = self.m, self.scale
        ops: list[tuple] = [("put", "README.txt", Doc("oldproj: a toolkit, since 2009.\n")),
                            ("put", "setup.py", OldModule("setup", "print_statement"))]
        self.modules["setup.py"] = OldModule("setup", "print_statement")
        constructs = sorted(PY2_CONSTRUCTS)
        for i in range(len(constructs) * s):
            construct = constructs[i % len(constructs)]
            name = f"{construct}_{i // len(constructs)}" if s > 1 else construct
            mod = OldModule(name, construct)
            self.modules[f"oldproj/{name}.py"] = mod
            ops.append(("put", f"oldproj/{name}.py", mod))
            if i % 2 == 0:
                t = OldTest(name)
                self.tests[f"tests/test_{name}.py"] = t
                ops.append(("put", f"tests/test_{name}.py", t))
        m.commit("main", "alice", "Initial import from CVS", ops, minutes=0)
        # the CVS import's own date was lost: 1969, before the epoch
        self._odd(0, "before_1970", -31536000, "+0100", -31536000, "+0100",
                  ["author_before_1970", "committer_before_1970"], identity="latin1_declared")
        for step in range(30 * s):
            m.later(self.rng.randint(60 * 24 * 20, 60 * 24 * 60) / s)     # the era fits 2009-2014 at any scale
            who = self._who()
            if step == 3:
                src = "oldproj/backticks.py" if s == 1 else "oldproj/backticks_0.py"
                dst = src.replace("oldproj/", "oldproj/compat/")
                m.commit("main", who, "Move the repr helpers into compat", [("mv", src, dst)])
                self.modules[dst] = self.modules.pop(src)
                continue
            if step == 5:
                src = "oldproj/octal.py" if s == 1 else "oldproj/octal_0.py"
                m.commit("main", who, "Copy the permission helpers for the installer",
                         [("cp", src, "oldproj/install_modes.py")])
                self.modules["oldproj/install_modes.py"] = self.modules[src]
                continue
            if step == 8:
                victim = "oldproj/exec_statement.py" if s == 1 else "oldproj/exec_statement_0.py"
                m.commit("main", who, "Remove the exec-based plugin loader", [("del", victim)])
                del self.modules[victim]
                continue
            path = self.rng.choice(sorted(self.modules))
            mod = replace(self.modules[path], revision=self.modules[path].revision + 1)
            self.modules[path] = mod
            idx = m.commit("main", who, f"Update {path.rsplit('/', 1)[-1]}", [("put", path, mod)])
            if step == 12:   # 2011: the offset git accepted, 518 hours east
                epoch = int(m.commits[idx].when.timestamp())
                self._odd(idx, "offset_+51800", epoch, "+51800", epoch, "+51800",
                          ["author_offset_out_of_range", "committer_offset_out_of_range"], identity="latin1_undeclared")
            elif step == 16:
                epoch = int(m.commits[idx].when.timestamp())
                self._odd(idx, "offset_-0000", epoch, "-0000", epoch, "-0000", [], identity="shift_jis_declared")
            elif step == 20:
                epoch = int(m.commits[idx].when.timestamp())
                self._odd(idx, "offset_+9999", epoch, "+9999", epoch, "+0200",
                          ["author_offset_out_of_range"], identity="utf8")

    def port(self) -> None:
        m = self.m
        m.at(PORT_AT)
        paths = sorted(self.modules) + sorted(self.tests)
        never = "setup.py"                        # the old installer is never ported: it stays Python 2
        todo = [p for p in paths if p != never]
        third = max(1, len(todo) // 3)
        for k, chunk in enumerate((todo[:third], todo[third:2 * third], todo[2 * third:])):
            ops = []
            for p in chunk:
                if p in self.modules:
                    self.modules[p] = replace(self.modules[p], py3=True, revision=self.modules[p].revision + 1)
                    ops.append(("put", p, self.modules[p]))
                else:
                    self.tests[p] = replace(self.tests[p], py3=True, revision=self.tests[p].revision + 1)
                    ops.append(("put", p, self.tests[p]))
            m.commit("main", "carol", f"Port to Python 3 (part {k + 1} of 3)", ops, minutes=60 * 24 * 3)
        self.dialect[never] = "python2"

    def python3_era(self) -> None:
        m, s = self.m, self.scale
        for step in range(40 * s):
            m.later(self.rng.randint(60 * 24 * 10, 60 * 24 * 40) / s)     # 2015-2019 at any scale
            who = self._who()
            roll = self.rng.random()
            future = step == 30 * s
            if roll < 0.3 and not future:
                name = f"feature_{step}"
                mod = Py3Module(name)
                self.py3[f"oldproj/{name}.py"] = mod
                m.commit("main", who, f"Add {name}", [("put", f"oldproj/{name}.py", mod)])
            elif roll < 0.5 and self.py3 and not future:
                branch = f"topic/{who}-{step}"
                m.branch(branch)
                path = self.rng.choice(sorted(self.py3))
                mod = replace(self.py3[path], revision=self.py3[path].revision + 1)
                m.commit(branch, who, f"Rework {path.rsplit('/', 1)[-1]}", [("put", path, mod)], minutes=90)
                self.py3[path] = mod
                m.merge("main", branch, who, f"Merge branch '{branch}'", {}, minutes=120)
            else:
                path = self.rng.choice(sorted(p for p in self.modules if self.modules[p].py3))
                mod = replace(self.modules[path], revision=self.modules[path].revision + 1)
                self.modules[path] = mod
                idx = m.commit("main", who, f"Tidy {path.rsplit('/', 1)[-1]}", [("put", path, mod)])
                if future:  # a committer's clock set to 2100
                    epoch = int(m.commits[idx].when.timestamp())
                    self._odd(idx, "in_future", epoch, "+0000", 4102444800, "+0000", ["committer_in_future"])

    def newer_python(self) -> None:
        m = self.m
        m.at(NEWER_AT)
        m.commit("main", "dave", "Typing helpers with PEP 695 generics",
                 [("put", "oldproj/typing_helpers.py", NewerPythonFile("pep695"))])
        m.commit("main", "dave", "Greetings with nested f-string quotes",
                 [("put", "oldproj/greetings.py", NewerPythonFile("fstring312"))], minutes=60 * 24 * 7)
        m.commit("main", "frank", "Typing helpers: document them",
                 [("put", "oldproj/typing_helpers.py", NewerPythonFile("pep695", revision=2))], minutes=60 * 24 * 7)
        if not NEWER_PYTHON:
            self.dialect.update({"oldproj/typing_helpers.py": "newer_python", "oldproj/greetings.py": "newer_python"})

    # -- truth ------------------------------------------------------------------------------------
    def finish_truth(self, truth: dict[str, Any], shas: dict[int, str]) -> None:
        """No incident; the odd dates and identities, and each legacy path's dialect."""
        truth["preset"] = "legacy"
        truth["incident"] = False
        truth["expect"] = {"damaging_events": 0, "culprit_damage": 0, "restore_rows": 0, "damaged_at_head": 0}
        truth["legacy_at_head"] = dict(sorted(self.dialect.items()))
        truth["newer_python_compiles_here"] = NEWER_PYTHON
        odd = []
        for o in self.odd:
            sha = shas[o["index"]]
            a, c = o["author_epoch"], o["committer_epoch"]
            odd.append({"sha": sha, "shape": o["shape"], "author": o["author"], "committer": o["author"],
                        "authored_raw": f"{a} {o['author_tz']}", "committed_raw": f"{c} {o['committer_tz']}",
                        "authored_at": _iso(a), "committed_at": _iso(c), "flags": o["flags"]})
            for row in truth["commits"]:
                if row["sha"] == sha:
                    row["author"], row["committed_at"] = o["author"], _iso(c)
        truth["odd_commits"] = odd


def legacy_truth(model: Model, shas: dict[int, str], truth: dict[str, Any]) -> dict[str, Any]:
    """``write_model``'s ``extra``: the legacy preset's truth sections (and its odd commits' authors and
    dates in ``commits``)."""
    model.finish_truth(truth, shas)  # type: ignore[attr-defined]
    return {}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
