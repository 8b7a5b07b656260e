"""JupyterLab from the project's environment, in a private temporary root, driven by headless
Chromium: start it (no token, a free localhost port), open a notebook, run every cell, switch the
theme, and stop it (its whole process group) whatever happened."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
JUPYTER = Path(sys.executable).with_name("jupyter")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyter_lab(root_dir: Path, timeout: float = 60) -> Iterator[str]:
    """Start ``jupyter lab`` serving ``root_dir`` and yield its base URL; stop it on exit."""
    port = free_port()
    home = root_dir / ".home"
    home.mkdir(exist_ok=True)
    env = {**{k: v for k, v in os.environ.items() if k != "FORENSICS_HEADLESS"}, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "PYTHONPATH": str(ROOT)}
    news = home / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    log = open(root_dir / ".home" / "lab.log", "wb")
    proc = subprocess.Popen([str(JUPYTER), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                             "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
                             f"--ServerApp.root_dir={root_dir}", "--LabApp.expose_app_in_browser=True",
                             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                             "--LabApp.extension_manager=readonly",
                             *(["--allow-root"] if os.geteuid() == 0 else [])],
                            cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError("jupyter lab exited: " + (root_dir / ".home" / "lab.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter lab did not answer in time")
            time.sleep(0.2)
        yield url
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (kernels included), SIGKILL what is left after 10 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def notebook_with_parameters(src: Path, dest: Path, **params: object) -> Path:
    """``src`` with a cell setting ``params`` after its ``parameters`` cell (as papermill injects)."""
    nb = json.loads(src.read_text())
    at = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", []))
    source = "".join(f"{k} = {v!r}\n" for k, v in params.items())
    nb["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "id": "injected-parameters",
                                "metadata": {"tags": ["injected-parameters"]}, "outputs": [], "source": source})
    dest.write_text(json.dumps(nb))
    return dest


RUNNING_JS = """
var busy = document.querySelectorAll('.jp-InputArea-prompt');
for (var i = 0; i < busy.length; i++) if (busy[i].textContent.indexOf('*') >= 0) return true;
return false;
"""


def run_all_cells(driver, timeout: float = 120) -> None:
    """Wait for the notebook's kernel, run every cell and wait until none is running."""
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout, poll_frequency=0.25)
    wait.until(lambda d: d.execute_script(
        "var a = window.jupyterapp; if (!a) return false; var w = a.shell.currentWidget;"
        "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle');"))
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    wait.until(lambda d: d.execute_script(
        "var p = document.querySelectorAll('.jp-InputArea-prompt'); var n = 0;"
        "for (var i = 0; i < p.length; i++) if (/\\[\\d+\\]/.test(p[i].textContent)) n++;"
        "return n;") >= driver.execute_script("return document.querySelectorAll('.jp-CodeCell').length;"))
    wait.until(lambda d: not d.execute_script(RUNNING_JS))


def set_theme(driver, dark: bool) -> None:
    theme = "JupyterLab Dark" if dark else "JupyterLab Light"
    driver.execute_script(f"return window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}});")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "return document.body.getAttribute('data-jp-theme-light');") == ("false" if dark else "true"))


ERRORS_JS = """
return Array.from(document.querySelectorAll('[data-mime-type="application/vnd.jupyter.error"],'
  + ' .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
  .map(function (e) { return e.textContent.slice(0, 500); });
"""
