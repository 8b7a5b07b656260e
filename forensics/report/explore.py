"""Interactive narrowing in JupyterLab: type a path, a directory (``dir/``) or an incident (``#N``)
and the timeline and heatmap redraw for it. Needs ``ipywidgets``; without it, the notebooks' ``focus``
parameter does the same under papermill, and ``explore`` says so."""
from __future__ import annotations

from typing import Any

import pandas as pd


PAPERMILL_CELL = "# Parameters\n"     # how papermill's injected cell begins (Python kernels)


def headless() -> bool:
    """True in a kernel that no person looks at: one that ran papermill's injected parameters cell, or
    one started with ``FORENSICS_HEADLESS=1``. There, widgets are not built: nbclient can block for
    ever on a cell that creates ipywidgets (jupyter/nbclient#312), and nobody would click them."""
    import os

    if os.environ.get("FORENSICS_HEADLESS") == "1":
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    ip = get_ipython()
    if ip is None:
        return True
    return any(isinstance(src, str) and src.startswith(PAPERMILL_CELL) for src in ip.user_ns.get("In", ()))


def explore(rc: Any, incidents: pd.DataFrame | None = None, depth: int = 2) -> Any:
    """A text box and the figures it redraws (``ipywidgets``), or a one-line hint without it (and in a
    headless run: :func:`headless`)."""
    from IPython.display import HTML

    hint = HTML("<p><em>In JupyterLab (with <code>ipywidgets</code>, part of the <code>report</code> extra) a text "
                "box narrows the figures here; headless, set the <code>focus</code> parameter (a path, "
                "<code>dir/</code> or <code>#N</code>).</em></p>")
    if headless():
        return hint
    try:
        import ipywidgets as widgets
    except ImportError:
        return hint
    from IPython.display import display

    from forensics.errors import ForensicsError
    from forensics.report.figures import event_heatmap
    from forensics.report.results import Focus

    box = widgets.Text(placeholder="path, dir/ or #incident; empty for all", description="focus",
                       continuous_update=False, layout=widgets.Layout(width="40em"))
    out = widgets.Output()

    def redraw(change: Any = None) -> None:
        out.clear_output(wait=True)
        with out:
            try:
                focus = Focus.parse(box.value, incidents, rc.result.subjects["path"])
            except ForensicsError as exc:
                print(exc)
                return
            view = rc.focused(box.value, incidents)
            display(view.timeline_figure(incidents))
            ev = rc.result.events
            display(event_heatmap(ev[focus.events_mask(ev)], depth))
            if focus.kind == "path":
                display(rc.chain(box.value, whole=True))

    box.observe(redraw, names="value")
    redraw()
    return widgets.VBox([box, out])
