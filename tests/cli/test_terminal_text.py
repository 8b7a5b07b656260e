"""A hostile repository's author, subject or path carrying terminal escape sequences (a clipboard write,
a hidden link, a screen clear) is printed as visible ``\\xNN`` text in every human-facing table and
guard message, never sent raw to the terminal; JSON keeps the raw value."""
from __future__ import annotations

import json

from conftest import git, run_cli

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
