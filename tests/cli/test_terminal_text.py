"""Text from the repository reaches the terminal escaped: control characters as ``\\xNN`` and
bidirectional controls (U+202A-U+202E, U+2066-U+2069: text that displays in another order than it
reads, "Trojan Source") as ``\\uNNNN``, in tables and messages alike; JSON keeps the raw text."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import git, run_cli
from forensics.termtext import printable

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", BIDI)
def test_each_bidi_control_is_shown_escaped(char):
    from forensics.termtext import one_line

    shown = printable(f"safe{char}yp.py")
    assert char not in shown and f"\\u{ord(char):04x}" in shown
    assert one_line(f"a{char}\nb") == f"a\\u{ord(char):04x}\\x0ab"


def test_a_path_and_an_author_with_bidi_overrides_reach_the_table_escaped(tmp_path):
    repo = tmp_path / "r"
    git("init", "-q", str(repo))
    name = "evil\u202eyp.txt.py"
    (repo / name).write_text("def broken(:\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "Mal\u2067lory", "GIT_AUTHOR_EMAIL": "m@x"}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "add \u202e"], check=True, env=env)
    proc = run_cli("events", str(repo), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    assert not any(ch in proc.stdout for ch in BIDI)
    assert "\\u202e" in proc.stdout
    raw = run_cli("events", str(repo), "--no-cache", "-q", "--format", "json")
    assert name in raw.stdout or name in json.dumps(json.loads(raw.stdout), ensure_ascii=False)
