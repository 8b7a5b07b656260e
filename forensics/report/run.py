"""The incident report: one command, one self-contained HTML page.

``build_report`` gathers every table the report notebook shows; ``run_report`` validates the
parameters, runs ``notebooks/00_incident_report.ipynb`` with papermill and exports it with nbconvert
(no input cells, plotly.js embedded once, no CDN script). A failed run still writes the page,
showing where it failed, and returns a non-zero status.

The report is never written inside the evidence: an ``--out`` inside the analysed repository's
worktree or git directory is refused (exit 2), and the default ``--out`` is a directory of our own
per repository, :func:`default_report_dir`, never one under the current directory.
"""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from forensics.errors import BadOutput, ForensicsError
from forensics.report.incident import IncidentReport, build_report, headline  # noqa: F401 - the notebook's API
from forensics.report.parameters import PROJECT_ROOT

REPORT_NOTEBOOK = PROJECT_ROOT / "notebooks" / "00_incident_report.ipynb"
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE)


# -- running the notebook ------------------------------------------------------------------------

def notebook_parameters(notebook: Path = REPORT_NOTEBOOK) -> dict[str, dict[str, Any]]:
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


_TYPES = {"str": str, "int": int, "list": list, "float": (int, float), "bool": bool, "dict": dict}


def validate_parameters(values: dict[str, Any], notebook: Path = REPORT_NOTEBOOK) -> dict[str, Any]:
    """Unknown or mistyped parameters raise ForensicsError (papermill itself only warns)."""
    known = notebook_parameters(notebook)
    for name, value in values.items():
        if name not in known:
            raise ForensicsError(f"unknown report parameter {name!r} (known: {', '.join(sorted(known))})")
        want = _TYPES.get(str(known[name].get("inferred_type_name", "")).strip())
        if want is not None and not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise ForensicsError(f"report parameter {name!r} must be {known[name]['inferred_type_name']}, "
                                 f"not {type(value).__name__} ({value!r})")
    return values


def load_parameter_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except OSError as exc:
        raise ForensicsError(f"cannot read parameter file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ForensicsError(f"parameter file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ForensicsError(f"parameter file {path} must hold a mapping of parameter names to values")
    return data


def export_html(notebook_path: Path, html_path: Path, show_input: bool = False, title: str = "Incident report") -> Path:
    """nbconvert to one self-contained HTML page: no input cells (unless ``show_input``), and no
    script loaded from a CDN (plotly.js is already inline, once, from the notebook's renderer)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook_path), as_version=4)
    # extra_template_basedirs: nbconvert's default is the current directory, where a committed
    # ``lab/index.html.j2`` (Jinja, not sandboxed) would replace the page's template and run code
    exporter = HTMLExporter(template_name="lab", exclude_input=not show_input, exclude_input_prompt=True,
                            exclude_output_prompt=True, extra_template_basedirs=[])
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    html = _EXTERNAL_SCRIPT.sub("", html)
    html_path.write_text(html, encoding="utf-8")
    return html_path


def default_report_dir(repo_path: str) -> Path:
    """Where a report goes when ``--out`` is not given: ``$FORENSICS_REPORTS/<repo>``, else
    ``${XDG_DATA_HOME:-~/.local/share}/forensics/reports/<repo>``, where ``<repo>`` is the repository's
    directory name and a hash of its absolute path (as the cache names it)."""
    from forensics.engine.cache import repo_id
    from forensics.engine.git import Repository

    base = os.environ.get("FORENSICS_REPORTS") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share"),
        "forensics", "reports")
    return Path(base).resolve() / repo_id(Repository.open(repo_path).common_dir)


def evidence_dirs(repo_path: str) -> list[Path]:
    """The analysed repository's directories no output may go into: its worktree (or bare directory),
    its git directory and its common directory."""
    from forensics.engine.git import Repository

    r = Repository.open(repo_path)
    return sorted({Path(d).resolve() for d in (r.path, r.git_dir, r.common_dir)})


def check_outside_evidence(out: Path, repo_path: str, given: str) -> None:
    """Refuse (:class:`BadOutput`, exit 2) an output directory inside the evidence."""
    for d in evidence_dirs(repo_path):
        if out == d or d in out.parents:
            raise BadOutput(given, f"it is inside the analysed repository ({d}); the evidence is read-only: "
                                   "choose --out outside it")


def run_report(repo: str, out_dir: str | None, rev: str | None = None, params_file: str | None = None,
               overrides: dict[str, Any] | None = None, cell_timeout: int = 900, progress: bool = True) -> tuple[int, Path, str]:
    """Validate, execute, export. Returns (exit status, html path, message)."""
    import papermill as pm

    from forensics.report.parameters import check_parameters

    values: dict[str, Any] = {}
    if params_file:
        values.update(load_parameter_file(params_file))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    values["repo"] = str(Path(repo).resolve()) if repo else values.get("repo", ".")
    if rev:
        values["rev"] = rev
    out = Path(out_dir).resolve() if out_dir else default_report_dir(values["repo"])
    out_dir = out_dir or str(out)
    check_outside_evidence(out, values["repo"], out_dir)
    if out.exists() and not out.is_dir():
        raise BadOutput(str(out_dir), "it is a file; --out takes a directory")
    values["output_dir"] = str(out)
    # the notebook runs in ``out``: relative paths are the caller's, so make them absolute here, and an
    # unset cache is the CLI's default cache, not a ``data/cache`` inside the report directory
    if values.get("cache", None) is None:
        from forensics.engine.cache import default_root

        values["cache"] = str(default_root())
    elif values["cache"]:
        values["cache"] = str(Path(os.path.expanduser(str(values["cache"]))).resolve())
    if values.get("priority_rules"):
        values["priority_rules"] = str(Path(values["priority_rules"]).resolve())
    validate_parameters(values)
    params = check_parameters(**{k: v for k, v in values.items() if k != "title"})  # one clear line before any work
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadOutput(str(out_dir), exc.strerror or str(exc)) from None
    executed = out / "incident_report.ipynb"
    html = out / "incident_report.html"
    title = str(values.get("title") or notebook_parameters()["title"]["default"].strip("\"'"))
    t0 = time.perf_counter()
    if progress and sys.stderr.isatty() and params.cache:
        _scan_first(params)
    try:
        _execute(executed, values, out, cell_timeout, progress)
    except pm.PapermillExecutionError as exc:
        export_html(executed, html, show_input=True, title=title)
        return 1, html, (f"the report failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue.splitlines()[0] if exc.evalue else ''}"
                         f" (the page shows where: {html})")
    export_html(executed, html, title=title)
    return 0, html, f"wrote {html} ({html.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s"


def _scan_first(params) -> None:
    """Scan here, with the progress bars (commits to walk, then versions to judge, with an ETA), so
    a cold report shows the scan's progress instead of a cell count frozen on the scan's cell; the
    notebook's own scan then reads the cache this one wrote (same repository, revision, settings)."""
    from forensics.engine.scan import scan

    scan(str(params.repo), params.rev, **{**params.scan_options(), "progress": True})


def _execute(executed: Path, values: dict[str, Any], out: Path, cell_timeout: int, progress: bool) -> None:
    """Run the report notebook in a quiet kernel (see ``forensics.report.kernel``: an empty private
    working directory, ``PYTHONSAFEPATH``). papermill's own logger speaks only of failures; the
    kernel's stderr goes to ``out/kernel.log``."""
    import logging
    import shutil
    import tempfile

    import papermill as pm

    from forensics.report.kernel import quiet_kernel_manager

    log = logging.getLogger("papermill")
    level = log.level
    log.setLevel(logging.ERROR)
    cwd = tempfile.mkdtemp(prefix="forensics-report-")   # papermill changes into it while it runs
    try:
        pm.execute_notebook(str(REPORT_NOTEBOOK), str(executed), parameters=values, cwd=cwd,
                            execution_timeout=cell_timeout, progress_bar=progress and sys.stderr.isatty(),
                            kernel_name="python3", report_mode=True,
                            kernel_manager_class=quiet_kernel_manager(out / "kernel.log"))
    finally:
        log.setLevel(level)
        shutil.rmtree(cwd, ignore_errors=True)
        kernel_log = out / "kernel.log"
        if kernel_log.exists() and not kernel_log.stat().st_size:
            kernel_log.unlink()
