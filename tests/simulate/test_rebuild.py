"""After an upgrade, `make demo` and the notebooks' default demo find data/demo written by an older version
of the simulator (an older truth schema): the same simulation is rebuilt, never refused; another
simulation in that place is still refused."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli
from forensics.errors import ForensicsError
from forensics.simulate import TRUTH_SCHEMA, simulate


def test_an_older_schema_of_the_same_simulation_is_rebuilt_and_other_settings_are_refused(tmp_path):
    truth = simulate(tmp_path / "demo", seed=7)
    old = dict(truth, schema=TRUTH_SCHEMA - 1)
    (tmp_path / "demo" / "truth.json").write_text(json.dumps(old))
    again = simulate(tmp_path / "demo", seed=7)
    assert again["schema"] == TRUTH_SCHEMA and again["head"] == truth["head"]
    with pytest.raises(ForensicsError, match="other settings"):
        simulate(tmp_path / "demo", seed=8)


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_simulate_into_a_file_is_one_line_and_exit_2(tmp_path, where):
    (tmp_path / "a-file").write_text("not a directory\n")
    proc = run_cli("simulate", str(tmp_path / where))
    assert proc.returncode == 2, proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert "cannot build in" in line and "Traceback" not in proc.stderr
    assert (tmp_path / "a-file").read_text() == "not a directory\n"


def test_simulate_says_nothing_on_stderr(tmp_path):
    """No git hint (the deprecated info/grafts one among them) reaches the user's terminal."""
    proc = run_cli("simulate", str(tmp_path / "sim"))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
