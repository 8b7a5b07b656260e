"""A placeholder counts on a line of code, never inside a multi-line string, a comment or another
string that quotes it; the same whether the file parses (the parse tree says where strings run) or
not (one lexical pass says it), and a run of backslashes costs no backtracking."""
from __future__ import annotations

from forensics.engine.health import compile_markers
from forensics.engine.placeholders import Probe, compile_probes, placeholder_lines

PROBE = Probe(r"""(?:^|[^\\'"])"formatted_string"(?:$|[^'"\w])""", '"formatted_string"')
MARKERS = compile_markers([r"^\s*#\s*REMOVED_SYNTAX_ERROR:"])

SOURCE = '''"""Module doc.

    label = "formatted_string"
"""
PLACEHOLDER = '"formatted_string"'


def test_x():
    label = "formatted_string"
    # REMOVED_SYNTAX_ERROR: other = "formatted_string"
    text = r\'\'\'
    value = "formatted_string"
\'\'\'
    assert label == "formatted_string"
'''


def _lines(text: str) -> list[int]:
    return sorted(placeholder_lines(text, compile_probes([PROBE]), MARKERS))


def test_only_code_lines_carry_the_placeholder_whether_or_not_the_file_parses():
    code_lines = [9, 14]
    assert _lines(SOURCE) == code_lines
    broken = SOURCE + "def broken(:\n"            # no longer parses: the lexical pass decides
    assert _lines(broken) == code_lines


def test_a_backslash_run_in_an_unclosed_string_is_read_once():
    text = 'x = "formatted_string"\ny = """' + "\\" * 5001 + "\n"
    assert _lines(text) == [1]
