"""Shared fixtures: the simulated incident is built once per session, in a temporary directory."""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from forensics.simulate import simulate

SEED = 7


def _private_git_config() -> None:
    """Every git the tests run (theirs and the tool's) reads a global config of the tests' own and no
    system config: nothing in the machine's or the user's git config (``safe.directory = *``, an
    identity, hooks) can change what a test sees. Only an identity, for the tests' own commits."""
    where = Path(tempfile.mkdtemp(prefix="forensics-tests-git-"))
    atexit.register(shutil.rmtree, where, True)
    config = where / "gitconfig"
    config.write_text("[user]\n\tname = Forensics Tests\n\temail = tests@forensics.invalid\n")
    os.environ["GIT_CONFIG_GLOBAL"] = str(config)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"


_private_git_config()
# every kernel the tests start headless (papermill, nbclient) builds no widgets: nbclient can block for ever
# on a cell that creates ipywidgets (jupyter/nbclient#312); the JupyterLab browser test clears it for Lab
os.environ["FORENSICS_HEADLESS"] = "1"


@pytest.fixture(scope="session")
def incident(tmp_path_factory) -> dict:
    """The demo incident: ``truth`` manifest plus ``repo`` path."""
    out = tmp_path_factory.mktemp("incident")
    truth = simulate(out, seed=SEED, scale=1)
    return truth


@pytest.fixture(scope="session")
def realistic(tmp_path_factory) -> dict:
    """The realistic incident at its default size (``--preset realistic``): ``truth`` plus ``repo``."""
    out = tmp_path_factory.mktemp("realistic")
    return simulate(out, seed=SEED, scale=1, preset="realistic")


@pytest.fixture(scope="session")
def repo(incident) -> str:
    return incident["repo"]


@pytest.fixture(scope="session")
def scanned(incident, tmp_path_factory):
    """A scan of the demo incident at HEAD (no cache)."""
    from forensics import scan

    return scan(incident["repo"], cache=False, progress=False)


def git(*args: str, cwd: str | Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}).stdout


def run_cli(*args: str, cwd: str | Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real console entry point (``python -m forensics``)."""
    return subprocess.run([sys.executable, "-m", "forensics", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def run_on_terminal(*args: str, stream: str = "stdout", rows: int = 50, cols: int = 200,
                    env: dict | None = None) -> str:
    """What ``forensics ARGS`` writes to ``stream`` when that stream is a ``cols`` x ``rows``
    pseudo-terminal (the other goes nowhere); carriage returns become newlines. Exit status 0 asserted."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: follower}
    proc = subprocess.Popen([sys.executable, "-m", "forensics", *args], stdin=subprocess.DEVNULL, close_fds=True,
                            env={**os.environ, **(env or {})}, **streams)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:        # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=600) == 0
    return out.decode("utf-8", "replace").replace("\r", "\n")


def tree_digest(root: str | Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (worktree and .git alike), plus symlink targets."""
    out = {}
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = os.fsencode(p.relative_to(root)).decode("utf-8", "backslashreplace")
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def load_truth(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def wave_minutes(truth: dict) -> int:
    """Minutes between the fixer wave's first and last commit, from the truth manifest."""
    from datetime import datetime

    times = [datetime.fromisoformat(c["committed_at"].replace("Z", "+00:00"))
             for c in truth["commits"] if c["role"] == "fixer"]
    return round((max(times) - min(times)).total_seconds() / 60)
