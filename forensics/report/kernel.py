"""The kernel papermill runs the report in, made quiet at the source.

Two things made ``forensics report -q`` print kernel chatter, and each is fixed where it starts:

- ipykernel warns "Kernel is running over TCP without encryption" for the TCP transport: the kernel here
  talks over IPC (Unix sockets in a private directory), which is also not reachable from the network.
- jupyter_client interrupts a kernel (SIGINT) before asking it to shut down; when the SIGINT lands while
  the kernel is between messages it logs "KeyboardInterrupt caught in kernel". The report only shuts a
  kernel down after its last cell, when there is nothing to interrupt, so shutdown skips the interrupt.

Whatever else the kernel process writes to its own stderr (not the notebook's outputs) goes to a log
file beside the report instead of the user's terminal.

Nothing the analysed repository holds can run in the kernel (README "Hostile repositories"): the kernel
starts in a fresh, empty private directory (never ``--out``, never the caller's working directory) with
``PYTHONSAFEPATH=1``, so neither its working directory nor any script directory is on its import path
(IPython honours the flag too and does not add ``''``); a committed ``pandas.py`` or ``sitecustomize.py``
wherever the report is run or written is never imported.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager


class QuietKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` on IPC transport that shuts down without a SIGINT and sends the kernel
    process's stderr to ``stderr_path`` (``None``: discarded)."""

    stderr_path: str | None = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
        if self.transport == "ipc":
            # ipc endpoints are files named after ``ip``: keep them in a private directory
            self._ipc_dir = tempfile.mkdtemp(prefix="forensics-kernel-")
            self.ip = str(Path(self._ipc_dir) / "kernel")

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_start_kernel(self, **kw: Any) -> None:
        kw["cwd"] = self._private_cwd()
        kw["env"] = {**(kw.get("env") or os.environ), "PYTHONSAFEPATH": "1",
                     "FORENSICS_HEADLESS": "1"}   # nobody clicks a report's widgets (report.explore.headless)
        if "stderr" in kw:
            await super()._async_start_kernel(**kw)
            return
        with open(self.stderr_path or "/dev/null", "ab") as stderr:  # the kernel process keeps its own copy
            await super()._async_start_kernel(stderr=stderr, **kw)

    def _private_cwd(self) -> str:
        """A fresh empty directory of our own for the kernel to start in (removed at cleanup)."""
        if not getattr(self, "_cwd_dir", None):
            self._cwd_dir = tempfile.mkdtemp(prefix="forensics-kernel-cwd-")
        return self._cwd_dir

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            import shutil

            for name in ("_ipc_dir", "_cwd_dir"):
                if getattr(self, name, None):
                    shutil.rmtree(getattr(self, name), ignore_errors=True)

    # AsyncKernelManager binds its public names to the base class's functions: rebind them to ours
    start_kernel = _async_start_kernel
    cleanup_resources = _async_cleanup_resources
    interrupt_kernel = _async_interrupt_kernel


def quiet_kernel_manager(stderr_path: str | Path | None) -> type[QuietKernelManager]:
    """A ``QuietKernelManager`` subclass whose kernels write their stderr to ``stderr_path``."""
    return type("ReportKernelManager", (QuietKernelManager,), {"stderr_path": str(stderr_path) if stderr_path else None})
