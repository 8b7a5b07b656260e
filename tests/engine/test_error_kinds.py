"""Every version that does not compile gets a documented error kind; Python 2 and newer-Python code is told apart
from damage. Each crafted source is first checked to fail with the running interpreter's own compile()."""
from __future__ import annotations

import sys
import warnings

import pytest

from forensics.engine.error_kinds import ERROR_KINDS, dialect_only, error_kind
from forensics.engine.health import DEFAULT_MARKERS, compile_markers, judge

PY2 = {
    "print statement": b"print 'hello'\n",
    "print statement over two lines": b"print 'a %s' % (\n    1)\n",
    "except E, e": b"try:\n    pass\nexcept ValueError, e:\n    pass\n",
    "backticks": b"x = `1`\n",
    "<>": b"if 1 <> 2:\n    pass\n",
    "ur''": b"x = ur'abc'\n",
    "octal 0777": b"x = 0777\n",
    "long 10L": b"x = 10L\n",
    "exec statement": b"exec 'x = 1'\n",
    "exec in": b"exec code in ns\n",
    "raise E, v": b"raise ValueError, 'bad'\n",
    "tabs mixed with spaces": b"if 1:\n        x = 1\n\ty = 2\n",
    "tuple parameters": b"def f(a, (b, c)):\n    pass\n",
    "lambda tuple parameters": b"f = lambda (a, b): a\n",
    "all of them": (b"import sys\nclass A:\n\tdef f(self):\n\t\ttry:\n\t\t\tprint 'x', `1`\n"
                    b"\t\texcept ValueError, e:\n\t\t\traise ValueError, 'bad'\n\t\tif 1 <> 2: exec 'y=1'\n"
                    b"        \treturn 0777 + 10L, ur'a'\n"),
}
NEWER = {
    "PEP 695 generic function": b"def f[T](x: T) -> T:\n    return x\n",
    "PEP 695 generic class": b"class C[T]:\n    pass\n",
    "PEP 695 type alias": b"type Alias = list[int]\n",
    "3.12 f-string with its own quotes": b"d = {'k': 1}\nx = f\"{d[\"k\"]}\"\n",
    "3.12 f-string with a backslash": b"x = f\"{'\\n'.join(['a'])}\"\n",
    "3.12 f-string with a comment": b"x = f'''{1 # c\n}'''\n",
}
OTHERS = {
    "unterminated_string": [b"x = 'abc\n", b"x = '''abc\n"],
    "invalid_decimal_literal": [b"x = 1abc\n", b"x = 2nd\n", b"x = 0x1g\n"],
    "unmatched_bracket": [b"x = (1, 2]\n", b"x = (1, 2\n", b"x = 1)\n"],
    "indentation": [b"if 1:\nx = 1\n", b"x = 1\n    y = 2\n", b"if 1:\n    x = 1\n  y = 2\n",
                    b"if 1:\n  \tx = 1\n\t  y = 2\n"],
    "undecodable": [b"x = 'caf\xe9'\n", b"x = 1\n\x00\n", b"# -*- coding: foo -*-\nx = 1\n"],
    "other": [b"class A\n    pass\n", b"x = = 1\n", b"f'{x'\n", b"async = 1\n"],
}


def _fails(source: bytes) -> tuple[str, str, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<crafted>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return type(exc).__name__, str(exc.msg), int(exc.lineno or 0)
    except Exception as exc:
        return type(exc).__name__, str(exc), 0
    pytest.skip(f"this interpreter ({sys.version.split()[0]}) compiles it")


@pytest.mark.parametrize("name", sorted(PY2))
def test_python2_syntax_is_python2_and_only_python2(name):
    source = PY2[name]
    cls, msg, line = _fails(source)
    assert error_kind(cls, msg, line, source) == "python2"
    assert dialect_only("python2", source)


@pytest.mark.parametrize("name", sorted(NEWER))
def test_newer_python_syntax_is_newer_python(name):
    source = NEWER[name]
    cls, msg, line = _fails(source)
    assert error_kind(cls, msg, line, source) == "newer_python"


@pytest.mark.parametrize("kind, source", [(k, s) for k, sources in OTHERS.items() for s in sources])
def test_every_other_kind(kind, source):
    cls, msg, line = _fails(source)
    assert error_kind(cls, msg, line, source) == kind
    assert kind in ERROR_KINDS


def test_python2_code_with_damage_besides_is_not_only_python2():
    """The breaker dropped a colon in a Python 2 file: the first error is Python 2's, the file is not only that."""
    source = b"print 'x'\nclass A\n    pass\n"
    cls, msg, line = _fails(source)
    assert error_kind(cls, msg, line, source) == "python2"
    assert not dialect_only("python2", source)
    tabs_beyond_python2 = b"if 1:\n    if 1:\n\tx = 1\n        \ty = 2\n"
    cls, msg, line = _fails(tabs_beyond_python2)
    assert error_kind(cls, msg, line, tabs_beyond_python2) == "indentation"


def test_judge_records_the_kind_and_a_missing_object_is_unreadable():
    patterns = compile_markers(DEFAULT_MARKERS)
    v = judge(b"print 'x'\n", patterns)
    assert (v.state, v.error_kind, v.dialect_only) == ("broken", "python2", True)
    assert judge(b"x = 1\n", patterns).error_kind == ""
    assert judge(None, patterns).error_kind == "unreadable"
    marked = judge(b"# REMOVED_SYNTAX_ERROR: class A\nclass A\n    pass\n", patterns)
    assert marked.error_kind == "other" and not marked.dialect_only
