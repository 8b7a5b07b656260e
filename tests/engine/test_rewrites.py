"""Line rewrites on crafted line pairs: what a real fixer leaves (re-indents, blank lines, a marker
prefix compounded with a placeholder on one line) yields exactly the transformations it applied."""
from __future__ import annotations

import re

from forensics.engine.rewrites import file_rewrites, line_rewrites, signature_rows, substitutions

MARK = "# REMOVED_SYNTAX_ERROR: "


def _sigs(old: str, new: str) -> list[tuple[str, str]]:
    return [(r.kind, r.signature) for r in line_rewrites(old, new)]


def test_a_reindent_trailing_whitespace_and_blank_lines_are_never_signatures():
    old = b"def f():\n    x = 1\n    return x\n"
    new = b"def f():\n\n        x = 1   \n\n\n        return x\t\n"
    assert file_rewrites(old, new) == []
    assert _sigs("x=foo(a,b)", "x = foo( a, b )") == []      # whitespace between tokens


def test_a_marker_prefix_compounded_with_a_placeholder_and_a_reindent_is_two_signatures():
    old = '        assert item["label"] == f"orders-{item[\'id\']}"'
    new = "    " + MARK + 'assert item["label"] == "formatted_string"'
    got = line_rewrites(old, new)
    assert [(r.kind, r.signature) for r in got] == [
        ("prefix_added", "prefix added '# REMOVED_SYNTAX_ERROR: '"),
        ("replaced", "'f\"...\"' -> '\"formatted_string\"'"),
    ]
    assert got[0].marker == r"^\s*# REMOVED_SYNTAX_ERROR:"
    assert got[1].result == '"formatted_string"'
    marker = re.compile(got[1].marker)
    assert marker.search('assert label == "formatted_string"')
    assert not marker.search("PLACEHOLDER = '\"formatted_string\"'")    # a script naming the placeholder


def test_a_comprehension_placeholder_is_one_substitution_of_the_whole_list():
    assert _sigs("values = [v * 2 for v in range(7)]", MARK + "values = [item for item in []]") == [
        ("prefix_added", "prefix added '# REMOVED_SYNTAX_ERROR: '"),
        ("replaced", "'[v * N for v in range(N)]' -> '[item for item in []]'"),
    ]


def test_a_changed_line_yields_its_minimal_token_substitution():
    got = line_rewrites("from app.websocket.manager import WebSocketManager",
                        "from app.websocket_core.manager import WebSocketManager")
    assert [(r.signature, r.marker) for r in got] == [("'websocket' -> 'websocket_core'", r"(?:^|\W)websocket_core(?:$|\W)")]
    assert substitutions("call(a, b)", "call(c, d)") == [("a, b", "c, d")]
    assert substitutions("x = 1", "x = 2") == [("1", "2")]
    # a statement wrapped over two lines leaves its bracket open: the substitution stays minimal
    assert substitutions("assert sum(values) == 20", "assert (sum(values) ==") == [("", "("), ("20", "")]
    assert _sigs("x = 1", "x = 2") == []            # digits are generalised: no rewrite left


def test_a_sed_unmask_is_a_prefix_removed_and_lines_added_or_removed_stand_alone():
    assert _sigs(MARK + "def test_x(self):", "def test_x(self):") == [
        ("prefix_removed", "prefix removed '# REMOVED_SYNTAX_ERROR: '")]
    got = file_rewrites(b"a = 1\nb = 2\n", b"a = 1\nimport pytest\nb = 2\n")
    assert [(r.kind, r.signature, r.marker) for r in got] == [
        ("line_added", "+ 'import pytest'", r"^\s*import pytest\s*$")]


def test_a_whole_block_commented_with_blank_lines_inserted_pairs_every_line():
    old = b"class T:\n    def test_a(self):\n        label = f'x-{1}'\n        assert label\n"
    new = ("# REMOVED_SYNTAX_ERROR: class T:\n\n    # REMOVED_SYNTAX_ERROR: def test_a(self):\n"
           "    # REMOVED_SYNTAX_ERROR: label = \"formatted_string\"\n\n"
           "    # REMOVED_SYNTAX_ERROR: assert label\n").encode()
    kinds = [(r.kind, r.signature) for r in file_rewrites(old, new)]
    assert kinds.count(("prefix_added", "prefix added '# REMOVED_SYNTAX_ERROR: '")) == 4
    assert kinds.count(("replaced", "\"f'...'\" -> '\"formatted_string\"'")) == 1
    assert len(kinds) == 5


def test_signature_rows_count_files_and_lines_for_the_guard():
    pairs = [(f"t{i}.py", b"x = f'a{i}'\ny = 1\n", b"x = 'formatted_string'\n\n  y = 1\n") for i in range(3)]
    rows = signature_rows(pairs, min_files=3)
    assert [(r["signature"], r["files"], r["lines"]) for r in rows] == [
        ("\"f'...'\" -> \"'formatted_string'\"", 3, 3)]
    assert signature_rows(pairs, min_files=4) == []


def test_every_marker_a_rewrite_proposes_runs_on_the_linear_time_engine():
    """What --as-markers prints goes back in as --marker: the tool's own patterns pass its own check and
    bound tokens as before (a quoted placeholder in a script's constant is not a placeholder)."""
    from forensics.engine.health import compile_markers

    pairs = [("x = f\"{a}\"", "x = \"formatted_string\""), ("v = [a for a in b]", "v = [item for item in []]"),
             ("from app.websocket.m import W", "from app.websocket_core.m import W"),
             ("y = (1,)", "y = [item for item in []]")]
    markers = [r.marker for old, new in pairs for r in line_rewrites(old, new) if r.marker]
    assert markers
    compiled = compile_markers(markers)
    fs = next(rx for rx, m in zip(compiled, markers) if "formatted_string" in m)
    assert fs.search('x = "formatted_string"') and fs.search('"formatted_string"')
    assert not fs.search("PLACEHOLDER = '\"formatted_string\"'")
    ws = next(rx for rx, m in zip(compiled, markers) if "websocket_core" in m)
    assert ws.search("import app.websocket_core.m") and not ws.search("import app.websocket_core_x")
