"""After an upgrade, `make demo` and the notebooks' default demo find data/demo written by an older version
of the simulator (an older truth schema): the same simulation is rebuilt, never refused; another
simulation in that place is still refused."""
from __future__ import annotations

import json

import pytest

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
