"""Whether the tests a ``file::Class::test`` node id names are still in the file.

pytest stops with "ERROR: not found: <node id>" (exit status 4, no test run) when a node id names a
class or test its file no longer defines: a test commented out by a fixer makes a job that names it
red, not green with a test gone. Read with ``ast`` from the file's contents at the revision; a class
with base classes may inherit the test, so a method missing from such a class is not called missing.
"""
from __future__ import annotations

import ast


def _without_params(part: str) -> str:
    """``test_x[1-2]`` -> ``test_x``: from the first ``[`` when the part ends with ``]`` (``str.find``: the
    regex ``\\[.*\\]$`` it replaced was quadratic in a part of ``[`` repeated)."""
    start = part.find("[")
    return part[:start] if start >= 0 and part.endswith("]") else part


def _defines(body: list[ast.stmt], name: str) -> ast.stmt | None:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return node
    return None


def node_id_found(source: bytes, parts: list[str]) -> bool | None:
    """True when the module ``source`` defines the item ``parts`` name (``["TestX", "test_y"]``,
    ``["test_z[param]"]``); False when it does not; None when it cannot tell (the file does not parse,
    or the test may be inherited)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    body: list[ast.stmt] = tree.body
    parent: ast.ClassDef | None = None
    for i, part in enumerate(parts):
        node = _defines(body, _without_params(part))
        if node is None:
            return None if parent is not None and parent.bases else False
        if not isinstance(node, ast.ClassDef):
            return True if i == len(parts) - 1 else None
        parent, body = node, node.body
    return True
