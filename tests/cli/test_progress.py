"""A cold scan on a terminal shows how far it is with a total and the time left: first the commits to
walk (as many as the history holds), then the versions to judge; never with ``--quiet``, never when
stderr is a pipe."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

from conftest import run_cli


def _terminal_stderr(*args: str) -> str:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    # the walk of the preset's 2,000 commits takes well under the second a bar waits for: show it at once
    proc = subprocess.Popen([sys.executable, "-m", "forensics", *args], stdout=subprocess.DEVNULL, stderr=follower,
                            stdin=subprocess.DEVNULL, close_fds=True,
                            env={**os.environ, "FORENSICS_PROGRESS_DELAY": "0"})
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=600) == 0
    return out.decode("utf-8", "replace").replace("\r", "\n")


def test_a_cold_scan_on_a_terminal_counts_down_the_commits_with_a_total_and_an_eta(realistic, tmp_path):
    shown = _terminal_stderr("scan", realistic["repo"], "--cache", str(tmp_path / "c1"), "--jobs", "1")
    total = len(realistic["commits"])
    walking = re.findall(rf"walking commits:.*?(\d+)/{total} \[\d\d:\d\d<(\d\d:\d\d)", shown)
    assert walking, shown[-2000:]
    assert max(int(n) for n, _ in walking) <= total


def test_no_progress_with_quiet_or_on_a_pipe(realistic, tmp_path):
    assert "walking commits" not in _terminal_stderr("scan", realistic["repo"], "--cache", str(tmp_path / "c2"), "-q")
    piped = run_cli("scan", realistic["repo"], "--cache", str(tmp_path / "c3"))
    assert piped.returncode == 0 and "walking commits" not in piped.stderr and "judging" not in piped.stderr
