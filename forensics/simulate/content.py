"""File models for the simulated incident. Each model renders to bytes and knows, by construction,
its markers, whether it compiles and its test count; the simulator cross-checks every version it
writes with the interpreter's own ``compile`` (never with forensics' health rules), so the truth
manifest is an independent oracle for the scanner.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

MARKER = "# REMOVED_SYNTAX_ERROR: "
WS_IMPORT_OLD = "from app.websocket.manager import WebSocketManager"
WS_IMPORT_NEW = "from app.websocket_core.manager import WebSocketManager"
SSOT_IMPORT = "from test_framework.ssot.base_test_case import SSotBaseTestCase"


def blob_id(data: bytes) -> str:
    """The git object id of a blob with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def state_of(markers: int, compiles: bool) -> str:
    if markers:
        return "marked" if compiles else "marked+broken"
    return "healthy" if compiles else "broken"


def _comment(lines: list[str]) -> list[str]:
    return [MARKER + line if line.strip() else line for line in lines]


@dataclass(frozen=True)
class Func:
    """A test function (module level) or method (in the test class)."""

    name: str
    n: int
    commented: bool = False
    broken: bool = False          # an invalid line such as `budget = $500K+`
    conflict: bool = False        # unresolved merge conflict markers

    def render(self, method: bool, topic: str, placeholder: bool) -> list[str]:
        ind = "        " if method else "    "
        head = f"    def {self.name}(self):" if method else f"def {self.name}():"
        if method:
            label = '"formatted_string"' if placeholder else f'f"{topic}-{{item[\'id\']}}"'
            body = [f"{ind}item = _make_{topic}({self.n})", f"{ind}assert item[\"label\"] == {label}",
                    f"{ind}assert len(self.items) >= 0"]
        else:
            comp = "[item for item in []]" if placeholder else f"[v * 2 for v in range({self.n % 9 + 2})]"
            total = sum(v * 2 for v in range(self.n % 9 + 2))
            body = [f"{ind}values = {comp}", f"{ind}assert sum(values) == {total}"]
        if self.conflict:
            last = body[-1]
            body[-1:] = ["<<<<<<< HEAD", last, "=======", last + "  # reviewed", ">>>>>>> feature/merge-fixes"]
        if self.broken:
            body.append(f"{ind}budget = $500K+")
        lines = [head, *body]
        return _comment(lines) if self.commented else lines

    @property
    def compiles(self) -> bool:
        return self.commented or not (self.broken or self.conflict)

    def markers(self, method: bool, topic: str, placeholder: bool) -> int:
        return sum(1 for ln in self.render(method, topic, placeholder) if ln.strip()) if self.commented else 0


@dataclass(frozen=True)
class TestModule:
    """A pytest module: imports, a helper, one test class with methods, and module-level tests."""

    topic: str
    area: str
    uses_ws: bool
    methods: tuple[Func, ...]
    functions: tuple[Func, ...]
    revision: int = 0
    ws_rewritten: bool = False
    ssot: bool = False             # the breaker added the SSOT import and base class
    class_broken: bool = False     # the breaker dropped the colon: `class TestX(SSotBaseTestCase)`
    class_commented: bool = False  # the fixer commented out the whole class block
    placeholder: bool = False      # f-strings and comprehensions replaced by placeholders

    @property
    def class_name(self) -> str:
        return "Test" + "".join(p.capitalize() for p in self.topic.split("_"))

    def _class_lines(self) -> list[str]:
        base = ""
        if self.ssot:
            base = "(SSotBaseTestCase)"
        colon = "" if self.class_broken else ":"
        comp = "[item for item in []]" if self.placeholder else f"[x * 2 for x in range({len(self.topic)})]"
        lines = [f"class {self.class_name}{base}{colon}", "    def setup_method(self):", f"        self.items = {comp}"]
        for m in self.methods:
            lines.append("")
            lines.extend(replace(m, commented=False).render(True, self.topic, self.placeholder))
        return _comment(lines) if self.class_commented else lines

    def render_text(self) -> str:
        label = '"formatted_string"' if self.placeholder else f'f"{self.topic}-{{value}}"'
        lines = [f'"""Tests for {self.topic.replace("_", " ")} ({self.area}), revision {self.revision}."""',
                 "import pytest"]
        if self.uses_ws:
            lines.append(WS_IMPORT_NEW if self.ws_rewritten else WS_IMPORT_OLD)
        if self.ssot:
            lines.append(SSOT_IMPORT)
        lines += ["", "", f"def _make_{self.topic}(value):",
                  f'    return {{"id": value, "label": {label}}}', "", ""]
        lines += self._class_lines()
        for f in self.functions:
            lines += ["", ""]
            lines += f.render(False, self.topic, self.placeholder)
        return "\n".join(lines) + "\n"

    def render(self) -> bytes:
        return self.render_text().encode()

    @property
    def compiles(self) -> bool:
        if not self.class_commented:
            if self.class_broken or any(not m.compiles or m.broken or m.conflict for m in self.methods):
                return False
        return all(f.compiles for f in self.functions)

    @property
    def markers(self) -> int:
        return sum(1 for ln in self.render_text().splitlines() if ln.startswith(MARKER))

    @property
    def tests(self) -> int:
        class_tests = 0 if self.class_commented else len(self.methods)
        return class_tests + sum(1 for f in self.functions if not f.commented)

    @property
    def state(self) -> str:
        return state_of(self.markers, self.compiles)

    # -- transformations the incident applies -------------------------------------------------
    def edited(self, extra: Func | None = None) -> "TestModule":
        funcs = self.functions + ((extra,) if extra else ())
        return replace(self, revision=self.revision + 1, functions=funcs)

    def unmasked(self) -> "TestModule":
        return replace(self, class_commented=False,
                       functions=tuple(replace(f, commented=False) for f in self.functions))


@dataclass(frozen=True)
class SrcModule:
    package: str
    name: str
    revision: int = 0
    broken: bool = False

    def render(self) -> bytes:
        cls = "".join(p.capitalize() for p in self.name.split("_"))
        colon = "" if self.broken else ":"
        return (f'"""Module app.{self.package}.{self.name}, revision {self.revision}."""\n\n\n'
                f"class {cls}:\n    def __init__(self, value):\n        self.value = value\n\n"
                f"    def describe(self){colon}\n        return f\"{cls}({{self.value}})\"\n").encode()

    compiles = property(lambda self: not self.broken)
    markers = property(lambda self: 0)
    tests = property(lambda self: 0)
    state = property(lambda self: state_of(0, not self.broken))


@dataclass(frozen=True)
class RawFile:
    """Bytes whose health is stated by the simulator (and still cross-checked by ``compile``)."""

    data: bytes
    compiles: bool = True
    markers: int = 0
    tests: int = 0
    python: bool = True
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def render(self) -> bytes:
        return self.data

    @property
    def state(self) -> str:
        return state_of(self.markers, self.compiles)


REPAIR_SCRIPT = '''"""Strip REMOVED_SYNTAX_ERROR markers from damaged test files.

A damaged line looks like this (the marker text below is an example, not a marker):
# REMOVED_SYNTAX_ERROR: def test_websocket_events(self):
"""
import re
import sys

MARKER = "# REMOVED_SYNTAX_ERROR: "
PATTERN = re.compile(r"^\\s*# REMOVED_SYNTAX_ERROR: ", re.MULTILINE)


def unmask(text):
    return PATTERN.sub("", text)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        with open(name) as fh:
            text = fh.read()
        print(name, text.count(MARKER))
'''

BULK_IMPORT_SCRIPT = f'''"""Rewrite websocket imports across the test suite, keeping backups."""
import pathlib
import shutil
import time

OLD = "{WS_IMPORT_OLD}"
NEW = "{WS_IMPORT_NEW}"


def main():
    stamp = time.strftime("%Y%m%d_%H%M%S")
    for path in pathlib.Path("tests").rglob("*.py"):
        text = path.read_text()
        if OLD in text:
            shutil.copy(path, f"{{path}}.backup_{{stamp}}")
            path.write_text(text.replace(OLD, NEW))


if __name__ == "__main__":
    main()
'''

MIGRATE_SCRIPT = '''"""Migrate test classes to SSotBaseTestCase."""
import pathlib
import re

CLASS = re.compile(r"^class (Test\\w+):$", re.MULTILINE)


def migrate(text):
    return CLASS.sub(r"class \\1(SSotBaseTestCase):", text)


if __name__ == "__main__":
    for path in pathlib.Path("tests").rglob("test_*.py"):
        path.write_text(migrate(path.read_text()))
'''
