"""Which Python the analysed repository says it targets, read from its files at the scanned revision
(never its worktree): ``requires-python`` in ``pyproject.toml``, ``python_requires`` in ``setup.cfg`` /
``setup.py``, a ``.python-version`` file, ``python-version`` in GitHub workflows, and ``FROM python:X``
in Dockerfiles (any directory). Every value is data: at most the first 64 KiB of a file is read, only
version numbers are taken from it.

:func:`declared_python` returns ``{"sources": [{"file", "says"}], "requires": "3.8" | None, "runs_on":
["3.12"], "minimum": "3.12" | None, "judging": "3.11", "needs_newer": bool}``: ``requires`` is the lower
bound of ``requires-python``; ``runs_on`` the versions CI, ``.python-version`` and Dockerfiles name;
``minimum`` the oldest Python the repository can be run with as far as its files say (the newer of
``requires`` and the oldest of ``runs_on``); ``needs_newer`` says that minimum is newer than the judging
interpreter, so code written for it (3.12 f-strings, PEP 695 generics) may not compile here: judge with
``--python`` pointing at that version.
"""
from __future__ import annotations

import re
from typing import Callable

MAX_BYTES = 64 * 1024
MAX_SOURCES = 20

_VERSION = re.compile(r"(?<![\d.])(3\.\d{1,2}|2\.\d)(?:\.\d+)?(?![\d])")
_REQUIRES = re.compile(r"""(?:requires-python|python_requires)\s*[=:]\s*["']?([^"'\n]{1,100})""")
_LOWER = re.compile(r"(?:>=|~=|==|>)\s*(\d+\.\d+)")
_WORKFLOW = re.compile(r"python-version\s*:\s*([^\n#]{1,200})")
_DOCKER = re.compile(r"(?im)^\s*FROM\s+(?:--platform=\S+\s+)?(?:[\w.-]+/)?python:(\d+\.\d+)")


def _printable(text: str) -> str:
    """Text from the repository, shown to people: control characters (terminal escapes, newlines,
    bidi overrides) become ``?``."""
    return "".join(ch if ch.isprintable() and not 0x202A <= ord(ch) <= 0x202E and not 0x2066 <= ord(ch) <= 0x2069
                   else "?" for ch in text)[:200]


def _key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def is_declaring_file(path: str) -> bool:
    """Files that can say which Python a repository targets."""
    name = path.rsplit("/", 1)[-1]
    return (path in ("pyproject.toml", "setup.cfg", "setup.py", ".python-version")
            or (path.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")))
            or name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".Dockerfile"))


def declared_python(files: dict[str, bytes | None], judging: str) -> dict:
    """What the files (path -> bytes at the revision) declare, against the ``judging`` version
    (``"3.11.7"``). See the module docstring for the keys."""
    sources: list[dict[str, str]] = []
    lower_bounds: list[str] = []
    named: list[str] = []
    for path in sorted(files):
        data = files[path]
        if data is None:
            continue
        text = data[:MAX_BYTES].decode("utf-8", "replace")
        found: list[str] = []
        if path in ("pyproject.toml", "setup.cfg", "setup.py"):
            for spec in _REQUIRES.findall(text)[:3]:
                spec = spec.strip()
                found.append(f"requires-python {spec}")
                lower_bounds += _LOWER.findall(spec)[:1]
        elif path == ".python-version":
            versions = _VERSION.findall(text)[:3]
            found += [f".python-version {v}" for v in versions]
            named += versions
        elif path.startswith(".github/workflows/"):
            versions = sorted({v for value in _WORKFLOW.findall(text)[:20] for v in _VERSION.findall(value)},
                              key=_key)
            if versions:
                found.append("python-version " + ", ".join(versions[:8]))
                named += versions
        else:
            versions = sorted(set(_DOCKER.findall(text)), key=_key)
            found += [f"FROM python:{v}" for v in versions[:3]]
            named += versions
        sources += [{"file": _printable(path), "says": _printable(f)} for f in found]
    requires = min(lower_bounds, key=_key) if lower_bounds else None
    runs_on = sorted(set(named), key=_key)
    # the oldest Python the repository can be run with, as far as its files say
    bounds = [v for v in (requires, runs_on[0] if runs_on else None) if v]
    minimum = max(bounds, key=_key) if bounds else None
    judged = ".".join(judging.split(".")[:2])
    return {"sources": sources[:MAX_SOURCES], "requires": requires, "runs_on": runs_on[:8], "minimum": minimum,
            "judging": judged, "needs_newer": bool(minimum) and _key(minimum) > _key(judged)}


def read_declared_python(tree: list[tuple[str, str, str]], read: Callable[[list[str]], dict[str, bytes | None]],
                         judging: str) -> dict:
    """:func:`declared_python` over a revision's tree (``(mode, blob, path)`` rows), reading only the
    declaring files' blobs through ``read`` (blob ids -> bytes)."""
    entries = {path: blob for mode, blob, path in tree if mode in ("100644", "100755") and is_declaring_file(path)}
    entries = dict(sorted(entries.items())[:200])
    blobs = read(sorted(set(entries.values())))
    return declared_python({p: blobs.get(b) for p, b in entries.items()}, judging)


def declared_python_line(declared: dict | None) -> str:
    """One plain sentence on what the repository declares and whether the judging interpreter is older
    ("" when it declares nothing)."""
    if not declared or not declared.get("sources"):
        return ""
    said = "; ".join(f"{src['says']} ({src['file']})" for src in declared["sources"][:4])
    if declared.get("needs_newer"):
        return (f"{said}: it needs Python {declared['minimum']}, newer than the judging {declared['judging']}; "
                f"code written for {declared['minimum']} may not compile here (judge with --python)")
    return f"{said}; judged with {declared['judging']}"
