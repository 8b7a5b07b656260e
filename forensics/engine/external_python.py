"""Judge with another Python (``--python PATH``): a long-lived child of that interpreter compiles each
version exactly as ``python -m py_compile`` would there, and counts what only its code objects know
(tests, statements, definitions). Markers, error kinds and the text measures stay in this process.

The child runs :data:`CHILD` (standard library only, Python 3.6 or newer) with ``-I -S`` (isolated: no
site, no environment, no current directory on its path), reads frames (4-byte big-endian length, then
the source bytes) on stdin and answers one JSON line per frame. Nothing from the analysed repository is
run: it is compiled, never executed. Each judging worker starts its own child.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess

from forensics.errors import ForensicsError

CHILD = r'''
import json, platform, struct, sys, types, warnings
CO_OPTIMIZED = 1
def tests(code):
    n = 0
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_flags & CO_OPTIMIZED:
                n += c.co_name.startswith("test")
            else:
                n += tests(c)
    return n
def lines_of(c):
    if hasattr(c, "co_lines"):
        return [l for _, _, l in c.co_lines() if l]
    import dis
    return [l for _, l in dis.findlinestarts(c) if l]
def content(module):
    lines, defs, stack = set(), 0, [module]
    while stack:
        c = stack.pop()
        lines.update(lines_of(c))
        for k in c.co_consts:
            if isinstance(k, types.CodeType):
                stack.append(k)
                defs += not k.co_name.startswith("<")
    return len(lines), defs
out = sys.stdout
out.write(json.dumps([platform.python_implementation(), platform.python_version()]) + "\n")
out.flush()
read = sys.stdin.buffer.read
while True:
    head = read(4)
    if len(head) < 4:
        break
    data = read(struct.unpack(">I", head)[0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = compile(data, "<version>", "exec", dont_inherit=True, optimize=-1)
    except SyntaxError as exc:
        row = [False, type(exc).__name__, str(exc.msg or exc), int(exc.lineno or 0), -1, -1, -1]
    except Exception as exc:
        row = [False, type(exc).__name__, str(exc), 0, -1, -1, -1]
    else:
        statements, defs = content(code)
        row = [True, "", "", 0, tests(code) if (b"def test" in data or b"def\ttest" in data) else 0, statements, defs]
    out.write(json.dumps(row) + "\n")
    out.flush()
'''


class BadPython(ForensicsError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"bad --python {path!r}: {reason} (give the path of a Python 3 interpreter)")


class ExternalCompiler:
    """One child of the interpreter at ``path``; :meth:`compile` judges one version's bytes."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.proc = subprocess.Popen([path, "-I", "-S", "-c", CHILD], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={})
        except OSError as exc:
            raise BadPython(path, exc.strerror or str(exc)) from None
        first = self.proc.stdout.readline() if self.proc.stdout else b""
        try:
            implementation, version = json.loads(first)
        except ValueError:
            self.close()
            raise BadPython(path, "it did not answer as a Python 3 interpreter") from None
        self.label = f"{implementation} {version}"
        self.version = str(version)
        if not self.version.startswith("3."):
            self.close()
            raise BadPython(path, f"it is {self.label}; only Python 3 can be judged with")

    def compile(self, data: bytes) -> tuple[bool, str, str, int, int, int, int]:
        """(compiles, error class, message, line, tests, statements, definitions) as that Python says."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise ForensicsError(f"the interpreter given with --python ({self.path}) stopped while judging")
        ok, cls, msg, lineno, tests, statements, defs = json.loads(line)
        return bool(ok), str(cls), str(msg), int(lineno), int(tests), int(statements), int(defs)

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> "ExternalCompiler":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def interpreter_label(path: str) -> tuple[str, str]:
    """(absolute path, "CPython 3.12.1") of the interpreter at ``path``; a path that is not one raises
    :class:`BadPython` (exit 2, one line)."""
    resolved = os.path.abspath(path)
    if not os.path.isfile(resolved) or not os.access(resolved, os.X_OK):
        raise BadPython(path, "no executable file there")
    with ExternalCompiler(resolved) as child:
        return resolved, child.label
