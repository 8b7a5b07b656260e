"""The incident report: one command, one self-contained HTML page.

``build_report`` gathers every table the report notebook shows; ``run_report`` validates the
parameters, runs ``notebooks/00_incident_report.ipynb`` with papermill and exports it with nbconvert
(no input cells, plotly.js embedded once, no CDN script). A failed run still writes the page,
showing where it failed, and returns a non-zero status.
"""
from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forensics.errors import BadOutput, ForensicsError
from forensics.report.parameters import PROJECT_ROOT, Parameters
from forensics.analyses.error_kinds import error_kind_breakdown
from forensics.engine.states import DAMAGED_STATES, LEGACY

REPORT_NOTEBOOK = PROJECT_ROOT / "notebooks" / "00_incident_report.ipynb"
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE)


@dataclass
class IncidentReport:
    """Everything the report shows: ``headline`` (dict), ``rc`` (RootCause), ``blast`` (BlastRadius),
    ``plan`` (restore list), ``parameters`` (dict)."""

    title: str
    headline: dict[str, Any]
    rc: Any
    blast: Any
    plan: pd.DataFrame
    parameters: dict[str, Any]

    def headline_markdown(self) -> str:
        h = self.headline
        rc = h["root_cause"]
        lines = [f"# {self.title}", "",
                 f"*{h['repo']} at {h['rev']} ({h['rev_sha'][:12]}), {h['interpreter']}*", "",
                 f"- **Damaged now:** {h['damaged_now']} of {h['paths_in_scope']} paths in scope "
                 f"({h['marked_now']} marked, {h['broken_now']} do not compile)"]
        if rc:
            lines.append(f"- **Root cause:** commit `{rc['sha'][:12]}` by {rc['author']} at {rc['committed_at']}, "
                         f"*{rc['subject']}*, for {rc['paths']} of the damaged paths")
        c = h["culprits"]
        lines.append(f"- **Culprits:** {c.get('bulk_commit', 0)} bulk commits, {c.get('wave', 0)} waves, "
                     f"{c.get('breaker', 0)} other breakers, {c.get('script', 0)} scripts, "
                     f"{c.get('backup_set', 0)} backup sets")
        kinds = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in h.get("error_kinds", {}).items())
        lines.append(f"- **Compile errors now, by kind:** {kinds or 'none'}"
                     + (f"; {h['legacy_now']} of them legacy (code of another Python dialect, never compiled here: "
                        "not damage)" if h.get("legacy_now") else ""))
        lines.append(f"- **Tests lost:** {h['tests_lost']}")
        lines.append(f"- **Restorable with high confidence:** {h['restorable_high']} of {h['damaged_now']} "
                     f"({', '.join(f'{n} {k}' for k, n in h['restore_by_confidence'].items())})")
        return "\n".join(lines)

    def parameters_table(self) -> pd.DataFrame:
        return pd.DataFrame([{"parameter": k, "value": json.dumps(v, default=str)} for k, v in self.parameters.items()])

    def write_outputs(self, out_dir: str | Path) -> dict[str, str]:
        """timeline.csv, culprits.csv, chains.csv, restore_candidates.csv, blast_radius.csv,
        dependents.csv and report.json (the headline numbers)."""
        from forensics.report.tables import write_csv
        from forensics.report.tables import write_plan

        out = Path(out_dir)
        files = self.rc.write_csvs(out)
        files["restore_candidates"] = write_plan(self.plan, str(out / "restore_candidates.csv"))
        write_csv(self.blast.by_directory, str(out / "blast_radius.csv"))
        write_csv(self.blast.dependents, str(out / "dependents.csv"))
        files.update(blast_radius=str(out / "blast_radius.csv"), dependents=str(out / "dependents.csv"))
        (out / "report.json").write_text(json.dumps(self.headline, indent=2, default=str))
        files["report"] = str(out / "report.json")
        return files


def headline(result, rc, plan: pd.DataFrame, blast) -> dict[str, Any]:
    """The numbers at the top of the report (and in report.json)."""
    from forensics.report.tables import _iso

    subj = result.subjects
    top = rc.root_causes.iloc[0] if len(rc.root_causes) else None
    totals = blast.by_directory[blast.by_directory["directory"] == "*"]
    return {
        "repo": result.repo.path, "rev": result.rev, "rev_sha": result.rev_sha,
        "interpreter": result.manifest.get("interpreter", ""),
        "paths_in_scope": int(len(subj)),
        "damaged_now": int(subj["state"].isin(DAMAGED_STATES).sum()),
        "marked_now": int((subj["markers"] > 0).sum()),
        "broken_now": int((~subj["compiles"].astype(bool) & (subj["state"] != LEGACY)).sum()),
        "legacy_now": int((subj["state"] == LEGACY).sum()),
        "error_kinds": {r.error_kind: int(r.paths_now) for r in error_kind_breakdown(result).itertuples(index=False)
                        if r.error_kind != "*" and r.paths_now},
        "root_cause": None if top is None else {
            "sha": top["root_cause"], "subject": top["subject"], "author": top["author"],
            "committed_at": _iso(top["committed_at"]), "paths": int(top["paths"])},
        "root_causes": {r.root_cause: int(r.paths) for r in rc.root_causes.itertuples(index=False)},
        "culprits": {k: int(v) for k, v in rc.culprits["kind"].value_counts().sort_index().items()},
        "tests_lost": int(totals["tests_lost"].sum()),
        "restorable_high": int((plan["confidence"] == "high").sum()),
        "restore_by_confidence": {k: int((plan["confidence"] == k).sum()) for k in ("high", "medium", "low", "none")},
        "restore_by_source": {k: int((plan["source"] == k).sum()) for k in ("git", "backup", "none")},
        "summary": rc.summary,
    }


def build_report(p: Parameters, title: str = "Incident report") -> IncidentReport:
    from forensics.report.results import BlastRadius
    from forensics.analyses.restore_list import restore_list
    from forensics.report.results import analyse_root_cause
    from forensics.engine.scan import scan

    from forensics.engine.faults import fault

    result = scan(p.repo, p.rev, **p.scan_options())
    fault("report.build")
    rc = analyse_root_cause(result, since=p.since, until=p.until, bulk_threshold=p.bulk_threshold)
    blast = BlastRadius(result, p.tiers, p.depth, culprits=rc.culprits)
    plan = restore_list(result, p.tiers)
    params = {"repo": p.repo, "rev": p.rev, "rev_sha": result.rev_sha, "paths": list(result.settings.paths),
              "markers": list(result.settings.markers), "since": p.since, "until": p.until,
              "bulk_threshold": result.settings.bulk_threshold, "depth": p.depth,
              "priority_rules": [t.name + " " + t.label for t in p.tiers], "output_dir": str(p.output_dir),
              "settings_from": list(result.settings.sources), "interpreter": result.manifest.get("interpreter")}
    return IncidentReport(title, headline(result, rc, plan, blast), rc, blast, plan, params)


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


def export_html(notebook_path: Path, html_path: Path, show_input: bool = False) -> Path:
    """nbconvert to one self-contained HTML page: no input cells (unless ``show_input``), and no
    script loaded from a CDN (plotly.js is already inline, once, from the notebook's renderer)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook_path), as_version=4)
    exporter = HTMLExporter(template_name="lab", exclude_input=not show_input, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    html, _ = exporter.from_notebook_node(nb)
    html = _EXTERNAL_SCRIPT.sub("", html)
    html_path.write_text(html, encoding="utf-8")
    return html_path


def run_report(repo: str, out_dir: str, rev: str | None = None, params_file: str | None = None,
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
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise BadOutput(str(out_dir), "it is a file; --out takes a directory")
    values["output_dir"] = str(out)
    validate_parameters(values)
    check_parameters(**{k: v for k, v in values.items() if k != "title"})  # one clear line before any work
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadOutput(str(out_dir), exc.strerror or str(exc)) from None
    executed = out / "incident_report.ipynb"
    html = out / "incident_report.html"
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(REPORT_NOTEBOOK), str(executed), parameters=values, cwd=str(out),
                            execution_timeout=cell_timeout, progress_bar=progress and sys.stderr.isatty(),
                            kernel_name="python3", report_mode=True)
    except pm.PapermillExecutionError as exc:
        export_html(executed, html, show_input=True)
        return 1, html, (f"the report failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue.splitlines()[0] if exc.evalue else ''}"
                         f" (the page shows where: {html})")
    export_html(executed, html)
    return 0, html, f"wrote {html} ({html.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s"
