"""A cold scan on a terminal shows how far it is with a total and the time left: first the commits to
walk (as many as the history holds), then the versions to judge; never with ``--quiet``, never when
stderr is a pipe."""
from __future__ import annotations

import re

from conftest import run_cli, run_on_terminal


def _terminal_stderr(*args: str) -> str:
    # the walk of the preset's 2,000 commits takes well under the second a bar waits for: show it at once
    return run_on_terminal(*args, stream="stderr", rows=40, cols=160, env={"FORENSICS_PROGRESS_DELAY": "0"})


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
