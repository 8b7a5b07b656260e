"""Notebooks run headless under papermill: with their defaults on the demo, and with a YAML file."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest
import yaml

from conftest import wave_minutes
from forensics.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def demo():
    """The demo repository where the notebooks' defaults expect it (as `make demo` builds it)."""
    return simulate(ROOT / "data" / "demo", seed=7)


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        assert "parameters" in code[0].metadata.get("tags", []), path.name
        for line in code[0].source.splitlines():
            assert " # " in line and ":" in line.split("=")[0], f"{path.name}: {line!r}"


@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_runs_with_its_defaults_on_the_demo(notebook, demo, tmp_path):
    out = tmp_path / notebook
    pm.execute_notebook(str(ROOT / "notebooks" / notebook), str(out), cwd=str(ROOT), progress_bar=False,
                        kernel_name="python3")
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_root_cause_notebook_with_a_yaml_parameter_file(incident, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"repo": incident["repo"], "output_dir": str(tmp_path / "out"),
                                      "cache": "", "since": "2025-09-01"}))
    out = tmp_path / "run.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "01_root_cause_timeline.ipynb"), str(out),
                        parameters=yaml.safe_load(params.read_text()), cwd=str(tmp_path), progress_bar=False,
                        kernel_name="python3")
    assert (tmp_path / "out" / "culprits.csv").exists()
    nb = nbformat.read(out, as_version=4)
    text = json.dumps([o for c in nb.cells for o in c.get("outputs", [])])
    assert "application/vnd.plotly.v1+json" in text and f"6 commits in {wave_minutes(incident)} minutes" in text


def test_a_bad_parameter_fails_with_one_clear_message(incident, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(str(ROOT / "notebooks" / "01_root_cause_timeline.ipynb"), str(tmp_path / "x.ipynb"),
                            parameters={"repo": incident["repo"], "rev": "no-such-rev", "cache": ""},
                            cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
    assert "unknown revision 'no-such-rev'" in str(info.value)


def test_the_investigation_notebook_narrows_to_a_directory_and_shows_one_paths_chain(incident, tmp_path):
    path = next(p for p in incident["chains"] if p.startswith("tests/unit/"))
    out = tmp_path / "run.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "01_root_cause_timeline.ipynb"), str(out),
                        parameters={"repo": incident["repo"], "output_dir": str(tmp_path / "out"), "cache": "",
                                    "focus": "tests/unit/", "chain_of": path},
                        cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
    nb = nbformat.read(out, as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    chain = incident["chains"][path]["events"]
    assert f"{len(chain)} row" in html and path in html
    assert all(f'title="{sha}"' in html for sha, _, _ in chain)
    figures = [o["data"]["application/vnd.plotly.v1+json"] for c in nb.cells for o in c.get("outputs", [])
               if "application/vnd.plotly.v1+json" in o.get("data", {})]
    timeline = next(f for f in figures if "Events over time" in f["layout"]["title"]["text"])
    in_dir = [e for e in incident["events"] if e["path"].startswith("tests/unit/") or e["old_path"].startswith("tests/unit/")]
    assert sum(_values(t["y"]).sum() for t in timeline["data"] if t["type"] == "bar") == len(in_dir)


def _values(v):
    """A plotly JSON array: a list, or a typed array ({"dtype", "bdata"} in base64)."""
    import base64

    import numpy as np

    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v)


def test_a_papermill_run_builds_no_widget_where_nbclient_could_block(demo, tmp_path, monkeypatch):
    # without FORENSICS_HEADLESS, the injected parameters cell is what tells the kernel nobody is looking
    monkeypatch.delenv("FORENSICS_HEADLESS", raising=False)
    for notebook in ("01_root_cause_timeline.ipynb", "05_investigate.ipynb"):
        out = tmp_path / notebook
        pm.execute_notebook(str(ROOT / "notebooks" / notebook), str(out), cwd=str(tmp_path), progress_bar=False,
                            kernel_name="python3", parameters={"repo": str(demo["repo"]), "cache": ""})
        nb = nbformat.read(out, as_version=4)
        kinds = {k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
        assert "application/vnd.jupyter.widget-view+json" not in kinds, notebook
        text = json.dumps([o for c in nb.cells for o in c.get("outputs", [])])
        assert "Headless run" in text or "headless, set the" in text, notebook
