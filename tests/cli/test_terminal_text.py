"""A hostile repository's author, subject or path carrying terminal escape sequences (a clipboard write,
a hidden link, a screen clear) is printed as visible ``\\xNN`` text in every human-facing table and
guard message, never sent raw to the terminal; JSON keeps the raw value. Bidirectional controls
(U+202A-U+202E, U+2066-U+2069: text that displays in another order than it reads, "Trojan Source")
are shown as ``\\uNNNN`` likewise."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import git, run_cli
from forensics.termtext import printable

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CLEAR = "\x1b[2J"


def test_escape_sequences_from_the_repository_never_reach_the_terminal(incident, tmp_path):
    repo = tmp_path / "repo"
    git("clone", "-q", incident["repo"], str(repo))
    target = repo / "src" / f"esc{CLEAR}.py"
    target.write_text("# REMOVED_SYNTAX_ERROR: def broken(\n")
    git("add", "-A", cwd=repo)
    git("-c", f"user.name=Evil{OSC52}", "-c", "user.email=e@example.invalid", "commit", "-q",
        "-m", f"Harmless{CLEAR} subject", cwd=repo)
    for command in ("timeline", "events", "culprits", "restore-list"):
        proc = run_cli(command, str(repo), "--no-cache", "-q", "--all-columns")
        assert proc.returncode == 0, proc.stderr
        assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout, command
    events = run_cli("events", str(repo), "--no-cache", "-q", "--all-columns").stdout
    assert "\\x1b[2J" in events  # shown, as text
    raw = json.loads(run_cli("events", str(repo), "--no-cache", "-q", "--format", "json").stdout)
    assert any(CLEAR in e["path"] for e in raw)  # scripts get the value as it is
    (repo / "src" / f"new{OSC52}.py").write_text("# REMOVED_SYNTAX_ERROR: x = (\n")
    git("add", "-A", cwd=repo)
    guard = run_cli("guard", cwd=repo)
    assert guard.returncode == 1 and "\x1b" not in guard.stdout and "\\x1b]52" in guard.stdout


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
