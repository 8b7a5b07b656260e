"""File models for the realistic incident (``--preset realistic``).

Each model renders to bytes and knows by construction its markers, whether it compiles and its test
count; :class:`forensics.simulate.model.Model` cross-checks every version with the interpreter's own
``compile``. The fixer's output is modelled the way real fixer output looks: one line carries the
marker prefix, a placeholder rewrite (``f"..."`` -> ``"formatted_string"``, a comprehension ->
``[item for item in []]``) and a re-indent; untouched lines are re-indented and blank lines inserted.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from forensics.simulate.content import MARKER, SSOT_IMPORT, WS_IMPORT_NEW, WS_IMPORT_OLD, state_of

PH_STRING = '"formatted_string"'
PH_LIST = "[item for item in []]"
PLACEHOLDERS: tuple[str, ...] = (PH_STRING, PH_LIST)
IMPORT_GENERATIONS = ("test_framework.fixtures", "test_framework.fixtures.core", "shared.test_fixtures",
                      "test_framework.ssot.fixtures", "netra.testing.fixtures")

CODE, MASKED, SURFACED = "code", "masked", "surfaced"   # a block as written / commented by the fixer / sed-unmasked


def _split(line: str) -> tuple[str, str]:
    body = line.lstrip(" ")
    return line[: len(line) - len(body)], body


@dataclass(frozen=True)
class RealTest:
    """A pytest module: docstring, imports, a helper returning a dict, one test class, module tests.

    Damage it can carry: ``class_broken`` (incident A's breaker dropped the class colon),
    ``class_mode`` (the fixer commented the class block out, re-indented and with placeholders:
    ``masked``; sed stripped the markers again: ``surfaced``), ``funcs_mode``/``funcs_n`` (the fixer
    commented the first N module tests, indentation kept, placeholders written; sed: ``surfaced``,
    which compiles: a silent path), ``wrap`` (incident B's style commit left an assertion's
    parenthesis open: 1; closed again: 2).
    """

    topic: str
    area: str
    uses_ws: bool
    methods: tuple[str, ...]
    functions: tuple[str, ...]
    seed: int
    revision: int = 0
    fmt: int = 0
    imp: int = 0
    ws_rewritten: bool = False
    ssot: bool = False
    class_broken: bool = False
    class_mode: str = CODE
    funcs_mode: str = CODE
    funcs_n: int = 0
    fixer_noise: bool = False
    wrap: int = 0

    @property
    def class_name(self) -> str:
        return "Test" + "".join(p.capitalize() for p in self.topic.split("_"))

    # -- rendering -------------------------------------------------------------------------------
    def _docstring(self) -> list[str]:
        text = f"Tests for {self.topic.replace('_', ' ')} ({self.area}), revision {self.revision}."
        variant = self.fmt % 3
        if variant == 0:
            return [f'"""{text}"""']
        if variant == 1:
            return [f"'''{text}'''"]
        return ['"""', text, '"""']

    def _class_lines(self) -> list[str]:
        base = "(SSotBaseTestCase)" if self.ssot else ""
        colon = "" if self.class_broken else ":"
        lines = [f"class {self.class_name}{base}{colon}", "    def setup_method(self):",
                 f"        self.items = [x * 2 for x in range({len(self.topic)})]"]
        for i, name in enumerate(self.methods):
            lines += ["", f"    def {name}(self):", f"        item = _make_{self.topic}({self.seed + i})",
                      f"        assert item[\"label\"] == f\"{self.topic}-{{item['id']}}\"",
                      "        assert len(self.items) >= 0"]
        return lines

    def _function_lines(self, k: int, name: str) -> list[str]:
        n = (self.seed + k) % 9 + 2
        total = sum(v * 2 for v in range(n))
        lines = [f"def {name}():", f"    values = [v * 2 for v in range({n})]",
                 f'    label = f"{self.topic}-{{len(values)}}"']
        if k == 0 and self.wrap:
            lines += ["    assert (sum(values) ==", f"            {total}" + (")" if self.wrap == 2 else "")]
        else:
            lines.append(f"    assert sum(values) == {total}")
        lines.append(f'    assert label.startswith("{self.topic}")')
        return lines

    @staticmethod
    def _rewrite(body: str) -> str:
        """The fixer's placeholder rewrites of one line's code."""
        if 'f"' in body:
            start = body.index('f"')
            end = body.index('"', start + 2)
            body = body[:start] + PH_STRING + body[end + 1:]
        if " for " in body and "[" in body:
            start = body.index("[")
            end = body.index("]", start)
            body = body[:start] + PH_LIST + body[end + 1:]
        return body

    @classmethod
    def _fixed(cls, lines: list[str], mode: str, dedent: bool) -> list[str]:
        """Lines as the fixer wrote them (``masked``) or as sed left them (``surfaced``)."""
        if mode == CODE:
            return lines
        out = []
        for line in lines:
            if not line.strip():
                out.append(line)
                continue
            ind, body = _split(line)
            if dedent and len(ind) >= 8:
                ind = ind[4:]
            out.append(ind + (MARKER if mode == MASKED else "") + cls._rewrite(body))
        return out

    def render_text(self) -> str:
        lines = self._docstring() + ["import pytest", f"from {IMPORT_GENERATIONS[self.imp % len(IMPORT_GENERATIONS)]} "
                                                      "import fixtures"]
        if self.uses_ws:
            lines.append(WS_IMPORT_NEW if self.ws_rewritten else WS_IMPORT_OLD)
        if self.ssot:
            lines.append(SSOT_IMPORT)
        item = " " * (12 if self.fixer_noise else 8)
        lines += [""] * (3 if self.fixer_noise else 2)
        lines += [f"def _make_{self.topic}(value):", "    return {", f'{item}"id": value,',
                  f'{item}"label": f"{self.topic}-{{value}}",', "    }", "", ""]
        lines += self._fixed(self._class_lines(), self.class_mode, dedent=True)
        for k, name in enumerate(self.functions):
            lines += ["", "", ""] if (self.fixer_noise and k == 0) else ["", ""]
            block = self._function_lines(k, name)
            lines += self._fixed(block, self.funcs_mode, dedent=False) if k < self.funcs_n else block
        return "\n".join(lines) + "\n"

    def render(self) -> bytes:
        return self.render_text().encode()

    # -- health by construction ------------------------------------------------------------------
    @property
    def compiles(self) -> bool:
        return not (self.class_broken and self.class_mode != MASKED) and self.wrap != 1

    @property
    def markers(self) -> int:
        count = 0
        if self.class_mode == MASKED:
            count += sum(1 for ln in self._class_lines() if ln.strip())
        if self.funcs_mode == MASKED:
            count += sum(sum(1 for ln in self._function_lines(k, name) if ln.strip())
                         for k, name in enumerate(self.functions[: self.funcs_n]))
        return count

    @property
    def tests(self) -> int:
        return (0 if self.class_mode == MASKED else len(self.methods)) + len(self.functions) - (
            self.funcs_n if self.funcs_mode == MASKED else 0)

    @property
    def tests_commented(self) -> int:
        """Test functions the fixer's markers hide (what a CI run silently loses)."""
        return (len(self.methods) if self.class_mode == MASKED else 0) + (
            self.funcs_n if self.funcs_mode == MASKED else 0)

    @property
    def state(self) -> str:
        return state_of(self.markers, self.compiles)

    def placeholder_lines(self) -> list[str]:
        """Lines of code (not marker lines) carrying a placeholder the fixer wrote."""
        return [ln for ln in self.render_text().splitlines()
                if any(p in ln for p in PLACEHOLDERS) and not ln.lstrip().startswith("#")]

    # -- ordinary and bulk edits that damage nothing ----------------------------------------------
    def edited(self, name: str) -> "RealTest":
        return replace(self, revision=self.revision + 1, functions=self.functions + (name,))

    def formatted(self) -> "RealTest":
        return replace(self, fmt=self.fmt + 1)

    def imports_rewritten(self) -> "RealTest":
        return replace(self, imp=self.imp + 1)


@dataclass(frozen=True)
class GenModule:
    """A generated module the automation accounts rewrite in bursts, sometimes broken or marked."""

    name: str
    build: int = 0
    broken: bool = False
    marked: bool = False

    def render(self) -> bytes:
        colon = "" if self.broken else ":"
        mark = f'{MARKER}FIELDS.append("legacy_{self.build}")\n' if self.marked else ""
        return (f'"""Generated schema {self.name}, build {self.build}."""\n'
                f'FIELDS = ["id", "name", "build_{self.build}"]\n{mark}\n\n'
                f"def validate(record){colon}\n    return all(k in record for k in FIELDS)\n").encode()

    compiles = property(lambda self: not self.broken)
    markers = property(lambda self: 1 if self.marked else 0)
    tests = property(lambda self: 0)
    state = property(lambda self: state_of(1 if self.marked else 0, not self.broken))

    def rebuilt(self, broken: bool = False, marked: bool = False) -> "GenModule":
        return replace(self, build=self.build + 1, broken=broken, marked=marked)


_VERB_TITLES = {"fix": "Fix", "check": "Check", "validate": "Validate", "run": "Run"}


def script_text(name: str, subject: str, revision: int = 0) -> bytes:
    """A small, healthy, script-like file (``fix_*.py``, ``check_*.py``, ...): no marker, no placeholder."""
    verb = _VERB_TITLES.get(name.split("_", 1)[0], "Run")
    return (f'"""{verb} {subject.replace("_", " ")} ({name}.py), revision {revision}."""\n'
            "import sys\n\n\n"
            "def main(argv):\n"
            f"    targets = [a for a in argv if a.endswith(\".py\")]\n"
            f"    print(\"{name}:\", len(targets))\n"
            "    return 0\n\n\n"
            'if __name__ == "__main__":\n    sys.exit(main(sys.argv[1:]))\n').encode()


FIXER_SCRIPT = '''"""Comment out lines that stop the test suite from collecting (run in batches by the autofix job)."""
import pathlib
import py_compile
import re
import subprocess

MARKER = "# REMOVED_SYNTAX_ERROR: "
PLACEHOLDER = '"formatted_string"'
EMPTY_LIST = "[item for item in []]"
FSTRING = re.compile(r'f"[^"]*"')
COMPREHENSION = re.compile(r"\\[[^\\]]+ for [^\\]]+\\]")


def rewrite(line):
    indent = line[: len(line) - len(line.lstrip())]
    body = COMPREHENSION.sub(EMPTY_LIST, FSTRING.sub(PLACEHOLDER, line.strip()))
    if len(indent) >= 8:
        indent = indent[4:]
    return indent + MARKER + body


def broken(path):
    try:
        py_compile.compile(str(path), doraise=True)
    except py_compile.PyCompileError:
        return True
    return False


def main(batch_size=6):
    files = [p for p in sorted(pathlib.Path("tests").rglob("test_*.py")) if broken(p)]
    for start in range(0, len(files), batch_size):
        for path in files[start:start + batch_size]:
            lines = path.read_text().splitlines()
            path.write_text("\\n".join(rewrite(ln) if ln.strip() else ln for ln in lines) + "\\n")
        subprocess.run(["git", "commit", "-qam", "Auto-fix syntax errors"], check=False)


if __name__ == "__main__":
    main()
'''

BULK_WS_SCRIPT = f'''"""Rewrite websocket imports across the test suite, keeping backups."""
import pathlib
import shutil
import time

OLD = "{WS_IMPORT_OLD}"
NEW = "{WS_IMPORT_NEW}"


def main():
    for path in sorted(pathlib.Path("tests").rglob("*.py")):
        text = path.read_text()
        if OLD in text:
            stamp = time.strftime("%Y%m%d_%H%M%S")
            shutil.copy(path, f"{{path}}.backup_{{stamp}}")
            path.write_text(text.replace(OLD, NEW))


if __name__ == "__main__":
    main()
'''

WRAP_SCRIPT = '''"""Wrap long assertions to the project's line length."""
import pathlib
import re

ASSERT = re.compile(r"^(\\s*)assert (sum\\(values\\) ==) (\\d+)$", re.MULTILINE)


def wrap(text):
    return ASSERT.sub(lambda m: f"{m.group(1)}assert ({m.group(2)}\\n{m.group(1)}        {m.group(3)}", text, count=1)


if __name__ == "__main__":
    for path in sorted(pathlib.Path("tests").rglob("test_*.py")):
        path.write_text(wrap(path.read_text()))
'''

MIGRATE_SCRIPT = '''"""Migrate test classes to SSotBaseTestCase."""
import pathlib
import re

CLASS = re.compile(r"^class (Test\\w+):$", re.MULTILINE)


def migrate(text):
    return CLASS.sub(r"class \\1(SSotBaseTestCase)", text)


if __name__ == "__main__":
    for path in pathlib.Path("tests").rglob("test_*.py"):
        path.write_text(migrate(path.read_text()))
'''

UNIFIED_RUNNER = '''"""The unified test runner: picks test categories and runs them (what it collects is its own business)."""
import argparse
import subprocess
import sys

CATEGORIES = {"smoke": ["tests/startup"], "unit": ["tests/unit"], "mission": ["tests/mission_critical"]}


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--category", default="smoke", choices=sorted(CATEGORIES))
    args = parser.parse_args(argv)
    return subprocess.call([sys.executable, "-m", "pytest", *CATEGORIES[args.category]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

PYPROJECT = '''[project]
name = "netra-realistic"
version = "1.0"

[tool.pytest.ini_options]
testpaths = ["tests/unit", "tests/integration"]
python_files = ["test_*.py"]
addopts = "-p no:cacheprovider"
markers = [
    "ssot: Single Source of Truth pattern tests",
    "mission_critical: Mission critical tests that gate every deploy",
    "slow: tests that take more than a few seconds",
]
'''
