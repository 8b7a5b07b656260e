"""The health rules: markers, py_compile equivalence, test counting, backup paths."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from forensics.errors import BadPattern
from forensics.engine.health import (DEFAULT_MARKERS, HealthRules, compile_markers, is_backup_path, judge,
                              original_name)

RULES = HealthRules()

PY_COMPILE_PROBE = textwrap.dedent("""
    import json, py_compile, sys, tempfile, os
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(sys.argv[1:]):
            try:
                py_compile.compile(name, cfile=os.path.join(tmp, f"{i}.pyc"), doraise=True)
                out[name] = True
            except py_compile.PyCompileError:
                out[name] = False
    print(json.dumps(out))
""")


def test_compiles_agrees_with_py_compile_on_every_file_of_the_demo(repo):
    """Every .py in the demo worktree, including NUL, latin-1 and undecodable ones."""
    files = sorted(str(p) for p in Path(repo).rglob("*.py") if ".git" not in p.parts)
    assert len(files) > 200
    proc = subprocess.run([sys.executable, "-c", PY_COMPILE_PROBE, *files], capture_output=True, text=True,
                          check=True)
    reference = json.loads(proc.stdout)
    mine = {f: judge(Path(f).read_bytes(), RULES.compiled_markers).compiles for f in files}
    assert mine == reference
    assert sum(not v for v in reference.values()) > 20  # the comparison covers failures too


@pytest.mark.parametrize("source, compiles", [
    (b"x = 1\n", True),
    (b"x = 1\n\x00\n", False),                                  # NUL byte
    (b"NAME = 'caf\xe9'\n", False),                              # undecodable without a coding cookie
    (b"# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n", True),    # declared encoding
    (b"\xef\xbb\xbfx = 1\n", True),                              # UTF-8 BOM
    (b"def f():\n    return\nreturn 1\n", False),                # compile-stage error, not a parse error
    (b"nonlocal x\n", False),                                    # symtable error
])
def test_compile_check_edge_cases(source, compiles, tmp_path):
    f = tmp_path / "case.py"
    f.write_bytes(source)
    proc = subprocess.run([sys.executable, "-c", PY_COMPILE_PROBE, str(f)], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout)[str(f)] is compiles
    assert judge(source, RULES.compiled_markers).compiles is compiles


def test_marker_lines_are_counted_and_the_state_follows():
    src = b"def test_a():\n    pass\n# REMOVED_SYNTAX_ERROR: def test_b():\n#REMOVED_SYNTAX_ERROR:     x = 1\n"
    h = judge(src, RULES.compiled_markers)
    assert (h.markers, h.first_marker_line, h.compiles, h.tests, h.state) == (2, 3, True, 1, "marked")


def test_a_script_that_mentions_the_marker_is_not_marked():
    src = textwrap.dedent('''\
        """Strip markers.

        # REMOVED_SYNTAX_ERROR: shown as an example inside a docstring
        """
        import re
        MARKER = "# REMOVED_SYNTAX_ERROR: "
        PATTERN = re.compile(r"^\\s*# REMOVED_SYNTAX_ERROR: ")
        TEMPLATE = f"""
        # REMOVED_SYNTAX_ERROR: {MARKER}
        """
        ''').encode()
    h = judge(src, RULES.compiled_markers)
    assert h.compiles and h.markers == 0 and h.state == "healthy"


def test_the_demo_repair_script_is_healthy(scanned):
    row = scanned.subjects.set_index("path").loc["scripts/repair_markers.py"]
    assert row["state"] == "healthy" and row["markers"] == 0


def test_tests_are_counted_on_the_ast_or_by_the_documented_fallback():
    ok = b"class TestA:\n    def test_x(self):\n        def test_nested():\n            pass\n\nasync def test_y():\n    pass\n"
    assert judge(ok, RULES.compiled_markers).tests == 2
    broken = b"class TestA(\n    def test_x(self):\n        pass\n# def test_commented():\nasync def test_y():\n"
    h = judge(broken, RULES.compiled_markers)
    assert not h.compiles and h.tests == 2


def test_broken_and_marked_together():
    src = b"# REMOVED_SYNTAX_ERROR: x = 1\nbudget = $500K+\n"
    h = judge(src, RULES.compiled_markers)
    assert h.state == "marked+broken" and h.error_class == "SyntaxError" and h.error_line == 2


def test_unreadable_version():
    h = judge(None, RULES.compiled_markers)
    assert not h.readable and h.state == "unreadable"


@pytest.mark.parametrize("pattern", ["(", "[a-", "(?P<x>a)(?P<x>b)"])
def test_a_bad_marker_regex_is_refused_with_a_reason(pattern):
    with pytest.raises(BadPattern) as info:
        compile_markers([pattern])
    assert pattern in str(info.value)


def test_a_marker_that_matches_every_line_is_refused():
    with pytest.raises(BadPattern):
        compile_markers(["^"])


def test_custom_markers_replace_the_defaults():
    rules = HealthRules(markers=(r'"formatted_string"',))
    src = b'label = "formatted_string"\n# REMOVED_SYNTAX_ERROR: x\n'
    assert judge(src, rules.compiled_markers).markers == 1
    assert DEFAULT_MARKERS == (r"^\s*#\s*REMOVED_SYNTAX_ERROR:",)


@pytest.mark.parametrize("path, backup", [
    ("tests/a.py.backup_20250917_084026", True),
    ("backups/tests_20250908_101500/tests/a.py", True),
    ("old/BackUp/a.py", True),
    ("a.py.bak", True), ("a.py.orig", True), ("a.py~", True),
    ("tests/test_backup_restore.py", False),
    ("src/app/backupper.py", False),
])
def test_backup_paths(path, backup):
    assert is_backup_path(path) is backup


def test_original_name_of_a_backup():
    assert original_name("tests/a.py.backup_20250917_084026") == "tests/a.py"
    assert original_name("a.py.bak") == "a.py"
    assert original_name("x/a.py~") == "x/a.py"


def test_counting_tests_on_code_objects_equals_counting_on_the_ast(repo):
    from forensics.engine.health import count_tests, count_tests_ast, compile_check

    samples = [p.read_bytes() for p in Path(repo).rglob("*.py") if ".git" not in p.parts]
    samples.append(textwrap.dedent('''\
        import sys
        class TestA:
            def test_a(self):
                def test_nested():
                    pass
            class TestInner:
                async def test_b(self):
                    pass
        if sys.version_info > (3,):
            def test_c():
                pass
        try:
            def test_d():
                pass
        except ImportError:
            def test_e():
                pass
        values = [x for x in range(3)]
        test_lambda = lambda: None
        ''').encode())
    checked = 0
    for src in samples:
        compiles, *_, code = compile_check(src)
        if compiles:
            assert count_tests(src, code) == count_tests_ast(src)
            checked += 1
    assert checked > 100 and count_tests(samples[-1], compile_check(samples[-1])[-1]) == 5
